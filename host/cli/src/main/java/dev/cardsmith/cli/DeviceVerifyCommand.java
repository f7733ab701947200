package dev.cardsmith.cli;

import dev.cardsmith.crypto.Hex;
import dev.cardsmith.vault.DeviceInspector;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code cardsmith device verify}: certificate chain and card/database agreement. Exit 0 and
 * "verified: true" only against a pinned manufacturer key; exit 7 when a check fails, and when
 * no key is pinned ("verified: unverified": a card's own key proves nothing about the card).
 */
@Command(name = "verify", description = "Check the certificate against the manufacturer key, the card's key, and the public database.")
final class DeviceVerifyCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Option(names = "--manufacturer-key", paramLabel = "HEX",
            description = "Trust this manufacturer public key (04||X||Y). Default: the HSM's manufacturer key when this "
                    + "station has one; without either the result is 'unverified' (exit 7).")
    String manufacturerKey;

    @picocli.CommandLine.Mixin
    VaultCli.PublicDbOption publicDb;

    @Override
    public void run() {
        try (CliContext ctx = CliContext.of(spec)) {
            byte[] pinned = manufacturerKey != null ? Hex.parse(manufacturerKey) : VaultCli.manufacturerPointIfAvailable(ctx);
            DeviceInspector.Report r = VaultCli.call(() -> DeviceInspector.verify(VaultCli.card(ctx), VaultCli.existingPublicDb(ctx, publicDb), pinned));
            Map<String, Object> checks = new LinkedHashMap<>();
            for (DeviceInspector.Check c : r.checks()) checks.put(c.name(), (c.ok() ? "ok" : "FAILED") + " (" + c.detail() + ")");
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("chipId", r.card().chipIdHex());
            out.put("verified", r.verified() ? (Object) true : r.status().equals("failed") ? (Object) false : r.status());
            out.put("checks", checks);
            ctx.emit(out);
            if (!r.ok()) throw new CliException("verification failed for chip " + r.card().chipIdHex(), ErrorHandler.EXIT_VERIFY);
            if (!r.verified()) {
                throw new CliException("chip " + r.card().chipIdHex() + " is unverified: no pinned manufacturer key (give "
                        + "--manufacturer-key HEX, or run on a station whose HSM holds it); the key the card reports proves nothing",
                        ErrorHandler.EXIT_VERIFY);
            }
        }
    }
}
