package dev.cardsmith.module;

import dev.cardsmith.crypto.Rng;
import dev.cardsmith.store.Database;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;

/** JDBC repository of system 002 (V4__module.sql): certificates, module registry, TANs, sessions. */
public final class ModuleStore {

    /** Wrong TANs a module may present before all its TANs are blocked (claim 17: limited tries). */
    public static final int MAX_TAN_FAILURES = 3;
    private static final HexFormat HEX = HexFormat.of();

    private final Database db;

    public ModuleStore(Database db) {
        this.db = db;
    }

    public Database database() {
        return db;
    }

    /** Certificate by its holder reference and encoded form, to reconcile an interrupted personalization. */
    public Optional<CvCertificate> certificate(byte[] encoded) {
        return db.inTransaction(conn -> {
            try (PreparedStatement q = conn.prepareStatement("SELECT certificate FROM module_certificate WHERE cert_id = ?")) {
                q.setString(1, sha256Hex(encoded));
                try (ResultSet rs = q.executeQuery()) {
                    return rs.next() ? Optional.of(CvCertificate.parse(HEX.parseHex(rs.getString(1)))) : Optional.<CvCertificate>empty();
                }
            }
        });
    }

    // ---- certificates --------------------------------------------------------------------------

    public void saveCertificate(CvCertificate c) {
        db.inTransaction(conn -> {
            String id = sha256Hex(c.encoded());
            try (PreparedStatement q = conn.prepareStatement("SELECT 1 FROM module_certificate WHERE cert_id = ?")) {
                q.setString(1, id);
                try (ResultSet rs = q.executeQuery()) { if (rs.next()) return null; }
            }
            long seq;
            try (PreparedStatement q = conn.prepareStatement("SELECT COALESCE(MAX(seq), 0) FROM module_certificate");
                 ResultSet rs = q.executeQuery()) {
                rs.next();
                seq = rs.getLong(1) + 1;
            }
            try (PreparedStatement ins = conn.prepareStatement("INSERT INTO module_certificate (cert_id, seq, role, car, chr, public_key, "
                    + "effective_date, expiry_date, certificate, issued_at) VALUES (?,?,?,?,?,?,?,?,?,?)")) {
                ins.setString(1, id);
                ins.setLong(2, seq);
                ins.setString(3, c.role().name());
                ins.setString(4, c.car());
                ins.setString(5, c.chr());
                ins.setString(6, HEX.formatHex(c.publicPoint()));
                ins.setString(7, c.effective().toString());
                ins.setString(8, c.expiry().toString());
                ins.setString(9, c.hex());
                ins.setString(10, Instant.now().toString());
                ins.executeUpdate();
            }
            return null;
        });
    }

    /** The latest certificate of {@code role} for holder {@code chr} issued by {@code car} (null = any). */
    public Optional<CvCertificate> latest(CvCertificate.Role role, String car, String chr) {
        return db.inTransaction(conn -> {
            StringBuilder sql = new StringBuilder("SELECT certificate FROM module_certificate WHERE role = ?");
            if (car != null) sql.append(" AND car = ?");
            if (chr != null) sql.append(" AND chr = ?");
            sql.append(" ORDER BY seq DESC");
            try (PreparedStatement q = conn.prepareStatement(sql.toString())) {
                int i = 1;
                q.setString(i++, role.name());
                if (car != null) q.setString(i++, car);
                if (chr != null) q.setString(i, chr);
                q.setMaxRows(1);
                try (ResultSet rs = q.executeQuery()) {
                    return rs.next() ? Optional.of(CvCertificate.parse(HEX.parseHex(rs.getString(1)))) : Optional.<CvCertificate>empty();
                }
            }
        });
    }

    /** The latest module certificate the perso unit issued for this module key. */
    public Optional<CvCertificate> moduleCertificateForKey(byte[] point) {
        return db.inTransaction(conn -> {
            try (PreparedStatement q = conn.prepareStatement("SELECT certificate FROM module_certificate WHERE role = ? AND public_key = ? ORDER BY seq DESC")) {
                q.setString(1, CvCertificate.Role.MODULE.name());
                q.setString(2, HEX.formatHex(point));
                q.setMaxRows(1);
                try (ResultSet rs = q.executeQuery()) {
                    return rs.next() ? Optional.of(CvCertificate.parse(HEX.parseHex(rs.getString(1)))) : Optional.<CvCertificate>empty();
                }
            }
        });
    }

