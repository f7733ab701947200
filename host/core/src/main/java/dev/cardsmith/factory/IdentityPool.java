package dev.cardsmith.factory;

import dev.cardsmith.codec.Imei;
import dev.cardsmith.store.Database;
import dev.cardsmith.vault.PublicDatabase;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * Where device identities come from: an IMEI range ({@code FIRST-LAST}, check digits computed),
 * an ICCID range (the sim stage's SIM IDs, {@link #iccidRange}) or a CSV file (first column). An identity is allocated in the database, to one run and slot,
 * before the card is written; the primary key on the identity makes it exist once over every
 * pool, run and station, so two stations can never hand out the same one. An identity a vault
 * device already carries (provisioned outside the line) is marked ELSEWHERE and skipped.
 */
public final class IdentityPool {

    /** Thrown when the pool has no identity left; the device is not started. */
    public static final class ExhaustedException extends FactoryException {
        ExhaustedException(String message) { super(Kind.EXHAUSTED, message); }
    }

    private final Database db;
    /** Where the device records and identity bindings live (the single-device commands' public database); null: none to check. */
    private final PublicDatabase publicDb;
    private final String name;
    /** IMEI or ICCID range: the first and last bodies (without check digit); -1 for a CSV pool. */
    private final long first;
    private final long last;
    /** Digits of a body of the range: 14 (IMEI) or 18 (ICCID); its Luhn check digit follows. */
    private final int bodyDigits;

    private IdentityPool(Database db, PublicDatabase publicDb, String name, long first, long last) {
        this(db, publicDb, name, first, last, 14);
    }

    private IdentityPool(Database db, PublicDatabase publicDb, String name, long first, long last, int bodyDigits) {
        this.db = db;
        this.publicDb = publicDb;
        this.name = name;
        this.first = first;
        this.last = last;
        this.bodyDigits = bodyDigits;
    }

    public String name() { return name; }

    /**
     * {@code FIRST-LAST}, two IMEIs (15 digits with check digit, or 14 without). The pool lives in
     * the line's database {@code db}; an identity already bound to a chip in {@code publicDb} (a
     * single-device provision) is never handed out.
     */
    public static IdentityPool imeiRange(Database db, PublicDatabase publicDb, String range) {
        String[] parts = range == null ? new String[0] : range.split("-");
        if (parts.length != 2) throw new FactoryException(FactoryException.Kind.USAGE, "identity range '" + range + "': expected FIRST-LAST (two IMEIs)");
        String a = Imei.normalize(parts[0]);
        String b = Imei.normalize(parts[1]);
        long first = Long.parseLong(a.substring(0, 14));
        long last = Long.parseLong(b.substring(0, 14));
        if (last < first) throw new FactoryException(FactoryException.Kind.USAGE, "identity range '" + range + "': the last IMEI is before the first");
        return new IdentityPool(db, publicDb, "imei:" + a + "-" + b, first, last);
    }

    /**
     * {@code FIRST-LAST}, two ICCIDs (ITU-T E.118: {@code 89}, then 17 digits, then the Luhn check
     * digit - 19 digits, or 18 without the check digit, which is then computed): the sim stage's
     * SIM IDs, allocated like IMEIs (in the line's database before the card is written, never twice).
     */
    public static IdentityPool iccidRange(Database db, String range) {
        String[] parts = range == null ? new String[0] : range.split("-");
        if (parts.length != 2) throw new FactoryException(FactoryException.Kind.USAGE, "ICCID range '" + range + "': expected FIRST-LAST (two ICCIDs)");
        String a = iccid(parts[0]);
        String b = iccid(parts[1]);
        long first = Long.parseLong(a.substring(0, 18));
        long last = Long.parseLong(b.substring(0, 18));
        if (last < first) throw new FactoryException(FactoryException.Kind.USAGE, "ICCID range '" + range + "': the last ICCID is before the first");
        return new IdentityPool(db, null, "iccid:" + a + "-" + b, first, last, 18);
    }

    /** An ICCID as typed: spaces dropped, 18 digits completed with their check digit; 89 prefix and Luhn checked. */
    static String iccid(String typed) {
        String d = typed.replace(" ", "").strip();
        if (d.matches("[0-9]{18}")) d = d + Imei.luhnCheckDigit(d);
        if (!d.matches("89[0-9]{17}")) {
            throw new FactoryException(FactoryException.Kind.USAGE, "invalid ICCID '" + typed + "': expected 19 digits starting with 89 (18 without the check digit)");
        }
        int expected = Imei.luhnCheckDigit(d.substring(0, 18));
        if (expected != d.charAt(18) - '0') {
            throw new FactoryException(FactoryException.Kind.USAGE, "invalid ICCID '" + typed + "': Luhn check digit should be " + expected);
        }
        return d;
    }

    /** A CSV file whose first column is one identity per line (IMEIs are checked; a header line is skipped). */
    public static IdentityPool csv(Database db, PublicDatabase publicDb, Path file) {
        List<String> ids = new ArrayList<>();
        byte[] raw;
        try {
            raw = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new FactoryException(FactoryException.Kind.USAGE, "cannot read identities " + file + ": " + e.getMessage());
        }
        int line = 0;
        for (String l : new String(raw, StandardCharsets.UTF_8).split("\\R")) {
            line++;
            String id = l.split(",", 2)[0].strip();
            if (id.isEmpty() || (line == 1 && !id.matches("[0-9 -]+"))) continue;
            try {
                ids.add(Imei.normalize(id));
            } catch (IllegalArgumentException e) {
                throw new FactoryException(FactoryException.Kind.USAGE, file + " line " + line + ": " + e.getMessage());
            }
        }
        if (ids.isEmpty()) throw new FactoryException(FactoryException.Kind.USAGE, "identities " + file + " holds no identity");
        String name = "csv:" + file.getFileName() + ":" + sha256(raw).substring(0, 16);
        IdentityPool pool = new IdentityPool(db, publicDb, name, -1, -1);
        pool.load(ids);
        return pool;
    }

    private void load(List<String> ids) {
        db.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO factory_identity (identity, pool, seq, state, updated_at) "
                    + "VALUES (?,?,?,'FREE',?) ON CONFLICT (identity) DO NOTHING")) {
                String now = FactoryStore.now();
                for (int i = 0; i < ids.size(); i++) {
                    FactoryStore.bind(ps, ids.get(i), name, (long) i, now);
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            return null;
        });
    }

    /**
     * The identity of {@code (runId, slot)}: the one already allocated to it (a resumed device
     * keeps its identity), else a FREE one of this pool, else the next one of the range. The
     * look-ups and the claim are one transaction; an identity the public database already binds
     * (provisioned outside the line) is then marked ELSEWHERE and the next one is taken.
     */
    public String allocate(String runId, int slot) {
        for (int contended = 0; contended < 1000; ) {
            Claim claim = db.inTransaction(c -> claim(c, runId, slot));
            if (claim == null) {
                contended++; // another station took that FREE one first
                continue;
            }
            if (claim.resumed() || !provisionedElsewhere(claim.identity())) return claim.identity();
            setState(claim.identity(), "ELSEWHERE"); // provisioned outside the line (device provision): never handed out
        }
        throw new FactoryException(FactoryException.Kind.FAILURE, "could not allocate an identity from " + name + " (too much contention)");
    }

    private record Claim(String identity, boolean resumed) {}

    /** In the caller's transaction: the slot's identity, or a newly claimed one; null when another station claimed the FREE one first. */
    private Claim claim(Connection c, String runId, int slot) throws SQLException {
        Optional<String> mine = FactoryStore.first(c, "SELECT identity FROM factory_identity WHERE run_id = ? AND slot = ?", runId, slot);
        if (mine.isPresent()) return new Claim(mine.get(), true);
        Optional<String> free = FactoryStore.first(c, "SELECT identity FROM factory_identity WHERE pool = ? AND state = 'FREE' ORDER BY seq", name);
        if (free.isPresent()) {
            // conditional update: only one station's UPDATE finds the row still FREE
            boolean claimed = FactoryStore.update(c, "UPDATE factory_identity SET state = 'ALLOCATED', run_id = ?, slot = ?, updated_at = ? "
                    + "WHERE identity = ? AND state = 'FREE'", runId, slot, FactoryStore.now(), free.get()) == 1;
            return claimed ? new Claim(free.get(), false) : null;
        }
        if (first < 0) throw exhausted();
        long next = FactoryStore.first(c, "SELECT MAX(seq) FROM factory_identity WHERE pool = ?", name)
                .map(max -> Math.max(first, Long.parseLong(max) + 1)).orElse(first);
        for (; next <= last; next++) { // taken: by another station of this pool, by another pool, or outside the line
            String body = String.format("%0" + bodyDigits + "d", next);
            String identity = body + Imei.luhnCheckDigit(body);
            if (FactoryStore.update(c, "INSERT INTO factory_identity (identity, pool, seq, state, run_id, slot, updated_at) "
                    + "VALUES (?,?,?,'ALLOCATED',?,?,?) ON CONFLICT (identity) DO NOTHING", identity, name, next, runId, slot, FactoryStore.now()) == 1) {
                return new Claim(identity, false);
            }
        }
        throw exhausted();
    }

    private ExhaustedException exhausted() {
        return new ExhaustedException("identities " + name + " are used up: give a new --imei-range, --iccid-range or --identities file");
    }

    /** The device failed before its card was written: the identity goes back to the pool. */
    public static void release(Database db, String identity, String runId, int slot) {
        FactoryStore.update(db, "UPDATE factory_identity SET state = 'FREE', run_id = NULL, slot = NULL, updated_at = ? "
                + "WHERE identity = ? AND run_id = ? AND slot = ? AND state = 'ALLOCATED'", FactoryStore.now(), identity, runId, slot);
    }

    /** The device is done: its identity is used for good (in the caller's transaction). */
    static void markUsed(Connection c, String identity, String runId, int slot) throws SQLException {
        FactoryStore.update(c, "UPDATE factory_identity SET state = 'USED', updated_at = ? WHERE identity = ? AND run_id = ? AND slot = ?",
                FactoryStore.now(), identity, runId, slot);
    }

    /** Whether the public database already binds this identity to a chip (provisioned by a single-device command, not by the line). */
    private boolean provisionedElsewhere(String identity) {
        return publicDb != null && publicDb.boundChip(identity).isPresent();
    }

    private void setState(String identity, String state) {
        FactoryStore.update(db, "UPDATE factory_identity SET state = ?, run_id = NULL, slot = NULL, updated_at = ? WHERE identity = ?",
                state, FactoryStore.now(), identity);
    }

    /** Allocated or used identities of a pool (for reports and tests). */
    public int taken() {
        return Integer.parseInt(FactoryStore.first(db, "SELECT COUNT(*) FROM factory_identity WHERE pool = ? AND state <> 'FREE'", name).orElse("0"));
    }

    private static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
