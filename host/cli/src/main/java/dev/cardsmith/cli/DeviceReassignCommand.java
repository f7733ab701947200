package dev.cardsmith.cli;

import dev.cardsmith.codec.Imei;
import dev.cardsmith.vault.PublicDatabase;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code cardsmith device reassign --imei N --to CHIP-ID --reason TEXT}: the one explicit way to
 * move a device identity to another chip (a replaced chip). The public database keeps every
 * earlier binding; the next {@code device provision} on the new chip then succeeds.
 */
@Command(name = "reassign", description = "Move a device identity to another chip (kept in the identity history).")
final class DeviceReassignCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Option(names = "--imei", required = true, paramLabel = "IMEI", description = Checks.IMEI_HELP)
    String imei;

    @Option(names = "--to", required = true, paramLabel = "CHIP-ID", description = "The chip (32 hex digits) the identity moves to.")
    String toChip;

    @Option(names = "--reason", required = true, paramLabel = "TEXT", description = "Why (kept in the history, e.g. a repair ticket).")
    String reason;

    @Mixin
    VaultCli.PublicDbOption publicDb;

    @Override
    public void run() {
        String identity = new String(Imei.identityBytes(Checks.imei(imei)), StandardCharsets.US_ASCII);
        try (CliContext ctx = CliContext.of(spec)) {
            PublicDatabase db = VaultCli.existingPublicDb(ctx, publicDb);
            String from = VaultCli.call(() -> db.reassign(identity, toChip, reason));
            List<String> history = new ArrayList<>();
            for (PublicDatabase.Binding b : db.identityHistory(identity)) {
                history.add(b.seq() + " " + b.action() + " " + b.chipId() + (b.previousChipId() == null ? "" : " from " + b.previousChipId()));
            }
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("identity", identity);
            out.put("from", from);
            out.put("to", toChip.toUpperCase(java.util.Locale.ROOT));
            out.put("history", history);
            ctx.emit(out);
        }
    }
}
