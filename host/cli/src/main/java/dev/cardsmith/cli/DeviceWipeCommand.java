package dev.cardsmith.cli;

import dev.cardsmith.vault.SecureProcessingPoint;
import dev.cardsmith.transport.CardStatusException;
import dev.cardsmith.transport.StatusWords;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.util.LinkedHashMap;
import java.util.Map;

/** {@code cardsmith device wipe}: authorized erase of the data package (needs the manufacturer key). */
@Command(name = "wipe", description = "Erase the card's data package and certificate, authorized by the manufacturer key.")
final class DeviceWipeCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        try (CliContext ctx = CliContext.of(spec)) {
            SecureProcessingPoint spp = new SecureProcessingPoint(VaultCli.keys(ctx), null, null, null);
            SecureProcessingPoint.Wiped w;
            try {
                w = VaultCli.call(() -> spp.wipe(VaultCli.card(ctx)));
            } catch (CardStatusException e) {
                if (e.sw() != StatusWords.SW_CONDITIONS_NOT_SATISFIED) throw e;
                throw new CliException("the card refuses WIPE in its current state: only a provisioned card can be wiped "
                        + "(see 'cardsmith device show')", ErrorHandler.EXIT_CARD);
            }
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("chipId", w.chipId());
            out.put("previousState", w.previousState());
            out.put("state", "EMPTY");
            out.put("card", ctx.apduStats());
            ctx.emit(out);
        }
    }
}
