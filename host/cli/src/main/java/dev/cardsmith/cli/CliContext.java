package dev.cardsmith.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.cardsmith.hsm.Hsm;
import dev.cardsmith.hsm.HsmFactory;
import dev.cardsmith.store.Database;
import dev.cardsmith.transport.ApduTrace;
import dev.cardsmith.transport.CardSession;
import dev.cardsmith.transport.CardTransport;
import dev.cardsmith.transport.CardTransports;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a command needs, opened on first use from the global options: the card session, the
 * database and the HSM. Commands use it in try-with-resources.
 */
public final class CliContext implements AutoCloseable {

    /** Development default for the software keystore; documented in README, override in production. */
    public static final String DEFAULT_KEYSTORE_PASSWORD = "cardsmith";

    private final Main options;
    private final PrintWriter out;
    private CardSession session;
    private Database database;
    private Hsm hsm;

    private CliContext(Main options, PrintWriter out) {
        this.options = options;
        this.out = out;
    }

    public static CliContext of(CommandSpec spec) {
        return new CliContext((Main) spec.root().userObject(), spec.commandLine().getOut());
    }

    /** $CARDSMITH_HOME, else ~/.cardsmith */
    public static Path home() {
        String env = System.getenv("CARDSMITH_HOME");
        if (env != null && !env.isBlank()) return Path.of(env);
        return Path.of(System.getProperty("user.home"), ".cardsmith");
    }

    public boolean json() { return options.json; }

    public boolean verbose() { return options.verbose; }

    public PrintWriter out() { return out; }

    /** The card: --reader NAME, else the simulator (--sim[=FILE]). */
    public CardSession card() {
        if (session == null) {
            CardTransport t;
            if (options.reader != null) {
                if (options.sim != null) throw new CliException("--reader and --sim exclude each other", ErrorHandler.EXIT_USAGE);
                t = CardTransports.open("pcsc:" + options.reader);
            } else if (options.sim != null && !options.sim.isEmpty()) {
                t = CardTransports.open("sim:" + options.sim);
            } else {
                t = CardTransports.open("sim");
            }
            session = new CardSession(t, options.verbose ? ApduTrace.slf4j() : ApduTrace.OFF);
        }
        return session;
    }

    public String databaseUrl() {
        return options.db != null ? options.db : "jdbc:sqlite:" + home().resolve("cardsmith.db");
    }

    /** The database, created and migrated when missing. */
    public Database db() {
        if (database == null) database = Database.open(databaseUrl());
        return database;
    }

    /** The database, which must already exist (readers such as recovery never create one). */
    public Database existingDb() {
        if (database == null) database = Database.openExisting(databaseUrl());
        return database;
    }

    public String hsmSpec() {
        return options.hsm != null ? options.hsm : "pkcs12:" + home().resolve("keystore.p12");
    }

    public Hsm hsm() {
        if (hsm == null) hsm = HsmFactory.open(hsmSpec(), hsmPassword());
        return hsm;
    }

    private char[] hsmPassword() {
        if (options.hsmPassword != null) return options.hsmPassword.toCharArray();
        String env = System.getenv("CARDSMITH_KEYSTORE_PASSWORD");
        if (env != null && !env.isEmpty()) return env.toCharArray();
        return DEFAULT_KEYSTORE_PASSWORD.toCharArray();
    }

    /** Prints a result: JSON object with --json, else "key: value" lines. */
    public void emit(Map<String, ?> result) {
        if (options.json) {
            try {
                out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(result));
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new CliException("cannot print JSON: " + e.getOriginalMessage());
            }
        } else {
            print("", result);
        }
        out.flush();
    }

    @SuppressWarnings("unchecked")
    private void print(String indent, Map<String, ?> m) {
        for (Map.Entry<String, ?> e : m.entrySet()) {
            if (e.getValue() instanceof Map<?, ?> sub) {
                out.println(indent + e.getKey() + ":");
                print(indent + "  ", (Map<String, ?>) sub);
            } else {
                out.println(indent + e.getKey() + ": " + e.getValue());
            }
        }
    }

    /** APDU counters of this invocation, for --json results. */
    public Map<String, Object> apduStats() {
        Map<String, Object> m = new LinkedHashMap<>();
        if (session != null) {
            m.put("apdus", session.stats().apdus());
            m.put("bytesSent", session.stats().bytesSent());
            m.put("bytesReceived", session.stats().bytesReceived());
        }
        return m;
    }

    @Override
    public void close() {
        if (session != null) session.close();
        if (hsm != null) hsm.close();
    }
}