    public List<CvCertificate> allCertificates() {
        return db.inTransaction(conn -> {
            List<CvCertificate> out = new ArrayList<>();
            try (PreparedStatement q = conn.prepareStatement("SELECT certificate FROM module_certificate ORDER BY seq");
                 ResultSet rs = q.executeQuery()) {
                while (rs.next()) out.add(CvCertificate.parse(HEX.parseHex(rs.getString(1))));
            }
            return out;
        });
    }

    // ---- registry ------------------------------------------------------------------------------

    public record ModuleRecord(String moduleId, String identityChr, String state, String moduleChr,
                               String modulePublicKey, String persoUnit, String appliance, int personalizations, int tanFailures) {}

    public void enroll(String moduleId, CvCertificate identity) {
        db.inTransaction(conn -> {
            if (find(conn, moduleId).isPresent()) return null;
            try (PreparedStatement ins = conn.prepareStatement("INSERT INTO module_registry (module_id, identity_chr, identity_certificate, state, "
                    + "personalizations, tan_failures, updated_at) VALUES (?,?,?,'ENROLLED',0,0,?)")) {
                ins.setString(1, moduleId);
                ins.setString(2, identity.chr());
                ins.setString(3, identity.hex());
                ins.setString(4, Instant.now().toString());
                ins.executeUpdate();
            }
            return null;
        });
    }

    public Optional<ModuleRecord> module(String moduleId) {
        return db.inTransaction(conn -> find(conn, moduleId));
    }

    private static Optional<ModuleRecord> find(Connection conn, String moduleId) throws SQLException {
        try (PreparedStatement q = conn.prepareStatement("SELECT module_id, identity_chr, state, module_chr, module_public_key, perso_unit, "
                + "appliance, personalizations, tan_failures FROM module_registry WHERE module_id = ?")) {
            q.setString(1, moduleId);
            try (ResultSet rs = q.executeQuery()) {
                if (!rs.next()) return Optional.empty();
                return Optional.of(new ModuleRecord(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                        rs.getString(6), rs.getString(7), rs.getInt(8), rs.getInt(9)));
            }
        }
    }

    public void personalized(String moduleId, CvCertificate moduleCert, String appliance) {
        db.inTransaction(conn -> {
            try (PreparedStatement u = conn.prepareStatement("UPDATE module_registry SET state = 'PERSONALIZED', module_chr = ?, module_public_key = ?, "
                    + "perso_unit = ?, appliance = ?, personalizations = personalizations + 1, updated_at = ? WHERE module_id = ?")) {
                u.setString(1, moduleCert.chr());
                u.setString(2, HEX.formatHex(moduleCert.publicPoint()));
                u.setString(3, moduleCert.car());
                u.setString(4, appliance);
                u.setString(5, Instant.now().toString());
                u.setString(6, moduleId);
                u.executeUpdate();
            }
            return null;
        });
    }

    public void reset(String moduleId) {
        db.inTransaction(conn -> {
            try (PreparedStatement u = conn.prepareStatement("UPDATE module_registry SET state = 'RESET', module_chr = NULL, module_public_key = NULL, "
                    + "updated_at = ? WHERE module_id = ?")) {
                u.setString(1, Instant.now().toString());
                u.setString(2, moduleId);
                u.executeUpdate();
            }
            return null;
        });
    }

    // ---- TANs ----------------------------------------------------------------------------------

    /**
     * Stores a new TAN for the module as a fresh salt and {@code hasher(salt)} (TanIssuer: a
     * CMAC in the HSM) and clears its failure counter.
     */
    public void addTan(String moduleId, Function<byte[], byte[]> hasher) {
        byte[] salt = Rng.bytes(16);
        byte[] hash = hasher.apply(salt);
        db.inTransaction(conn -> {
            if (find(conn, moduleId).isEmpty()) throw new ModuleException("module " + moduleId + " is not enrolled");
            try (PreparedStatement ins = conn.prepareStatement("INSERT INTO module_tan (tan_id, module_id, salt, hash, status, issued_at) "
                    + "VALUES (?,?,?,?,'ISSUED',?)")) {
                ins.setString(1, UUID.randomUUID().toString());
                ins.setString(2, moduleId);
                ins.setString(3, HEX.formatHex(salt));
                ins.setString(4, HEX.formatHex(hash));
                ins.setString(5, Instant.now().toString());
                ins.executeUpdate();
            }
            try (PreparedStatement u = conn.prepareStatement("UPDATE module_registry SET tan_failures = 0 WHERE module_id = ?")) {
                u.setString(1, moduleId);
                u.executeUpdate();
            }
            return null;
        });
    }

