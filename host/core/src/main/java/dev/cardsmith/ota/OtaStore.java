package dev.cardsmith.ota;

import dev.cardsmith.crypto.Hex;
import dev.cardsmith.hsm.Hsm;
import dev.cardsmith.hsm.HsmKdf;
import dev.cardsmith.store.Database;
import dev.cardsmith.store.StoreException;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The OTA server's tables (V6__ota.sql, V9__ota_keysets.sql): key sets per SIM (wrapped under an
 * HSM-derived KEK; the one given at registration is the default, more can be added by key index),
 * counters, messages and reported events.
 */
public final class OtaStore {

    /** The HSM label of the AES-256 key the SIM key sets are wrapped under (through {@link HsmKdf}). */
    public static final String KEK_LABEL = "ota-kek";
    private static final SecureRandom RNG = new SecureRandom();

    private final Database db;
    private final Hsm hsm;

    /** The HSM the store wraps its keys with (the OTA server's operator CA lives there too). */
    Hsm hsm() { return hsm; }

    public OtaStore(Database db, Hsm hsm) {
        this.db = db;
        this.hsm = hsm;
    }

    /** A registered SIM; {@link #keys()} is its default key set, {@link #keySets()} all of them. */
    public record SimRecord(String simId, OtaKeys keys, Spi.CounterMode counterMode, long counter, String trustState, int lastEventSeq,
                            OtaKeySets keySets) {
        /** The key set with this index (KIc and KID index); 0 means the default set. */
        public OtaKeys keySet(int index) {
            if (index == 0) return keys;
            for (OtaKeys k : keySets.all()) if (k.kicIndex() == index) return k;
            throw new StoreException("SIM " + simId + " has no OTA key set " + index + " (cardsmith ota add-keyset)");
        }
    }

    /**
     * Creates the key-encryption key in {@code hsm} unless it is there; true if it was created.
     * Callers decide when a new one may be minted (a new KEK cannot read key sets wrapped under
     * an old one): the CLI does it in {@code hsm init} or in development mode only.
     */
    public static boolean createKek(Hsm hsm) {
        if (hsm.contains(KEK_LABEL)) return false;
        hsm.generateAesKey(KEK_LABEL, 256);
        return true;
    }

