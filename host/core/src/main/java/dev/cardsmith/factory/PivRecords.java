package dev.cardsmith.factory;

import dev.cardsmith.crypto.Hex;
import dev.cardsmith.csp.PivIssuance;
import dev.cardsmith.store.Database;

import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.Optional;

/** The piv stage's record of one device (table {@code factory_piv}, V11): the sealed PIN mailer blob and the 9A certificate. */
public final class PivRecords implements PivIssuance.Records {

    /** One device's row, as the operator reads it back (the blob is sealed; nothing here is secret). */
    public record Row(String runId, int slot, String state, X509Certificate certificate, String mailer, byte[] sealed, String detail) {}

    private final Database db;
    private final String runId;
    private final int slot;

    public PivRecords(Database db, String runId, int slot) {
        this.db = db;
        this.runId = runId;
        this.slot = slot;
    }

    @Override
    public Optional<PivIssuance.Record> find() {
        return row(db, runId, slot).map(r -> new PivIssuance.Record(r.state(), PivIssuance.sha256(r.certificate())));
    }

    @Override
    public void sealed(byte[] sealed, String mailerFingerprint, X509Certificate certificate) {
        String der;
        try {
            der = Hex.of(certificate.getEncoded());
        } catch (CertificateEncodingException e) {
            throw new FactoryException(FactoryException.Kind.FAILURE, "cannot encode the 9A certificate", e);
        }
        String blob = Base64.getEncoder().encodeToString(sealed);
        String sha = PivIssuance.sha256(certificate);
        db.inTransaction(c -> {
            try (var del = c.prepareStatement("DELETE FROM factory_piv WHERE run_id = ? AND slot = ? AND state = 'SEALED'")) {
                FactoryStore.bind(del, runId, slot);
                del.executeUpdate();
            }
            try (var ps = c.prepareStatement("INSERT INTO factory_piv (run_id, slot, state, certificate, cert_sha256, mailer, sealed, updated_at) "
                    + "VALUES (?,?,'SEALED',?,?,?,?,?)")) {
                FactoryStore.bind(ps, runId, slot, der, sha, mailerFingerprint, blob, FactoryStore.now());
                ps.executeUpdate();
            }
            return null;
        });
    }

    @Override
    public void done() {
        state("DONE", null);
    }

    @Override
    public void lost(String reason) {
        if (row(db, runId, slot).isEmpty()) return; // nothing was sealed: the factory_device record carries the reason
        state("LOST", reason);
    }

    private void state(String state, String detail) {
        if (FactoryStore.update(db, "UPDATE factory_piv SET state = ?, detail = ?, updated_at = ? WHERE run_id = ? AND slot = ?",
                state, FactoryStore.clip(detail), FactoryStore.now(), runId, slot) != 1) {
            throw new FactoryException(FactoryException.Kind.FAILURE, "no piv record for run " + runId + " slot " + slot);
        }
    }

    public static Optional<Row> row(Database db, String runId, int slot) {
        return db.inTransaction(c -> {
            try (var ps = c.prepareStatement("SELECT state, certificate, mailer, sealed, detail FROM factory_piv WHERE run_id = ? AND slot = ?")) {
                FactoryStore.bind(ps, runId, slot);
                try (var rs = ps.executeQuery()) {
                    if (!rs.next()) return Optional.<Row>empty();
                    return Optional.of(new Row(runId, slot, rs.getString(1), PivLineCa.parse(Hex.parse(rs.getString(2))), rs.getString(3),
                            Base64.getDecoder().decode(rs.getString(4)), rs.getString(5)));
                }
            }
        });
    }

    /** Every piv record of a run, by slot. */
    public static java.util.List<Row> rows(Database db, String runId) {
        return db.inTransaction(c -> {
            java.util.List<Row> out = new java.util.ArrayList<>();
            try (var ps = c.prepareStatement("SELECT slot, state, certificate, mailer, sealed, detail FROM factory_piv WHERE run_id = ? ORDER BY slot")) {
                ps.setString(1, runId);
                try (var rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new Row(runId, rs.getInt(1), rs.getString(2), PivLineCa.parse(Hex.parse(rs.getString(3))), rs.getString(4),
                                Base64.getDecoder().decode(rs.getString(5)), rs.getString(6)));
                    }
                }
            }
            return out;
        });
    }
}
