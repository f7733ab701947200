package dev.cardsmith.cli;

import dev.cardsmith.crypto.Hex;
import dev.cardsmith.store.StoreException;
import dev.cardsmith.vault.DeviceInspector;
import dev.cardsmith.vault.PublicDatabase;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.util.LinkedHashMap;
import java.util.Map;

/** {@code cardsmith device show}: what the card and the public database say. */
@Command(name = "show", description = "Show the card's vault state and its public database record.")
final class DeviceShowCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @picocli.CommandLine.Mixin
    VaultCli.PublicDbOption publicDb;

    @Override
    public void run() {
        try (CliContext ctx = CliContext.of(spec)) {
            var vault = VaultCli.card(ctx); // the card first: a wrong --card is the first thing to hear about
            PublicDatabase db;
            try {
                db = VaultCli.existingPublicDb(ctx, publicDb);
            } catch (StoreException e) {
                // a database that does not exist yet is "not available"; a named one that cannot work is an error
                if (publicDb.named(ctx) && !String.valueOf(e.getMessage()).startsWith("database not found")) throw e;
                db = null;
            }
            DeviceInspector.Report r = DeviceInspector.show(vault, db);
            Map<String, Object> card = new LinkedHashMap<>();
            card.put("chipId", r.card().chipIdHex());
            card.put("state", r.card().stateName());
            card.put("packageVersion", r.card().packageVersion());
            card.put("identity", r.card().identityText());
            card.put("manufacturerKey", r.card().manufacturerKey() == null ? null : Hex.of(r.card().manufacturerKey()));
            Map<String, Object> pub = new LinkedHashMap<>();
            pub.put("available", db != null);
            pub.put("versions", r.databaseVersions());
            r.latest().ifPresent(rec -> {
                pub.put("latestVersion", rec.version());
                pub.put("identity", rec.identity());
                pub.put("packageVersion", rec.packageVersion());
                pub.put("createdAt", rec.createdAt());
            });
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("card", card);
            out.put("publicDatabase", pub);
            ctx.emit(out);
        }
    }
}