    public enum TanCheck { ACCEPTED, WRONG, BLOCKED }

    /**
     * Checks a TAN the module forwarded, given as {@code hasher} (salt to stored form): a
     * matching ISSUED TAN becomes USED (single use). A mismatch counts; at
     * {@link #MAX_TAN_FAILURES} every open TAN of the module is blocked.
     */
    public TanCheck useTan(String moduleId, Function<byte[], byte[]> hasher) {
        return db.inTransaction(conn -> {
            Optional<ModuleRecord> m = find(conn, moduleId);
            if (m.isEmpty()) return TanCheck.WRONG;
            if (m.get().tanFailures() >= MAX_TAN_FAILURES) return TanCheck.BLOCKED;
            String match = null;
            try (PreparedStatement q = conn.prepareStatement("SELECT tan_id, salt, hash FROM module_tan WHERE module_id = ? AND status = 'ISSUED'")) {
                q.setString(1, moduleId);
                try (ResultSet rs = q.executeQuery()) {
                    while (rs.next()) {
                        byte[] h = hasher.apply(HEX.parseHex(rs.getString(2)));
                        if (MessageDigest.isEqual(h, HEX.parseHex(rs.getString(3)))) match = rs.getString(1);
                    }
                }
            }
            if (match != null) {
                try (PreparedStatement u = conn.prepareStatement("UPDATE module_tan SET status = 'USED', used_at = ? WHERE tan_id = ?")) {
                    u.setString(1, Instant.now().toString());
                    u.setString(2, match);
                    u.executeUpdate();
                }
                return TanCheck.ACCEPTED;
            }
            int failures = m.get().tanFailures() + 1;
            try (PreparedStatement u = conn.prepareStatement("UPDATE module_registry SET tan_failures = ? WHERE module_id = ?")) {
                u.setInt(1, failures);
                u.setString(2, moduleId);
                u.executeUpdate();
            }
            if (failures >= MAX_TAN_FAILURES) {
                try (PreparedStatement u = conn.prepareStatement("UPDATE module_tan SET status = 'BLOCKED' WHERE module_id = ? AND status = 'ISSUED'")) {
                    u.setString(1, moduleId);
                    u.executeUpdate();
                }
                return TanCheck.BLOCKED;
            }
            return TanCheck.WRONG;
        });
    }

    /** TAN counts by status, for tests and status output. */
    public int countTans(String moduleId, String status) {
        return db.inTransaction(conn -> {
            try (PreparedStatement q = conn.prepareStatement("SELECT COUNT(*) FROM module_tan WHERE module_id = ? AND status = ?")) {
                q.setString(1, moduleId);
                q.setString(2, status);
                try (ResultSet rs = q.executeQuery()) { rs.next(); return rs.getInt(1); }
            }
        });
    }

    // ---- central-system transaction keys (V7): the key in the HSM, its label and counter here ----

    /** The transaction key agreed with a module: its HSM label and the counter of the last transaction. */
    public record CentralKey(String moduleId, String label, long counter) {}

    public Optional<CentralKey> centralKey(String moduleId) {
        return db.inTransaction(conn -> {
            try (PreparedStatement q = conn.prepareStatement("SELECT key_label, counter FROM module_central_key WHERE module_id = ?")) {
                q.setString(1, moduleId);
                try (ResultSet rs = q.executeQuery()) {
                    return rs.next() ? Optional.of(new CentralKey(moduleId, rs.getString(1), rs.getLong(2))) : Optional.<CentralKey>empty();
                }
            }
        });
    }

    /** Records a newly agreed key (counter 0), replacing the module's earlier one. */
    public void saveCentralKey(String moduleId, String label) {
        db.inTransaction(conn -> {
            deleteCentralKey(conn, moduleId);
            try (PreparedStatement ins = conn.prepareStatement("INSERT INTO module_central_key (module_id, key_label, counter, agreed_at) VALUES (?,?,0,?)")) {
                ins.setString(1, moduleId);
                ins.setString(2, label);
                ins.setString(3, Instant.now().toString());
                ins.executeUpdate();
            }
            return null;
        });
    }

