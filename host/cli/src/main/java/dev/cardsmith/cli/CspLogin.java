package dev.cardsmith.cli;

import dev.cardsmith.csp.CardsmithProvider;
import picocli.CommandLine.Option;

/** Mixin of the csp commands that use a private key: the user PIN, and the logged-in provider. */
final class CspLogin {

    @Option(names = "--pin", paramLabel = "PIN", description = "User PIN: " + Secrets.FORMS + " (default: $CARDSMITH_CSP_PIN, else a prompt).")
    String pin;

    /** The provider over this invocation's card, logged in with the PIN (required). */
    CardsmithProvider provider(CliContext ctx) {
        return CspCommand.provider(ctx, CspCommand.requirePin(pin));
    }
}
