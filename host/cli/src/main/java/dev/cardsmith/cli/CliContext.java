package dev.cardsmith.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.cardsmith.hsm.Hsm;
import dev.cardsmith.hsm.HsmException;
import dev.cardsmith.hsm.HsmFactory;
import dev.cardsmith.store.Database;
import dev.cardsmith.store.PrivateFiles;
import dev.cardsmith.transport.ApduTrace;
import dev.cardsmith.transport.CardSession;
import dev.cardsmith.transport.CardTransport;
import dev.cardsmith.transport.CardTransports;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a command needs, opened on first use from the global options: the card session, the
 * database and the HSM. Commands use it in try-with-resources.
 */
public final class CliContext implements AutoCloseable {

    /** Development default for the software keystores; accepted only in development mode (--dev). */
    public static final String DEFAULT_KEYSTORE_PASSWORD = "cardsmith";

    private final Main options;
    private final PrintWriter out;
    private final PrintWriter err;
    private CardSession session;
    private boolean volatileCard;
    private boolean recordsOpened;
    private boolean mayCreateKeystore;
    private boolean throwAwayDefault;
    private Database database;
    private Hsm hsm;
    /** The HSM being opened on a second thread ({@link #openHsmAhead()}), or null. */
    private java.util.concurrent.FutureTask<Hsm> hsmAhead;

    private CliContext(Main options, PrintWriter out, PrintWriter err) {
        this.options = options;
        this.out = out;
        this.err = err;
    }

    public static CliContext of(CommandSpec spec) {
        return new CliContext((Main) spec.root().userObject(), spec.commandLine().getOut(), spec.commandLine().getErr());
    }

    /** $CARDSMITH_HOME, else ~/.cardsmith */
    public static Path home() {
        String env = System.getenv("CARDSMITH_HOME");
        if (env != null && !env.isBlank()) return Path.of(env);
        return Path.of(System.getProperty("user.home"), ".cardsmith");
    }

    public boolean json() { return options.json; }

    public boolean verbose() { return options.verbose; }

    /** Development mode: --dev or CARDSMITH_DEV=1. */
    public boolean dev() { return dev(options); }

    static boolean dev(Main options) {
        return options.dev || "1".equals(System.getenv("CARDSMITH_DEV"));
    }

    public PrintWriter out() { return out; }

    public PrintWriter err() { return err; }

    /** One line on stderr that the user should see even when stdout is parsed (development mode notices). */
    public void notice(String line) {
        err.println("cardsmith: " + line);
        err.flush();
    }

    /**
     * The card spec of this invocation: --card, or its aliases --reader NAME / --sim[=FILE];
     * null when none was given.
     */
    String cardSpec() {
        int given = (options.card != null ? 1 : 0) + (options.reader != null ? 1 : 0) + (options.sim != null ? 1 : 0);
        if (given > 1) throw new CliException("give the card once: --card (or its alias --sim or --reader)", ErrorHandler.EXIT_USAGE);
        if (options.card != null) return options.card;
        if (options.reader != null) return "pcsc:" + options.reader;
        if (options.sim != null) return options.sim.isEmpty() ? "sim" : "sim:" + options.sim;
        return null;
    }

    /** Benchmarks and demos without lasting records may run on a throw-away simulated card when no card is named. */
    public CliContext throwAwayCardByDefault() {
        throwAwayDefault = true;
        return this;
    }

    /** The card named by --card; a throw-away card (sim) only when no lasting record is written in this invocation. */
    public CardSession card() {
        if (session == null) {
            String spec = cardSpec();
            if (spec == null && throwAwayDefault) spec = "sim";
            if (spec == null) {
                throw new CliException("no card given: use --card sim:FILE (a simulated card saved in FILE) or --card pcsc:READER",
                        ErrorHandler.EXIT_USAGE);
            }
            try {
                CardTransports.validate(spec);
            } catch (IllegalArgumentException e) {
                throw new CliException("--card " + spec + ": " + e.getMessage(), ErrorHandler.EXIT_USAGE);
            }
            volatileCard = spec.strip().equals("sim");
            refuseRecordsOnVolatileCard();
            session = new CardSession(CardTransports.open(spec), options.verbose ? ApduTrace.slf4j() : ApduTrace.OFF);
        }
        return session;
    }

