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
 * The permanent public database (claims 1, 2, 9, 17, 25, 26). Append-only: {@link #append}
 * is the one write and it inserts the next version inside one transaction; there is no update
 * or delete. Anyone may read it (see {@link PublicDbHttpServer}).
 */
public final class PublicDatabase implements BackupSource {
    private final Database db;

    public PublicDatabase(Database db) {
        this.db = db;
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
