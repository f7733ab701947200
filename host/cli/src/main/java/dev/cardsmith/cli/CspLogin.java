package dev.cardsmith.cli;

import dev.cardsmith.csp.CardsmithProvider;
import picocli.CommandLine.Option;

/** Mixin of the csp commands that use a private key: the user PIN, and the logged-in provider. */
final class CspLogin {

    @Option(names = "--pin", paramLabel = "PIN", description = "User PIN: " + Secrets.FORMS + " (default: $CARDSMITH_CSP_PIN, else a prompt).")
    String pin;

    @Option(names = "--mgmt-key", paramLabel = "HEX", description = "Card management key (9B), for commands that write keys or certificates: "
            + Secrets.FORMS + " (default: $CARDSMITH_PIV_MGMT_KEY, else the PIV factory default 0102..08).")
    String mgmtKey;

    /** Proves the management key to the card for this provider's session (keygen, cert-import, delete). */
    void admin(CardsmithProvider p) {
        CspCommand.admin(p, mgmtKey);
    }

    /**
     * VERIFY once more right before a signature: slot 9C ("PIN always") signs only directly after
     * VERIFY, and the key lookup in between disarmed it. Same PIN as this command's login.
     */
    void verifyAgain(CardsmithProvider p) {
        p.login(CspCommand.requirePin(pin).toCharArray());
    }

    /** The provider over this invocation's card, logged in with the PIN (required). */
    CardsmithProvider provider(CliContext ctx) {
        return CspCommand.provider(ctx, CspCommand.requirePin(pin));
    }
}
