package dev.cardsmith.cli;

import dev.cardsmith.vault.BackupSource;
import dev.cardsmith.vault.PublicDbHttpClient;
import dev.cardsmith.vault.Recovery;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.LinkedHashMap;
import java.util.Map;

/** {@code cardsmith device recover [--from URL]} (claim 17). Needs only the public database. */
@Command(name = "recover", description = "Restore the card's data package from the public database (by its chip ID).")
final class DeviceRecoverCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Option(names = "--from", paramLabel = "URL", description = "Read the public database over HTTP (cardsmith db serve) instead of the public database file (--public-db).")
    String from;

    @picocli.CommandLine.Mixin
    VaultCli.PublicDbOption publicDb;

    @Override
    public void run() {
        try (CliContext ctx = CliContext.of(spec)) {
            BackupSource source = from != null ? new PublicDbHttpClient(from) : VaultCli.existingPublicDb(ctx, publicDb);
            Recovery.Recovered r = VaultCli.call(() -> Recovery.recover(VaultCli.card(ctx), source));
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("chipId", r.chipId());
            out.put("identity", r.identity());
            out.put("databaseVersion", r.databaseVersion());
            out.put("packageVersion", r.packageVersion());
            out.put("source", source.describe());
            out.put("card", ctx.apduStats());
            ctx.emit(out);
        }
    }
}
