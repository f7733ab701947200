package dev.cardsmith.cli;

import dev.cardsmith.crypto.Hex;
import dev.cardsmith.codec.Imei;
import dev.cardsmith.vault.SecureProcessingPoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.LinkedHashMap;
import java.util.Map;

/** {@code cardsmith device provision --imei N [--pool]} (claims 1-8). */
@Command(name = "provision", description = "Provision the vault: data package, backup to the public database, identity certificate.")
final class DeviceProvisionCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Option(names = "--imei", required = true, paramLabel = "IMEI", description = Checks.IMEI_HELP)
    String imei;

    @Option(names = "--pool", description = "Take the device key pair from the pre-generated pool in the secure store (else generate it now).")
    boolean usePool;

    @Mixin
    VaultCli.SecureDbOption secureDb;

    @Mixin
    VaultCli.PublicDbOption publicDb;

    @Override
    public void run() {
        byte[] identity = Imei.identityBytes(Checks.imei(imei)); // before anything is opened
        try (CliContext ctx = CliContext.of(spec)) {
            ctx.openHsmAhead().recordingCard();
            SecureProcessingPoint spp = new SecureProcessingPoint(VaultCli.existingKeys(ctx), VaultCli.publicDb(ctx, publicDb),
                    VaultCli.journal(ctx), usePool ? VaultCli.pool(ctx, secureDb) : null);
            SecureProcessingPoint.Provisioned p = VaultCli.call(() -> spp.provision(VaultCli.card(ctx), identity));
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("chipId", p.chipId());
            out.put("identity", p.identity());
            out.put("databaseVersion", p.databaseVersion());
            out.put("packageVersion", p.packageVersion());
            out.put("keyPair", p.poolEntry() == null ? "generated" : "pool " + p.poolEntry());
            out.put("devicePublicKey", Hex.of(p.devicePublicKey()));
            out.put("manufacturerKeyWritten", p.manufacturerKeyWritten());
            if (p.resumed()) out.put("resumed", "completed an interrupted provision (certificate stored)");
            out.put("card", ctx.apduStats());
            ctx.emit(out);
        }
    }
}
