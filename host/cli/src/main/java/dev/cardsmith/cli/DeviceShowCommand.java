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

    @Override
    public void run() {
        try (CliContext ctx = CliContext.of(spec)) {
            PublicDatabase db;
            try {
                db = VaultCli.existingPublicDb(ctx);
            } catch (StoreException e) {
                if (ctx.databaseNamed()) throw e; // --db given: it must work
                db = null; // no local database yet: show still reports the card
            }
            DeviceInspector.Report r = DeviceInspector.show(VaultCli.card(ctx), db);
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