    /**
     * Registers a SIM with its OTA key set, wrapped under the HSM's KEK. The KEK must exist
     * ({@link #createKek}): a new one minted here would silently split the store into key sets
     * that one HSM can read and others it cannot (issue 10).
     */
    public void register(String simId, OtaKeys keys, Spi.CounterMode mode) {
        if (!hsm.contains(KEK_LABEL)) {
            throw new StoreException("the HSM " + hsm.describe() + " holds no OTA key-encryption key '" + KEK_LABEL
                    + "': create it once (cardsmith hsm init, or OtaStore.createKek) before registering SIMs");
        }
        String wrapped = wrap(simId, simId, keyBytes(keys));
        String now = Instant.now().toString();
        db.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM ota_sim WHERE sim_id = ?")) {
                ps.setString(1, simId);
                if (ps.executeQuery().next()) throw new StoreException("SIM " + simId + " is already registered");
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO ota_sim (sim_id, algorithm, kic_index, kid_index, tar, keys_wrapped, "
                    + "counter_mode, counter, trust_state, last_event_seq, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)")) {
                ps.setString(1, simId);
                ps.setString(2, keys.algorithm().name());
                ps.setInt(3, keys.kicIndex());
                ps.setInt(4, keys.kidIndex());
                ps.setString(5, Hex.of(keys.tar()));
                ps.setString(6, wrapped);
                ps.setString(7, mode.name());
                ps.setLong(8, 0);
                ps.setString(9, "EMPTY");
                ps.setInt(10, 0);
                ps.setString(11, now);
                ps.setString(12, now);
                ps.executeUpdate();
            }
            return null;
        });
    }

    public Optional<SimRecord> find(String simId) {
        return db.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT algorithm, kic_index, kid_index, tar, keys_wrapped, counter_mode, counter, "
                    + "trust_state, last_event_seq FROM ota_sim WHERE sim_id = ?")) {
                ps.setString(1, simId);
                ResultSet rs = ps.executeQuery();
                if (!rs.next()) return Optional.<SimRecord>empty();
                byte[] tar = Hex.parse(rs.getString(4));
                OtaKeys keys = keys(OtaKeys.Algorithm.valueOf(rs.getString(1)), rs.getInt(2), rs.getInt(3), tar, OtaKeys.Crc.CRC32,
                        unwrap(simId, simId, rs.getString(5)));
                Spi.CounterMode mode = Spi.CounterMode.valueOf(rs.getString(6));
                long counter = rs.getLong(7);
                String trust = rs.getString(8);
                int lastEvent = rs.getInt(9);
                List<OtaKeys> sets = new ArrayList<>(List.of(keys));
                try (PreparedStatement ks = c.prepareStatement("SELECT key_index, algorithm, crc, keys_wrapped FROM ota_keyset WHERE sim_id = ? ORDER BY key_index")) {
                    ks.setString(1, simId);
                    ResultSet k = ks.executeQuery();
                    while (k.next()) {
                        int i = k.getInt(1);
                        sets.add(keys(OtaKeys.Algorithm.valueOf(k.getString(2)), i, i, tar, OtaKeys.Crc.valueOf(k.getString(3)),
                                unwrap(simId, keySetAad(simId, i), k.getString(4))));
                    }
                }
                return Optional.of(new SimRecord(simId, keys, mode, counter, trust, lastEvent, OtaKeySets.of(sets)));
            }
        });
    }

    /**
     * Adds a further key set to a registered SIM; packets built with it carry its index in KIc and
     * KID. Same TAR as the SIM's default set, one index (KIc = KID) not yet in use.
     */
    public void addKeySet(String simId, OtaKeys keys) {
        SimRecord sim = require(simId);
        if (keys.kicIndex() != keys.kidIndex()) throw new StoreException("a key set holds KIc and KID under one index");
        if (!Arrays.equals(keys.tar(), sim.keys().tar())) throw new StoreException("the key set's TAR differs from the SIM's " + Hex.of(sim.keys().tar()));
        for (OtaKeys k : sim.keySets().all()) {
            if (k.kicIndex() == keys.kicIndex() || k.kidIndex() == keys.kidIndex()) {
                throw new StoreException("SIM " + simId + " already has key set " + keys.kicIndex());
            }
        }
        String wrapped = wrap(simId, keySetAad(simId, keys.kicIndex()), keyBytes(keys));
        db.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO ota_keyset (sim_id, key_index, algorithm, crc, keys_wrapped, created_at) VALUES (?,?,?,?,?,?)")) {
                ps.setString(1, simId);
                ps.setInt(2, keys.kicIndex());
                ps.setString(3, keys.algorithm().name());
                ps.setString(4, keys.crc().name());
                ps.setString(5, wrapped);
                ps.setString(6, Instant.now().toString());
                ps.executeUpdate();
            }
            return null;
        });
    }

    private static byte[] keyBytes(OtaKeys keys) {
        if (keys.kic().length != keys.kid().length) throw new StoreException("KIc and KID of a key set have one length");
        return CommandPacket.concat(keys.kic(), keys.kid());
    }

    private static OtaKeys keys(OtaKeys.Algorithm alg, int kicIndex, int kidIndex, byte[] tar, OtaKeys.Crc crc, byte[] k) {
        try {
            int half = k.length / 2;
            return new OtaKeys(alg, kicIndex, Arrays.copyOf(k, half), kidIndex, Arrays.copyOfRange(k, half, k.length), tar, crc);
        } finally {
            Arrays.fill(k, (byte) 0);
        }
    }

    private static String keySetAad(String simId, int index) { return simId + "#keyset" + index; }

    public SimRecord require(String simId) {
        return find(simId).orElseThrow(() -> new StoreException("SIM " + simId + " is not registered (cardsmith ota add-sim)"));
    }

    /**
     * Reserves the next counter and records the message intent in one transaction, before the
     * packet leaves: a counter is never used twice, even after a crash.
     */
    public long reserveCounter(String simId, String command, String messageId) {
        String now = Instant.now().toString();
        return db.inTransaction(c -> {
            // Increment first: the UPDATE takes the row's write lock, so two stations sending to
            // the same SIM at once (PostgreSQL) can never read the same counter.
            try (PreparedStatement ps = c.prepareStatement("UPDATE ota_sim SET counter = counter + 1, updated_at = ? WHERE sim_id = ?")) {
                ps.setString(1, now);
                ps.setString(2, simId);
                if (ps.executeUpdate() != 1) throw new StoreException("SIM " + simId + " is not registered");
            }
            long next;
            try (PreparedStatement ps = c.prepareStatement("SELECT counter FROM ota_sim WHERE sim_id = ?")) {
                ps.setString(1, simId);
                ResultSet rs = ps.executeQuery();
                rs.next();
                next = rs.getLong(1);
            }
            if (next > 0xFF_FFFF_FFFFL) throw new StoreException("OTA counter of " + simId + " is exhausted");
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO ota_message (id, sim_id, command, counter, spi, packet_bytes, sms_count, "
                    + "por_status, state, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)")) {
                ps.setString(1, messageId);
                ps.setString(2, simId);
                ps.setString(3, command);
                ps.setLong(4, next);
                ps.setString(5, "----");
                ps.setInt(6, 0);
                ps.setInt(7, 0);
                ps.setObject(8, null);
                ps.setString(9, "PREPARED");
                ps.setString(10, now);
                ps.setString(11, now);
                ps.executeUpdate();
            }
            return next;
        });
    }

    public void messageBuilt(String messageId, Spi spi, int packetBytes, int smsCount) {
        messageBuilt(messageId, spi, packetBytes, smsCount, 0);
    }

    /** Records how a message was built; {@code keyIndex} 0 is the SIM's default key set. */
    public void messageBuilt(String messageId, Spi spi, int packetBytes, int smsCount, int keyIndex) {
        update("UPDATE ota_message SET spi = ?, packet_bytes = ?, sms_count = ?, key_index = ?, updated_at = ? WHERE id = ?",
                spi.toString(), packetBytes, smsCount, keyIndex == 0 ? null : keyIndex, Instant.now().toString(), messageId);
    }

    public void messageResult(String messageId, Integer porStatus, String state) {
        update("UPDATE ota_message SET por_status = ?, state = ?, updated_at = ? WHERE id = ?", porStatus, state, Instant.now().toString(), messageId);
    }

    public void trustState(String simId, String state) {
        update("UPDATE ota_sim SET trust_state = ?, updated_at = ? WHERE sim_id = ?", state, Instant.now().toString(), simId);
    }

    /** Records an event once; returns false when its sequence number was already seen (replay). */
    public boolean recordEvent(String simId, SimStatus.Event e) {
        return db.inTransaction(c -> {
            int last;
            try (PreparedStatement ps = c.prepareStatement("SELECT last_event_seq FROM ota_sim WHERE sim_id = ?")) {
                ps.setString(1, simId);
                ResultSet rs = ps.executeQuery();
                if (!rs.next()) throw new StoreException("SIM " + simId + " is not registered");
                last = rs.getInt(1);
            }
            if (e.seq() <= last) return false;
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO ota_event (sim_id, seq, event_type, generation, event_date, received_at) VALUES (?,?,?,?,?,?)")) {
                ps.setString(1, simId);
                ps.setInt(2, e.seq());
                ps.setString(3, e.typeName());
                ps.setInt(4, e.generation());
                ps.setString(5, e.date().toString());
                ps.setString(6, Instant.now().toString());
                ps.executeUpdate();
            }
            try (PreparedStatement ps = c.prepareStatement("UPDATE ota_sim SET last_event_seq = ?, updated_at = ? WHERE sim_id = ?")) {
                ps.setInt(1, e.seq());
                ps.setString(2, Instant.now().toString());
                ps.setString(3, simId);
                ps.executeUpdate();
            }
            return true;
        });
    }

    private void update(String sql, Object... args) {
        db.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                for (int i = 0; i < args.length; i++) ps.setObject(i + 1, args[i]);
                ps.executeUpdate();
            }
            return null;
        });
    }

    private byte[] kek(String simId) {
        return HsmKdf.deriveKey(hsm, KEK_LABEL, "cardsmith-ota-keyset".getBytes(StandardCharsets.US_ASCII),
                simId.getBytes(StandardCharsets.UTF_8), 32);
    }

    private String wrap(String simId, String aad, byte[] secret) {
        byte[] kek = kek(simId);
        try {
            byte[] iv = new byte[12];
            RNG.nextBytes(iv);
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(kek, "AES"), new GCMParameterSpec(128, iv));
            c.updateAAD(aad.getBytes(StandardCharsets.UTF_8));
            return Hex.of(CommandPacket.concat(iv, c.doFinal(secret)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM unavailable", e);
        } finally {
            Arrays.fill(kek, (byte) 0);
            Arrays.fill(secret, (byte) 0);
        }
    }

    private byte[] unwrap(String simId, String aad, String hex) {
        byte[] kek = kek(simId);
        try {
            byte[] all = Hex.parse(hex);
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(kek, "AES"), new GCMParameterSpec(128, all, 0, 12));
            c.updateAAD(aad.getBytes(StandardCharsets.UTF_8));
            return c.doFinal(all, 12, all.length - 12);
        } catch (GeneralSecurityException e) {
            throw new StoreException("OTA keys of " + simId + " cannot be unwrapped (wrong HSM/keystore?)");
        } finally {
            Arrays.fill(kek, (byte) 0);
        }
    }

    static String newId() { return UUID.randomUUID().toString(); }
}