    /** Lasting records (database rows, key files) about a card that vanishes with this process would be lies. */
    private void refuseRecordsOnVolatileCard() {
        if (volatileCard && recordsOpened) {
            throw new CliException("this command writes lasting records about the card, but --card sim is a throw-away card: "
                    + "use --card sim:FILE or --card pcsc:READER", ErrorHandler.EXIT_USAGE);
        }
    }

    public String databaseUrl() {
        return options.db != null ? options.db : "jdbc:sqlite:" + home().resolve("cardsmith.db");
    }

    /** Whether --db was given (then it must work; the default may simply not exist yet). */
    public boolean databaseNamed() { return options.db != null; }

    /** The database, created and migrated when missing; refused together with a throw-away card. */
    public Database db() {
        if (database == null) {
            recordsOpened = true;
            refuseRecordsOnVolatileCard();
            sqliteNativeDirectory();
            database = Database.open(databaseUrl());
        }
        return database;
    }

    /**
     * sqlite-jdbc unpacks its native library into java.io.tmpdir and deletes the copies of other
     * processes it finds there, which races with cardsmith processes started at the same time
     * (a stack trace on stderr); each CARDSMITH_HOME gets its own directory instead.
     */
    static void sqliteNativeDirectory() {
        if (System.getProperty("org.sqlite.tmpdir") != null) return;
        Path dir = home().resolve("native");
        try {
            Files.createDirectories(dir);
            System.setProperty("org.sqlite.tmpdir", dir.toString());
        } catch (java.io.IOException e) {
            // keep sqlite-jdbc's default
        }
    }

    /**
     * The card of a command that writes lasting records about it (database rows, keys): opened
     * first, so that a missing, throw-away or damaged card stops the command before anything
     * else is created.
     */
    public CardSession recordingCard() {
        recordsOpened = true;
        return card();
    }

    /** The database, which must already exist (readers such as recovery never create one). */
    public Database existingDb() {
        if (database == null) {
            sqliteNativeDirectory();
            database = Database.openExisting(databaseUrl());
        }
        return database;
    }

    public String hsmSpec() {
        return options.hsm != null ? options.hsm : "pkcs12:" + home().resolve("keystore.p12");
    }

    /** Whether the HSM was named on the command line (a missing keystore file named there is always an error). */
    public boolean hsmNamed() { return options.hsm != null; }

    /** The PKCS#12 file of a software HSM spec, or null for a PKCS#11 token. */
    static Path keystoreFile(String spec) {
        if (spec.startsWith("pkcs11:")) return null;
        return Path.of(spec.startsWith("pkcs12:") ? spec.substring("pkcs12:".length()) : spec);
    }

    /** Commands that create keys on purpose (hsm init, ca init, kms init) may create the keystore file. */
    public CliContext creatingKeys() {
        mayCreateKeystore = true;
        return this;
    }

    public Hsm hsm() {
        if (hsm == null) hsm = hsmAhead != null ? awaitHsm() : openDefaultHsm();
        return hsm;
    }

    private Hsm openDefaultHsm() {
        return openHsm(hsmSpec(), options.hsmPassword, "CARDSMITH_KEYSTORE_PASSWORD", "--keystore-password", "keystore password");
    }

    /**
     * Start-up (issue 10): starts opening the HSM on a second thread, so that the keystore's
     * password-based key derivation (PKCS#12 integrity check) runs while this thread opens the
     * card and the database; {@link #hsm()} takes the result, or throws its error, where it would
     * have opened the HSM itself. Only for an existing PKCS#12 keystore whose password needs no
     * prompt: nothing is created and nothing is asked ahead of the card.
     */
    public CliContext openHsmAhead() {
        if (hsm != null || hsmAhead != null) return this;
        Path file = keystoreFile(hsmSpec());
        if (file == null || !Files.isRegularFile(file) || "-".equals(options.hsmPassword)) return this;
        String env = System.getenv("CARDSMITH_KEYSTORE_PASSWORD");
        if (options.hsmPassword == null && (env == null || env.isEmpty()) && !dev()) return this; // would prompt
        hsmAhead = new java.util.concurrent.FutureTask<>(this::openDefaultHsm);
        Thread t = new Thread(hsmAhead, "cardsmith-hsm-open");
        t.setDaemon(true);
        t.start();
        return this;
    }

