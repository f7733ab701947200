package dev.cardsmith.psd;

import dev.cardsmith.store.Database;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The access server's PSD tables (V3__psd.sql). Holds cryptograms and versions, never keys. */
public final class PsdStore {

    public enum State { ISSUING, ISSUED, REPLACING }

    /** One PSD; {@code pendingKrkVersion}/{@code pendingCryptogramHex}: a KRK change in flight (V7). */
    public record Row(String psdId, String cryptogramHex, String rsaKeyLabel, int krkVersion,
                      Integer mkVersion, Integer pendingMkVersion, State state, Integer pendingKrkVersion, String pendingCryptogramHex) {}

    private static final String COLUMNS = "psd_id, cryptogram, rsa_key_label, krk_version, mk_version, pending_mk_version, state, pending_krk_version, pending_cryptogram";

    private final Database db;

    public PsdStore(Database db) {
        this.db = db;
    }

    public Database database() { return db; }

    public Optional<Row> find(String psdId) {
        return db.inTransaction(c -> find(c, psdId));
    }

    private static Optional<Row> find(Connection c, String psdId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM psd_device WHERE psd_id = ?")) {
            ps.setString(1, psdId);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) return Optional.empty();
                return Optional.of(row(rs));
            }
        }
    }

    private static Row row(ResultSet rs) throws SQLException {
        Integer mk = rs.getObject(5) == null ? null : rs.getInt(5);
        Integer pending = rs.getObject(6) == null ? null : rs.getInt(6);
        Integer pendingKrk = rs.getObject(8) == null ? null : rs.getInt(8);
        return new Row(rs.getString(1), rs.getString(2), rs.getString(3), rs.getInt(4), mk, pending, State.valueOf(rs.getString(7)), pendingKrk, rs.getString(9));
    }

    public List<Row> all() {
        return db.inTransaction(c -> {
            List<Row> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM psd_device ORDER BY psd_id");
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) out.add(row(rs));
            }
            return out;
        });
    }

    /** Intent before INJECT KEYS (claims 6, 29): the cryptogram with the PSD ID, state ISSUING. */
    public void recordIssuing(String psdId, String cryptogramHex, String rsaKeyLabel, int krkVersion, int mkVersion) {
        db.inTransaction(c -> {
            Optional<Row> existing = find(c, psdId);
            if (existing.isPresent() && existing.get().state() != State.ISSUING) {
                throw new PsdException("PSD " + psdId + " is already issued in the store");
            }
            String now = Instant.now().toString();
            if (existing.isPresent()) {
                try (PreparedStatement ps = c.prepareStatement("UPDATE psd_device SET cryptogram = ?, rsa_key_label = ?, krk_version = ?, pending_mk_version = ?, updated_at = ? WHERE psd_id = ?")) {
                    ps.setString(1, cryptogramHex);
                    ps.setString(2, rsaKeyLabel);
                    ps.setInt(3, krkVersion);
                    ps.setInt(4, mkVersion);
                    ps.setString(5, now);
                    ps.setString(6, psdId);
                    ps.executeUpdate();
                }
            } else {
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO psd_device (psd_id, cryptogram, rsa_key_label, krk_version, mk_version, pending_mk_version, state, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?)")) {
                    ps.setString(1, psdId);
                    ps.setString(2, cryptogramHex);
                    ps.setString(3, rsaKeyLabel);
                    ps.setInt(4, krkVersion);
                    ps.setNull(5, Types.INTEGER);
                    ps.setInt(6, mkVersion);
                    ps.setString(7, State.ISSUING.name());
                    ps.setString(8, now);
                    ps.setString(9, now);
                    ps.executeUpdate();
                }
            }
            event(c, psdId, "issue-intent", "mk v" + mkVersion + ", krk v" + krkVersion);
            return null;
        });
    }

    /** The card holds MK {@code mkVersion} (confirmed by its cryptogram): ISSUED, nothing pending. */
    public void markIssued(String psdId, int mkVersion, String event) {
        update(psdId, "UPDATE psd_device SET mk_version = ?, pending_mk_version = NULL, state = 'ISSUED', updated_at = ? WHERE psd_id = ?", mkVersion, event);
    }

    /** Intent before REPLACE MK. */
    public void markReplacing(String psdId, int pendingVersion) {
        update(psdId, "UPDATE psd_device SET pending_mk_version = ?, state = 'REPLACING', updated_at = ? WHERE psd_id = ?", pendingVersion, "replace-intent");
    }

    /** Intent before CHANGE KRK: the new cryptogram and KRK version wait beside the current ones. */
    public void markKrkChanging(String psdId, String cryptogramHex, int krkVersion) {
        db.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE psd_device SET pending_cryptogram = ?, pending_krk_version = ?, updated_at = ? WHERE psd_id = ?")) {
                ps.setString(1, cryptogramHex);
                ps.setInt(2, krkVersion);
                ps.setString(3, Instant.now().toString());
                ps.setString(4, psdId);
                if (ps.executeUpdate() != 1) throw new PsdException("PSD " + psdId + " is not in the store");
            }
            event(c, psdId, "krk-change-intent", "krk v" + krkVersion);
            return null;
        });
    }

    /** The card holds KRK {@code krkVersion}: the pending cryptogram becomes the PSD's cryptogram. */
    public void markKrkChanged(String psdId, int krkVersion) {
        update(psdId, "UPDATE psd_device SET cryptogram = pending_cryptogram, krk_version = ?, pending_cryptogram = NULL, pending_krk_version = NULL, updated_at = ? "
                + "WHERE psd_id = ? AND pending_cryptogram IS NOT NULL", krkVersion, "krk-changed", "krk v");
    }

    /** The KRK change never reached the card: the pending cryptogram is dropped. */
    public void clearKrkPending(String psdId, int keptVersion) {
        update(psdId, "UPDATE psd_device SET pending_cryptogram = NULL, pending_krk_version = NULL, krk_version = ?, updated_at = ? WHERE psd_id = ?",
                keptVersion, "krk-change-abandoned", "krk v");
    }

    private void update(String psdId, String sql, int version, String event) {
        update(psdId, sql, version, event, "mk v");
    }

    private void update(String psdId, String sql, int version, String event, String detail) {
        db.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                ps.setInt(1, version);
                ps.setString(2, Instant.now().toString());
                ps.setString(3, psdId);
                if (ps.executeUpdate() != 1) throw new PsdException("PSD " + psdId + " is not in the store");
            }
            event(c, psdId, event, detail + version);
            return null;
        });
    }

    /** Forgets an issuance that never reached the card (reconcile of a card still INSTALLED). */
    public void deleteIssuing(String psdId) {
        db.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM psd_device WHERE psd_id = ? AND state = 'ISSUING'")) {
                ps.setString(1, psdId);
                ps.executeUpdate();
            }
            event(c, psdId, "issue-abandoned", "card never received keys");
            return null;
        });
    }

    public void recordBlock(String kind, int version, String label) {
        db.inTransaction(c -> {
            try (PreparedStatement q = c.prepareStatement("SELECT 1 FROM psd_key_block WHERE kind = ? AND version = ?")) {
                q.setString(1, kind);
                q.setInt(2, version);
                try (ResultSet rs = q.executeQuery()) {
                    if (rs.next()) return null;
                }
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO psd_key_block (kind, version, hsm_label, created_at) VALUES (?,?,?,?)")) {
                ps.setString(1, kind);
                ps.setInt(2, version);
                ps.setString(3, label);
                ps.setString(4, Instant.now().toString());
                ps.executeUpdate();
            }
            return null;
        });
    }

    public List<String> events(String psdId) {
        return db.inTransaction(c -> {
            List<String> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT event_name, detail FROM psd_event WHERE psd_id = ? ORDER BY occurred_at")) {
                ps.setString(1, psdId);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) out.add(rs.getString(1) + (rs.getString(2) == null ? "" : " (" + rs.getString(2) + ")"));
                }
            }
            return out;
        });
    }

    private static void event(Connection c, String psdId, String event, String detail) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO psd_event (psd_id, occurred_at, event_name, detail) VALUES (?,?,?,?)")) {
            ps.setString(1, psdId);
            ps.setString(2, Instant.now().toString());
            ps.setString(3, event);
            ps.setString(4, detail);
            ps.executeUpdate();
        }
    }

    public void event(String psdId, String event, String detail) {
        db.inTransaction(c -> {
            event(c, psdId, event, detail);
            return null;
        });
    }

    // ------------------------------------------------------------------ key-transfer files (V7)

    /** Pins the KMS signing key (public). A different key already pinned is kept unless {@code replace}. */
    public void pinKms(String fingerprint, String publicKeyHex, boolean replace) {
        db.inTransaction(c -> {
            Optional<String> current = pinned(c);
            if (current.isPresent() && !current.get().equals(fingerprint) && !replace) {
                throw new PsdException("another KMS signing key is pinned (" + current.get() + "); re-pin deliberately");
            }
            try (PreparedStatement d = c.prepareStatement("DELETE FROM psd_kms_trust")) {
                d.executeUpdate();
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO psd_kms_trust (fingerprint, public_key, pinned_at) VALUES (?,?,?)")) {
                ps.setString(1, fingerprint);
                ps.setString(2, publicKeyHex);
                ps.setString(3, Instant.now().toString());
                ps.executeUpdate();
            }
            event(c, "-", "kms-pinned", fingerprint);
            return null;
        });
    }

    private static Optional<String> pinned(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT fingerprint FROM psd_kms_trust");
             ResultSet rs = ps.executeQuery()) {
            return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
        }
    }

    /** The pinned KMS signing public key (hex DER), if any. */
    public Optional<String> pinnedKmsKey() {
        return db.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT public_key FROM psd_kms_trust");
                 ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
            }
        });
    }

    /** The highest export sequence imported so far (0: none). */
    public long lastTransferSequence() {
        return db.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT MAX(sequence) FROM psd_key_transfer");
                 ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getLong(1) : 0L;
            }
        });
    }

    public void recordTransfer(long sequence, String signer, int mkLatest, int krkLatest) {
        db.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO psd_key_transfer (sequence, signer, mk_latest, krk_latest, imported_at) VALUES (?,?,?,?,?)")) {
                ps.setLong(1, sequence);
                ps.setString(2, signer);
                ps.setInt(3, mkLatest);
                ps.setInt(4, krkLatest);
                ps.setString(5, Instant.now().toString());
                ps.executeUpdate();
            }
            event(c, "-", "key-transfer-imported", "#" + sequence + " mk v" + mkLatest + " krk v" + krkLatest);
            return null;
        });
    }
}
