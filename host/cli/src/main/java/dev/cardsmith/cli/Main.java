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
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:success", "1:other failure (see the message)", "2:usage: a wrong, missing or out-of-range option",
                "3:the card refused a command (status word)", "4:no card / reader / server reachable, or a damaged card file",
                "5:database", "6:HSM / keystore (missing, damaged, wrong password, missing key)",
                "7:a verification failed (signature, certificate, TAN)"},
        subcommands = {ReadersCommand.class, SimCommand.class, HelpCommand.class, ManPageCommand.class,
                picocli.AutoComplete.GenerateCompletion.class})
public final class Main {

    @Option(names = "--card", scope = ScopeType.INHERIT, paramLabel = "CARD",
            description = "The card: sim:FILE (a simulated card with every cardsmith applet, saved in FILE; created when FILE "
                    + "does not exist), pcsc:READER (a PC/SC reader, exact name or a unique part of it), or sim (a throw-away "
                    + "simulated card, refused by commands that write lasting records). Aliases: --sim=FILE, --reader READER.")
    String card;

    /** Alias of {@code --card pcsc:NAME}, kept for scripts; documented in README. */
    @Option(names = "--reader", scope = ScopeType.INHERIT, paramLabel = "READER", hidden = true)
    String reader;

    /** Alias of {@code --card sim:FILE} ({@code --sim} alone: {@code --card sim}), kept for scripts; documented in README. */
    @Option(names = "--sim", scope = ScopeType.INHERIT, arity = "0..1", fallbackValue = "", paramLabel = "FILE", hidden = true)
    String sim;

    @Option(names = "--dev", scope = ScopeType.INHERIT,
            description = "Development mode (also CARDSMITH_DEV=1): creates development keys on first use and accepts the "
                    + "documented default passwords; says so on stderr. Never in production.")
    boolean dev;

    @Option(names = "--db", scope = ScopeType.INHERIT, paramLabel = "JDBC-URL",
            description = "Database (default: jdbc:sqlite:$CARDSMITH_HOME/cardsmith.db).")
    String db;

    @Option(names = {"--keystore", "--hsm"}, scope = ScopeType.INHERIT, paramLabel = "SPEC",
            description = "HSM holding manufacturer and master keys: pkcs12:FILE (default $CARDSMITH_HOME/keystore.p12) "
                    + "or pkcs11:library=…;token=….")
    String hsm;

    @Option(names = {"--keystore-password", "--hsm-pin"}, scope = ScopeType.INHERIT, paramLabel = "SECRET",
            description = "Keystore password / token PIN: " + Secrets.FORMS + " (default: $CARDSMITH_KEYSTORE_PASSWORD, "
                    + "else a prompt; the development default only with --dev).")
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
        cl.registerConverter(java.time.LocalDate.class, Checks::date);
        cl.setAllowSubcommandsAsOptionParameters(true); // --card sim (there is also a subcommand "sim")
        addHelpEverywhere(cl);
        hideGlobalOptionsThatMeanNothing(cl);
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionExceptionHandler(new ErrorHandler());
        cl.setParameterExceptionHandler(ErrorHandler::usage);
        return cl;
    }

    private static final java.util.List<String> CARD = java.util.List.of("--card");
    private static final java.util.List<String> STATION = java.util.List.of("--card", "--db", "--keystore", "--keystore-password", "--dev");

    /**
     * Global options are accepted anywhere (scripts put them first), but a command's help lists
     * only those it uses: commands without a card do not list --card, commands that use neither
     * card, database nor HSM list none of them.
     */
    static final java.util.Map<String, java.util.List<String>> NOT_USED = java.util.Map.ofEntries(
            java.util.Map.entry("readers", STATION), java.util.Map.entry("help", STATION),
            java.util.Map.entry("generate-man-page", STATION), java.util.Map.entry("generate-completion", STATION),
            java.util.Map.entry("db", java.util.List.of("--card", "--keystore", "--keystore-password")),
            java.util.Map.entry("db serve", java.util.List.of("--card", "--keystore", "--keystore-password")),
            java.util.Map.entry("hsm", CARD), java.util.Map.entry("hsm init", CARD), java.util.Map.entry("kms", CARD),
            java.util.Map.entry("kms init", CARD), java.util.Map.entry("kms rotate-mk", CARD), java.util.Map.entry("kms transfer", CARD),
            java.util.Map.entry("kms import-transport-key", CARD), java.util.Map.entry("ca", CARD), java.util.Map.entry("ca init", CARD),
            java.util.Map.entry("ca issue", CARD), java.util.Map.entry("ca list", CARD), java.util.Map.entry("perso tan", CARD),
            java.util.Map.entry("perso serve", CARD), java.util.Map.entry("central serve", CARD), java.util.Map.entry("device pool", CARD),
            java.util.Map.entry("device pool generate", CARD), java.util.Map.entry("device pool status", CARD),
            java.util.Map.entry("ota add-sim", CARD), java.util.Map.entry("ota notify", CARD), java.util.Map.entry("terminal enrol", CARD),
            java.util.Map.entry("ota bench", STATION), java.util.Map.entry("bench vault", STATION), java.util.Map.entry("bench module", STATION),
            java.util.Map.entry("bench ota", STATION));

    private static void hideGlobalOptionsThatMeanNothing(CommandLine root) {
        java.util.ArrayDeque<CommandLine> todo = new java.util.ArrayDeque<>(root.getSubcommands().values());
        while (!todo.isEmpty()) {
            CommandLine c = todo.poll();
            todo.addAll(c.getSubcommands().values());
            CommandLine.Model.CommandSpec spec = c.getCommandSpec();
            String path = spec.qualifiedName(" ").substring("cardsmith ".length());
            for (String name : NOT_USED.getOrDefault(path, java.util.List.of())) {
                CommandLine.Model.OptionSpec o = spec.findOption(name);
                if (o == null || o.hidden()) continue;
                spec.remove(o);
                spec.addOption(o.toBuilder().hidden(true).scopeType(ScopeType.LOCAL).build()); // LOCAL: its subcommands keep their own copy
            }
        }
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
            java.util.Properties p = new java.util.Properties();
            try (java.io.InputStream in = Main.class.getResourceAsStream("build.properties")) {
                if (in != null) p.load(in);
            } catch (java.io.IOException e) {
                // reported as unknown below
            }
            return new String[] {"cardsmith " + p.getProperty("version", "0.1.0-SNAPSHOT") + " (commit " + p.getProperty("commit", "unknown") + ")",
                    "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")"};
        }
    }
}