    /** The counter of the last transaction the module received under its current key. */
    public void advanceCentralCounter(String moduleId, long counter) {
        db.inTransaction(conn -> {
            try (PreparedStatement u = conn.prepareStatement("UPDATE module_central_key SET counter = ? WHERE module_id = ? AND counter < ?")) {
                u.setLong(1, counter);
                u.setString(2, moduleId);
                u.setLong(3, counter);
                u.executeUpdate();
            }
            return null;
        });
    }

    public void forgetCentralKey(String moduleId) {
        db.inTransaction(conn -> {
            deleteCentralKey(conn, moduleId);
            return null;
        });
    }

    private static void deleteCentralKey(Connection conn, String moduleId) throws SQLException {
        try (PreparedStatement d = conn.prepareStatement("DELETE FROM module_central_key WHERE module_id = ?")) {
            d.setString(1, moduleId);
            d.executeUpdate();
        }
    }

    // ---- appliances (V7): registered public keys, HELLO nonces seen ----

    /** Registers (or re-keys) an appliance the perso unit serves remotely. */
    public void registerAppliance(String applianceId, byte[] point) {
        CvCertificate.point(point); // on the curve
        db.inTransaction(conn -> {
            try (PreparedStatement d = conn.prepareStatement("DELETE FROM module_appliance WHERE appliance_id = ?")) {
                d.setString(1, applianceId);
                d.executeUpdate();
            }
            try (PreparedStatement ins = conn.prepareStatement("INSERT INTO module_appliance (appliance_id, public_key, registered_at) VALUES (?,?,?)")) {
                ins.setString(1, applianceId);
                ins.setString(2, HEX.formatHex(point));
                ins.setString(3, Instant.now().toString());
                ins.executeUpdate();
            }
            return null;
        });
    }

    public Optional<byte[]> appliancePoint(String applianceId) {
        return db.inTransaction(conn -> {
            try (PreparedStatement q = conn.prepareStatement("SELECT public_key FROM module_appliance WHERE appliance_id = ?")) {
                q.setString(1, applianceId);
                try (ResultSet rs = q.executeQuery()) {
                    return rs.next() ? Optional.of(HEX.parseHex(rs.getString(1))) : Optional.<byte[]>empty();
                }
            }
        });
    }

    /** Records a HELLO nonce; false when it was seen before (a replayed HELLO). */
    public boolean useHelloNonce(String nonceHex, String applianceId) {
        return db.inTransaction(conn -> {
            try (PreparedStatement q = conn.prepareStatement("SELECT 1 FROM module_appliance_nonce WHERE nonce = ?")) {
                q.setString(1, nonceHex);
                try (ResultSet rs = q.executeQuery()) { if (rs.next()) return false; }
            }
            try (PreparedStatement ins = conn.prepareStatement("INSERT INTO module_appliance_nonce (nonce, appliance_id, seen_at) VALUES (?,?,?)")) {
                ins.setString(1, nonceHex);
                ins.setString(2, applianceId);
                ins.setString(3, Instant.now().toString());
                ins.executeUpdate();
            }
            return true;
        });
    }

    // ---- sessions ------------------------------------------------------------------------------

    public void recordSession(String moduleId, String kind, boolean ok, String appliance, String detail) {
        db.inTransaction(conn -> {
            try (PreparedStatement ins = conn.prepareStatement("INSERT INTO module_session (session_id, module_id, kind, outcome, appliance, detail, created_at) "
                    + "VALUES (?,?,?,?,?,?,?)")) {
                ins.setString(1, UUID.randomUUID().toString());
                ins.setString(2, moduleId == null ? "?" : moduleId);
                ins.setString(3, kind);
                ins.setString(4, ok ? "OK" : "FAILED");
                ins.setString(5, appliance);
                ins.setString(6, detail == null ? null : detail.length() > 500 ? detail.substring(0, 500) : detail);
                ins.setString(7, Instant.now().toString());
                ins.executeUpdate();
            }
            return null;
        });
    }

    public int countSessions(String moduleId, String kind, boolean ok) {
        return db.inTransaction(conn -> {
            try (PreparedStatement q = conn.prepareStatement("SELECT COUNT(*) FROM module_session WHERE module_id = ? AND kind = ? AND outcome = ?")) {
                q.setString(1, moduleId);
                q.setString(2, kind);
                q.setString(3, ok ? "OK" : "FAILED");
                try (ResultSet rs = q.executeQuery()) { rs.next(); return rs.getInt(1); }
            }
        });
    }

    static String sha256Hex(byte[] b) {
        try {
            return HEX.formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