    private Hsm awaitHsm() {
        try {
            return hsmAhead.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException("interrupted while opening the HSM", ErrorHandler.EXIT_HSM);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            if (e.getCause() instanceof Error err) throw err;
            throw new CliException("cannot open the HSM (" + e.getCause().getClass().getSimpleName() + ")", ErrorHandler.EXIT_HSM);
        } finally {
            hsmAhead = null;
        }
    }

    /**
     * Opens an HSM; a missing keystore file is an error unless this command creates keys or
     * development mode is on; the development password only in development mode.
     */
    Hsm openHsm(String spec, String passwordOption, String envVar, String optionName, String what) {
        Path file = keystoreFile(spec);
        boolean missing = file != null && !Files.exists(file);
        if (missing && !mayCreateKeystore && !dev()) {
            throw new CliException("keystore " + file + " does not exist: create it with 'cardsmith hsm init' "
                    + "(or use --dev for development keys)", ErrorHandler.EXIT_HSM);
        }
        String password = Secrets.given(passwordOption, envVar, what);
        if (password == null && dev()) {
            password = DEFAULT_KEYSTORE_PASSWORD;
            if (missing) notice("development mode: new keystore " + file + " (password '" + DEFAULT_KEYSTORE_PASSWORD + "')");
        }
        if (password == null) password = Secrets.prompt(what);
        if (password == null) {
            throw new CliException("no " + what + ": give " + optionName + " (" + Secrets.FORMS + "), set $" + envVar
                    + ", or use --dev for the development default", ErrorHandler.EXIT_USAGE);
        }
        Hsm h = openKeystore(spec, file, password);
        if (missing) {
            try {
                PrivateFiles.restrict(file);
            } catch (java.io.IOException e) {
                throw new CliException("cannot restrict " + file + " to its owner: " + e.getMessage(), ErrorHandler.EXIT_HSM);
            }
        }
        return h;
    }

    private static final java.util.List<String> COUNTS = java.util.List.of("apdus", "bytesSent", "bytesReceived");

    /**
     * One shape for the APDU counts of every system: {@code card: {apdus, bytesSent,
     * bytesReceived}}; results that carry them at the top level are moved there.
     */
    static Map<String, ?> countsUnderCard(Map<String, ?> result) {
        if (result.containsKey("card") || !result.containsKey("apdus")) return result;
        Map<String, Object> out = new LinkedHashMap<>();
        Map<String, Object> card = new LinkedHashMap<>();
        for (Map.Entry<String, ?> e : result.entrySet()) {
            if (COUNTS.contains(e.getKey())) card.put(e.getKey(), e.getValue());
            else out.put(e.getKey(), e.getValue());
        }
        out.put("card", card);
        return out;
    }

    /**
     * A PKCS#12 file that cannot be read is named as damaged, with what to do, instead of the
     * JDK's texts ("null", "Tag number over 30 is not supported"); a failed integrity check
     * cannot tell a wrong password from a damaged file, so the message names both.
     */
    private static Hsm openKeystore(String spec, Path file, String password) {
        try {
            if (file != null && Files.exists(file) && Files.size(file) == 0) {
                throw new CliException("keystore " + file + " is empty (damaged): restore it from a backup", ErrorHandler.EXIT_HSM);
            }
            return HsmFactory.open(spec, password.toCharArray());
        } catch (java.io.IOException e) {
            throw new CliException("cannot read keystore " + file + " (" + e.getClass().getSimpleName() + ")", ErrorHandler.EXIT_HSM);
        } catch (HsmException e) {
            if (file == null) throw e;
            if (String.valueOf(e.getMessage()).startsWith("wrong password")) {
                throw new CliException("keystore " + file + ": wrong password, or the file is damaged (its integrity check failed)", ErrorHandler.EXIT_HSM);
            }
            throw new CliException("keystore " + file + " is damaged or not a PKCS#12 keystore: restore it from a backup", ErrorHandler.EXIT_HSM);
        }
    }

    /** Prints a result: JSON object with --json, else "key: value" lines; APDU counts under {@code card}. */
    public void emit(Map<String, ?> raw) {
        Map<String, ?> result = countsUnderCard(raw);
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
        if (hsm == null && hsmAhead != null) {
            try {
                hsm = awaitHsm(); // opened ahead but not used (the command failed first): close it too
            } catch (RuntimeException e) {
                // its error does not matter any more: the command ended before it needed the HSM
            }
        }
        if (hsm != null) hsm.close();
    }
}
