package dev.cardsmith.factory;

import dev.cardsmith.csp.PivIssuance;
import dev.cardsmith.store.Database;
import dev.cardsmith.store.PrivateFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Hands a run's sealed PIN mailer blobs to the mailing house: one DER file per device (a CMS
 * EnvelopedData, RFC 5652; {@code openssl cms -decrypt -inform DER -in FILE -inkey MAILER-KEY.pem}
 * opens it, and so does any CMS implementation) and an index {@code mailers.csv} that ties each
 * file to its device (slot, card, identity and chip ID where the run has them, state, the 9A certificate's and the mailer key's
 * SHA-256). Nothing written is secret in clear; the files are still written 0600 in a 0700
 * directory, as the blobs are the only copy of the device secrets outside the card. DIR must be new
 * or empty (nothing is ever overwritten), and the export appears there whole or not at all: it is
 * written into a sibling directory and renamed into place.
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
        List<Entry> out = new ArrayList<>();
        for (PivRecords.Row r : rows) {
            FactoryStore.Device d = devices.get(r.slot());
            out.add(new Entry(r.slot(), d == null ? "" : nullToEmpty(d.card()), d == null ? "" : nullToEmpty(d.identity()), d == null ? "" : nullToEmpty(d.chipId()), r.state(),
                    PivIssuance.sha256(r.certificate()), r.mailer(), dir.resolve("slot-" + r.slot() + ".cms")));
        }
        Path target = dir.toAbsolutePath().normalize();
        if (Files.exists(target) && !emptyDirectory(target)) {
            throw new FactoryException(FactoryException.Kind.USAGE, "will not overwrite " + dir + ": export into a new (or empty) directory");
        }
        // everything is written into a private sibling directory first and renamed into place at the
        // end: a failure half-way (disk full, a killed process) leaves no partial export under DIR
        Path staging = null;
        try {
            Path parent = target.getParent();
            Files.createDirectories(parent);
            staging = Files.createTempDirectory(parent, "." + target.getFileName() + ".partial-"); // 0700 on POSIX
            StringBuilder csv = new StringBuilder("slot,card,identity,chip_id,state,cert_sha256,mailer_sha256,file\n");
            for (int i = 0; i < out.size(); i++) {
                Entry e = out.get(i);
                PrivateFiles.writeAtomically(staging.resolve(e.file().getFileName()), rows.get(i).sealed());
                csv.append(e.slot()).append(',').append(e.card()).append(',').append(e.identity()).append(',').append(e.chipId()).append(',').append(e.state()).append(',')
                        .append(e.certSha256()).append(',').append(e.mailer()).append(',').append(e.file().getFileName()).append('\n');
            }
            PrivateFiles.writeAtomically(staging.resolve("mailers.csv"), csv.toString().getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            // rename(2) replaces an empty directory and refuses a non-empty one (a race with another writer)
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
            staging = null;
        } catch (IOException e) {
            throw new FactoryException(FactoryException.Kind.FAILURE, "cannot write the mailer export into " + dir + ": " + e.getClass().getSimpleName(), e);
        } finally {
            if (staging != null) deleteTree(staging);
        }
        return out;
    }

    private static boolean emptyDirectory(Path p) {
        if (!Files.isDirectory(p)) return false;
        try (var entries = Files.list(p)) {
            return entries.findAny().isEmpty();
        } catch (IOException e) {
            return false;
        }
    }

    private static void deleteTree(Path root) {
        try (var walk = Files.walk(root)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException e) {
            // best effort: a leftover .partial- directory holds only sealed blobs
        }
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }
}
