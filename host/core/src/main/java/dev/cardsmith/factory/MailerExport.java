package dev.cardsmith.factory;

import dev.cardsmith.csp.PivIssuance;
import dev.cardsmith.store.Database;
import dev.cardsmith.store.PrivateFiles;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Hands a run's sealed PIN mailer blobs to the mailing house: one DER file per device (a CMS
 * EnvelopedData, RFC 5652; {@code openssl cms -decrypt -inform DER -in FILE -inkey MAILER-KEY.pem}
 * opens it, and so does any CMS implementation) and an index {@code mailers.csv} that ties each
 * file to its device (slot, card, identity and chip ID where the run has them, state, the 9A certificate's and the mailer key's
 * SHA-256). Nothing written is secret in clear; the files are still written 0600 (and atomically),
 * as the blobs are the only copy of the device secrets outside the card. An existing file is never
 * overwritten: the export is refused before anything is written.
 */
public final class MailerExport {

    /** One exported device. */
    public record Entry(int slot, String card, String identity, String chipId, String state, String certSha256, String mailer, Path file) {}

    private MailerExport() {}

    /** Writes the blobs of {@code runId} (every state, or only {@code state}) into {@code dir}. */
    public static List<Entry> write(Database db, String runId, String state, Path dir) {
        FactoryStore store = new FactoryStore(db);
        if (store.run(runId).isEmpty()) throw new FactoryException(FactoryException.Kind.USAGE, "no factory run " + runId);
        Map<Integer, FactoryStore.Device> devices = new HashMap<>();
        for (FactoryStore.Device d : store.devices(runId)) devices.put(d.slot(), d);
        List<PivRecords.Row> rows = new ArrayList<>();
        for (PivRecords.Row r : PivRecords.rows(db, runId)) {
            if (state == null || state.equals(r.state())) rows.add(r);
        }
        if (rows.isEmpty()) {
            throw new FactoryException(FactoryException.Kind.USAGE, "run " + runId + " has no sealed PIN mailer blobs"
                    + (state == null ? " (no piv stage ran)" : " in state " + state));
        }
        Path index = dir.resolve("mailers.csv");
        List<Entry> out = new ArrayList<>();
        for (PivRecords.Row r : rows) {
            FactoryStore.Device d = devices.get(r.slot());
            out.add(new Entry(r.slot(), d == null ? "" : nullToEmpty(d.card()), d == null ? "" : nullToEmpty(d.identity()), d == null ? "" : nullToEmpty(d.chipId()), r.state(),
                    PivIssuance.sha256(r.certificate()), r.mailer(), dir.resolve("slot-" + r.slot() + ".cms")));
        }
        try {
            if (Files.exists(index)) throw new FileAlreadyExistsException(index.toString());
            for (Entry e : out) if (Files.exists(e.file())) throw new FileAlreadyExistsException(e.file().toString());
            StringBuilder csv = new StringBuilder("slot,card,identity,chip_id,state,cert_sha256,mailer_sha256,file\n");
            for (int i = 0; i < out.size(); i++) {
                Entry e = out.get(i);
                PrivateFiles.writeAtomically(e.file(), rows.get(i).sealed());
                csv.append(e.slot()).append(',').append(e.card()).append(',').append(e.identity()).append(',').append(e.chipId()).append(',').append(e.state()).append(',')
                        .append(e.certSha256()).append(',').append(e.mailer()).append(',').append(e.file().getFileName()).append('\n');
            }
            PrivateFiles.writeAtomically(index, csv.toString().getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        } catch (FileAlreadyExistsException e) {
            throw new FactoryException(FactoryException.Kind.USAGE, "will not overwrite " + e.getFile() + ": export into a new directory");
        } catch (IOException e) {
            throw new FactoryException(FactoryException.Kind.FAILURE, "cannot write the mailer export into " + dir + ": " + e.getClass().getSimpleName(), e);
        }
        return out;
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }
}
