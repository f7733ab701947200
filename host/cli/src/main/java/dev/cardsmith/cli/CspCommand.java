package dev.cardsmith.cli;

import dev.cardsmith.csp.CardsmithProvider;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code cardsmith csp ...}: the card as cryptographic service provider (seed 003). The
 * subcommands use the JCA provider over the global --sim/--reader card.
 */
@Command(name = "csp", description = "Card as cryptographic service provider: keys, signatures, certificates, PIN.",
        subcommands = {CspKeygenCommand.class, CspListCommand.class, CspSignCommand.class, CspCertImportCommand.class,
                CspDeleteCommand.class, CspPinCommand.class})
final class CspCommand implements Runnable {

    @CommandLine.Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "choose a subcommand: keygen, list, sign, cert-import, delete, pin");
    }

    /** Adds {@code csp}; {@code bench csp-sign} is a subcommand of {@link BenchCommand}. */
    static void register(CommandLine root) {
        root.addSubcommand(new CspCommand());
    }

    /** The provider over this invocation's card; logs in when a PIN is given (--pin or $CARDSMITH_CSP_PIN). */
    static CardsmithProvider provider(CliContext ctx, String pin) {
        CardsmithProvider p = new CardsmithProvider(ctx.card());
        String effective = Secrets.given(pin, "CARDSMITH_CSP_PIN", "user PIN");
        if (effective != null && !effective.isEmpty()) p.login(effective.toCharArray());
        return p;
    }

    /** Authenticates the management key given (option, $CARDSMITH_PIV_MGMT_KEY) or the factory default. */
    static void admin(CardsmithProvider p, String option) {
        String hex = Secrets.given(option, "CARDSMITH_PIV_MGMT_KEY", "management key");
        byte[] key;
        try {
            key = hex != null ? java.util.HexFormat.of().parseHex(hex.strip()) : CardsmithProvider.factoryManagementKey();
        } catch (IllegalArgumentException e) {
            throw new CliException("--mgmt-key must be hex", ErrorHandler.EXIT_USAGE);
        }
        try {
            p.authenticateManagement(key);
        } finally {
            java.util.Arrays.fill(key, (byte) 0);
        }
    }

    static String requirePin(String pin) {
        return Secrets.require(pin, "CARDSMITH_CSP_PIN", "--pin", "user PIN");
    }

    static CliException wrap(RuntimeException e) {
        if (e instanceof dev.cardsmith.csp.CspException) return new CliException(e.getMessage());
        throw e;
    }
}
