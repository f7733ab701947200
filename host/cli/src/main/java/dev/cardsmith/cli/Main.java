package dev.cardsmith.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

import java.io.PrintWriter;

/**
 * {@code cardsmith}: the root command. Global options are inherited by every subcommand, so
 * they may appear anywhere on the command line. Subcommands hold no protocol logic: they
 * parse, call a system package, and print.
 */
@Command(name = "cardsmith", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Java Card provisioning toolkit: PSD writer, HSM front-end, personalization unit, OTA server and public backup database.",
        subcommands = {ReadersCommand.class, SimCommand.class, CommandLine.HelpCommand.class})
public final class Main {

    @Option(names = "--reader", scope = ScopeType.INHERIT, paramLabel = "NAME",
            description = "Use the card in this PC/SC reader (exact name or a unique part of it).")
    String reader;

    @Option(names = "--sim", scope = ScopeType.INHERIT, arity = "0..1", fallbackValue = "", paramLabel = "FILE",
            description = "Use a simulated card with every cardsmith applet (the default without --reader). "
                    + "With FILE the card's state persists in that file between invocations.")
    String sim;

    @Option(names = "--db", scope = ScopeType.INHERIT, paramLabel = "JDBC-URL",
            description = "Database (default: jdbc:sqlite:$CARDSMITH_HOME/cardsmith.db).")
    String db;

    @Option(names = {"--keystore", "--hsm"}, scope = ScopeType.INHERIT, paramLabel = "SPEC",
            description = "HSM holding manufacturer and master keys: pkcs12:FILE (default $CARDSMITH_HOME/keystore.p12) "
                    + "or pkcs11:library=…;token=….")
    String hsm;

    @Option(names = {"--keystore-password", "--hsm-pin"}, scope = ScopeType.INHERIT, paramLabel = "SECRET", interactive = false,
            description = "Keystore password / token PIN (default: $CARDSMITH_KEYSTORE_PASSWORD, else the documented development default).")
    String hsmPassword;

    @Option(names = "--json", scope = ScopeType.INHERIT, description = "Print the result as JSON.")
    boolean json;

    @Option(names = {"-v", "--verbose"}, scope = ScopeType.INHERIT,
            description = "Trace APDU headers and status words (data redacted) and log to stderr.")
    boolean verbose;

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the CLI in-process (tests use this); returns the exit code. */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        configureLogging(args);
        CommandLine cl = commandLine(out, err);
        return cl.execute(args);
    }

    static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        Main root = new Main();
        CommandLine cl = new CommandLine(root);
        Subcommands.register(cl);
        addHelpEverywhere(cl);
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionExceptionHandler(new ErrorHandler());
        cl.setParameterExceptionHandler(ErrorHandler::usage);
        return cl;
    }

    /** Every subcommand answers --help, even one with required options (picocli checks help first). */
    private static void addHelpEverywhere(CommandLine cl) {
        for (CommandLine sub : cl.getSubcommands().values()) {
            CommandLine.Model.CommandSpec spec = sub.getCommandSpec();
            if (spec.findOption("--help") == null && spec.findOption("-h") == null) {
                spec.addOption(CommandLine.Model.OptionSpec.builder("-h", "--help").usageHelp(true)
                        .description("Show this help message and exit.").build());
            }
            addHelpEverywhere(sub);
        }
    }

    private static void configureLogging(String[] args) {
        boolean verbose = false;
        for (String a : args) if (a.equals("-v") || a.equals("--verbose")) verbose = true;
        System.setProperty("org.slf4j.simpleLogger.logFile", "System.err");
        System.setProperty("org.slf4j.simpleLogger.showThreadName", "false");
        System.setProperty("org.slf4j.simpleLogger.showLogName", "false");
        System.setProperty("org.slf4j.simpleLogger.levelInBrackets", "true");
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", verbose ? "info" : "warn");
        System.setProperty("org.slf4j.simpleLogger.log.org.flywaydb", "warn");
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"cardsmith " + (v == null ? "0.1.0-SNAPSHOT" : v)};
        }
    }
}
