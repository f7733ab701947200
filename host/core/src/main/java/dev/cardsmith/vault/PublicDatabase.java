package dev.cardsmith.vault;

import dev.cardsmith.crypto.Hex;
import dev.cardsmith.store.Database;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The permanent public database (claims 1, 2, 9, 17, 25, 26): device records and the binding of
 * each device identity to one chip, nothing else ({@link Database.Schema#PUBLIC}; the operation
 * journal and every other private record live in the operations store). Device records are
 * append-only: {@link #append} inserts the next version inside one transaction; there is no
 * update or delete. An identity binding changes only through {@link #reassign}, which keeps the
 * history. Anyone may read it (see {@link PublicDbHttpServer}).
 */
public final class PublicDatabase implements BackupSource {
    private final Database db;

    /** Wraps {@code db} and applies the public migrations to it (a no-op when they are applied). */
    public PublicDatabase(Database db) {
        this.db = db;
        db.migrate(Database.Schema.PUBLIC);
    }

    /** Opens (creating it when missing) a database that holds the public schema only. */
    public static PublicDatabase open(String jdbcUrl) {
        return new PublicDatabase(Database.open(jdbcUrl, Database.Schema.PUBLIC));
    }

    /** Opens an existing public database (readers such as recovery never create one). */
    public static PublicDatabase openExisting(String jdbcUrl) {
        return new PublicDatabase(Database.openExisting(jdbcUrl, Database.Schema.PUBLIC));
    }

    /** Runs one INSERT/UPDATE with String/Integer parameters; returns the row count. */
    private static int execute(Connection c, String sql, Object... params) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                if (params[i] == null) ps.setNull(i + 1, java.sql.Types.VARCHAR); // typed: PostgreSQL needs it
                else ps.setObject(i + 1, params[i]);
            }
            return ps.executeUpdate();
        }
    }

    /** The first column of the first row of a one-parameter query, if any. */
    private static Optional<String> first(Connection c, String sql, String param) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, param);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.ofNullable(rs.getString(1)) : Optional.empty();
            }
        }
    }

    /** One entry of an identity's binding history. */
    public record Binding(String identity, int seq, String action, String chipId, String previousChipId,
                          String reason, String createdAt) {}

    /** The chip a device identity is bound to, if any. */
    public Optional<String> boundChip(String identity) {
        return db.inTransaction(c -> boundChip(c, identity));
    }

    private static Optional<String> boundChip(Connection c, String identity) throws SQLException {
        return first(c, "SELECT chip_id FROM vault_identity WHERE device_identity = ?", identity);
    }

    /**
     * Binds {@code identity} to {@code chipIdHex} unless it is bound already: to the same chip
     * that is a no-op (a re-run), to another chip a refusal ({@link VaultException.Kind#IDENTITY_BOUND}).
     * The primary key on the identity makes the refusal hold between stations sharing the database.
     */
    public void bindIdentity(String identity, String chipIdHex) {
        String chip = chipIdHex.toUpperCase(java.util.Locale.ROOT);
        try {
            db.inTransaction(c -> {
                Optional<String> bound = boundChip(c, identity);
                if (bound.isPresent()) {
                    if (!bound.get().equals(chip)) throw alreadyBound(identity, bound.get());
                    return null;
                }
                String now = Instant.now().toString();
                execute(c, "INSERT INTO vault_identity (device_identity, chip_id, assigned_at) VALUES (?,?,?)", identity, chip, now);
                appendHistory(c, identity, "bind", chip, null, null, now);
                return null;
            });
        } catch (dev.cardsmith.store.StoreException e) {
            // another station bound it between our read and our insert
            Optional<String> bound = boundChip(identity);
            if (bound.isPresent() && !bound.get().equals(chip)) throw alreadyBound(identity, bound.get());
            throw e;
        }
    }

    private static VaultException alreadyBound(String identity, String chip) {
        return new VaultException(VaultException.Kind.IDENTITY_BOUND, "device identity " + identity
                + " is already bound to chip " + chip + "; moving it to another chip is 'cardsmith device reassign --imei "
                + identity + " --to CHIP-ID --reason TEXT'");
    }

    /**
     * Moves a bound identity to another chip, the one explicit way to do so; the history keeps
     * the old binding. Returns the chip it was bound to.
     */
    public String reassign(String identity, String toChipIdHex, String reason) {
        String to = toChipIdHex.toUpperCase(java.util.Locale.ROOT);
        if (!to.matches("[0-9A-F]{32}")) throw new VaultException(VaultException.Kind.INPUT, "chip ID must be 32 hex digits");
        if (reason == null || reason.isBlank()) throw new VaultException(VaultException.Kind.INPUT, "a reassignment needs a reason");
        return db.inTransaction(c -> {
            String from = boundChip(c, identity).orElseThrow(() -> new VaultException(VaultException.Kind.NOT_FOUND,
                    "device identity " + identity + " is not bound to any chip; provision binds it"));
            if (from.equals(to)) throw new VaultException(VaultException.Kind.INPUT, "device identity " + identity + " is already bound to chip " + to);
            String now = Instant.now().toString();
            if (execute(c, "UPDATE vault_identity SET chip_id = ?, assigned_at = ? WHERE device_identity = ? AND chip_id = ?",
                    to, now, identity, from) != 1) {
                throw new SQLException("binding changed concurrently");
            }
            appendHistory(c, identity, "reassign", to, from, reason, now);
            return from;
        });
    }

    private static void appendHistory(Connection c, String identity, String action, String chip, String previous,
                                      String reason, String now) throws SQLException {
        int seq = first(c, "SELECT MAX(seq) FROM vault_identity_history WHERE device_identity = ?", identity)
                .map(Integer::parseInt).orElse(0) + 1;
        execute(c, "INSERT INTO vault_identity_history (device_identity, seq, action, chip_id, previous_chip_id, reason, created_at) "
                + "VALUES (?,?,?,?,?,?,?)", identity, seq, action, chip, previous, reason, now);
    }

    /** The agreement key recorded for a chip at its first provisioning, if any. */
    public Optional<byte[]> agreementKey(String chipIdHex) {
        return db.inTransaction(c -> agreementKey(c, chipIdHex.toUpperCase(java.util.Locale.ROOT)));
    }

    private static Optional<byte[]> agreementKey(Connection c, String chip) throws SQLException {
        return first(c, "SELECT agreement_key_hex FROM vault_chip WHERE chip_id = ?", chip).map(Hex::parse);
    }

    /**
     * Records the chip's agreement key at its first provisioning (trust on first use at the
     * factory), and refuses a chip ID that presents another key later
     * ({@link VaultException.Kind#VERIFICATION}): the data package is sealed to this key.
     */
    public void pinAgreementKey(String chipIdHex, byte[] agreementKey) {
        String chip = chipIdHex.toUpperCase(java.util.Locale.ROOT);
        db.inTransaction(c -> {
            Optional<byte[]> known = agreementKey(c, chip);
            if (known.isPresent()) {
                if (!java.util.Arrays.equals(known.get(), agreementKey)) {
                    throw new VaultException(VaultException.Kind.VERIFICATION, "chip " + chip + " presents another agreement key than "
                            + "at its first provisioning: a substituted chip or a relaying reader; nothing was sealed to it");
                }
                return null;
            }
            execute(c, "INSERT INTO vault_chip (chip_id, agreement_key_hex, first_seen) VALUES (?,?,?)",
                    chip, Hex.of(agreementKey), Instant.now().toString());
            return null;
        });
    }

    /** Every binding of an identity, oldest first. */
    public List<Binding> identityHistory(String identity) {
        return db.inTransaction(c -> {
            List<Binding> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT device_identity, seq, action, chip_id, previous_chip_id, reason, created_at "
                    + "FROM vault_identity_history WHERE device_identity = ? ORDER BY seq")) {
                ps.setString(1, identity);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new Binding(rs.getString(1), rs.getInt(2), rs.getString(3), rs.getString(4), rs.getString(5),
                                rs.getString(6), rs.getString(7)));
                    }
                }
            }
            return out;
        });
    }

    /** Stores a new version for the chip; returns its number (1 for the first). */
    public int append(byte[] chipId, String identity, BackupPackage backup, DeviceCertificate certificate) {
        String chip = Hex.of(chipId);
        return db.inTransaction(c -> {
            int next = 1;
            try (PreparedStatement ps = c.prepareStatement("SELECT MAX(version) FROM vault_device WHERE chip_id = ?")) {
                ps.setString(1, chip);
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) next = rs.getInt(1) + 1;
                }
            }
            insert(c, new DeviceRecord(chip, next, identity, backup.packageVersion(), backup.encoded(),
                    certificate.encoded(), Instant.now().toString()));
            return next;
        });
    }

    /** The raw insert; a duplicate (chip_id, version) fails in the database. Package-private for tests. */
    static void insert(Connection c, DeviceRecord r) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO vault_device (chip_id, version, device_identity, package_version, backup_hex, certificate_hex, created_at) "
                        + "VALUES (?,?,?,?,?,?,?)")) {
            ps.setString(1, r.chipId());
            ps.setInt(2, r.version());
            ps.setString(3, r.identity());
            ps.setInt(4, r.packageVersion());
            ps.setString(5, Hex.of(r.backup()));
            ps.setString(6, Hex.of(r.certificate()));
            ps.setString(7, r.createdAt());
            ps.executeUpdate();
        }
    }

    public Database database() { return db; }

    @Override
    public Optional<DeviceRecord> latest(String chipIdHex) {
        List<DeviceRecord> all = history(chipIdHex);
        return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
    }

    /** Every version of a chip, oldest first. */
    public List<DeviceRecord> history(String chipIdHex) {
        return db.inTransaction(c -> {
            List<DeviceRecord> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT chip_id, version, device_identity, package_version, backup_hex, certificate_hex, created_at "
                            + "FROM vault_device WHERE chip_id = ? ORDER BY version")) {
                ps.setString(1, chipIdHex.toUpperCase(java.util.Locale.ROOT));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new DeviceRecord(rs.getString(1), rs.getInt(2), rs.getString(3), rs.getInt(4),
                                Hex.parse(rs.getString(5)), Hex.parse(rs.getString(6)), rs.getString(7)));
                    }
                }
            }
            return out;
        });
    }

    @Override
    public String describe() {
        return "public database";
    }
}
