package dev.cardsmith.cli;

import dev.cardsmith.crypto.Hex;
import dev.cardsmith.vault.DeviceInspector;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.LinkedHashMap;
import java.util.Map;

/** {@code cardsmith device verify}: certificate chain and card/database agreement; exit 7 on failure. */
@Command(name = "verify", description = "Check the certificate against the manufacturer key, the card's key, and the public database.")
final class DeviceVerifyCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Option(names = "--manufacturer-key", paramLabel = "HEX",
            description = "Trust this manufacturer public key (04||X||Y). Default: the HSM's manufacturer key when this "
                    + "station has one, else the key in the card's write-once storage.")
    String manufacturerKey;

    @Override
    public void run() {
        try (CliContext ctx = CliContext.of(spec)) {
            byte[] pinned = manufacturerKey != null ? Hex.parse(manufacturerKey) : VaultCli.manufacturerPointIfAvailable(ctx);
            DeviceInspector.Report r = VaultCli.call(() -> DeviceInspector.verify(VaultCli.card(ctx), VaultCli.existingPublicDb(ctx), pinned));
            Map<String, Object> checks = new LinkedHashMap<>();
            for (DeviceInspector.Check c : r.checks()) checks.put(c.name(), (c.ok() ? "ok" : "FAILED") + " (" + c.detail() + ")");
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("chipId", r.card().chipIdHex());
            out.put("verified", r.ok());
            out.put("checks", checks);
            ctx.emit(out);
            if (!r.ok()) throw new CliException("verification failed for chip " + r.card().chipIdHex(), ErrorHandler.EXIT_VERIFY);
        }
    }
}
