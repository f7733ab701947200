package dev.cardsmith.vault;

import dev.cardsmith.crypto.EcP256;
import dev.cardsmith.crypto.Hex;
import dev.cardsmith.hsm.Hsm;
import dev.cardsmith.hsm.HsmKdf;
import dev.cardsmith.store.Database;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.interfaces.ECPrivateKey;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.Arrays;
import java.util.Optional;
import java.util.UUID;

/**
 * The secure database of pre-generated device key pairs (claims 7, 15). Lives in its own
 * database (never the public one). Private keys are wrapped: nonce(12) || AES-256-GCM(K_wrap, S)
 * with K_wrap = SP 800-108 KDF(HSM AES key {@value VaultKeys#POOL}, label, entry id) computed
 * inside the HSM; the AAD binds id and public key, so a row cannot be swapped with another.
 */
public final class KeyPool {
    private static final byte[] WRAP_LABEL = "cardsmith vault pool wrap".getBytes(StandardCharsets.US_ASCII);
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A reserved pool entry: the key pair for one device. Zero it with {@link #destroy()}. */
    public static final class Entry {
        private final String id;
        private final byte[] privateKey;
        private final byte[] publicKey;

        Entry(String id, byte[] privateKey, byte[] publicKey) {
            this.id = id;
            this.privateKey = privateKey;
            this.publicKey = publicKey;
        }

        public String id() { return id; }
        byte[] privateKey() { return privateKey; }
        public byte[] publicKey() { return publicKey.clone(); }
        public void destroy() { Arrays.fill(privateKey, (byte) 0); }
        @Override public String toString() { return "KeyPool.Entry[" + id + "]"; }
    }

    private final Database db;
    private final Hsm hsm;

    public KeyPool(Database db, Hsm hsm) {
        this.db = db;
        this.hsm = hsm;
    }

    /** Generates {@code count} key pairs into the pool; returns the new pool size. */
    public int generate(int count) {
        if (count < 1 || count > 100_000) throw new IllegalArgumentException("--count must be 1..100000");
        new VaultKeys(hsm).ensurePool();
        for (int i = 0; i < count; i++) {
            KeyPair kp = EcP256.generate();
            String id = UUID.randomUUID().toString();
            byte[] pub = EcP256.encode(kp.getPublic());
            byte[] priv = EcP256.encodePrivate((ECPrivateKey) kp.getPrivate());
            byte[] wrapped = wrap(id, pub, priv);
            Arrays.fill(priv, (byte) 0);
            db.inTransaction(c -> {
                try (PreparedStatement ps = c.prepareStatement(
                        "INSERT INTO vault_key_pool (id, public_key_hex, wrapped_private_hex, wrap_key_label, state, reserved_for, created_at) "
                                + "VALUES (?,?,?,?,'AVAILABLE',NULL,?)")) {
                    ps.setString(1, id);
                    ps.setString(2, Hex.of(pub));
                    ps.setString(3, Hex.of(wrapped));
                    ps.setString(4, VaultKeys.POOL);
                    ps.setString(5, Instant.now().toString());
                    ps.executeUpdate();
                }
                return null;
            });
        }
        return available();
    }

    public int available() {
        return count("AVAILABLE");
    }

    public int count(String state) {
        return db.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM vault_key_pool WHERE state = ?")) {
                ps.setString(1, state);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getInt(1);
                }
            }
        });
    }

    /** Takes the oldest available key pair and marks it reserved for the chip. */
    public Entry reserve(String chipIdHex) {
        Optional<String[]> row = Optional.empty();
        // another station may take the same row between SELECT and UPDATE: then try the next one
        for (int attempt = 0; attempt < 5 && row.isEmpty(); attempt++) {
            row = tryReserve(chipIdHex);
            if (row.isEmpty() && available() == 0) break;
        }
        String[] r = row.orElseThrow(() -> new VaultException(VaultException.Kind.NOT_FOUND,
                "the key pool is empty: run 'cardsmith device pool generate --count N'"));
        byte[] pub = Hex.parse(r[1]);
        return new Entry(r[0], unwrap(r[0], pub, Hex.parse(r[2])), pub);
    }

    private Optional<String[]> tryReserve(String chipIdHex) {
        return db.inTransaction(c -> {
            String id;
            String pub;
            String wrapped;
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT id, public_key_hex, wrapped_private_hex FROM vault_key_pool WHERE state = 'AVAILABLE' ORDER BY created_at, id LIMIT 1")) {
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) return Optional.empty();
                    id = rs.getString(1);
                    pub = rs.getString(2);
                    wrapped = rs.getString(3);
                }
            }
            try (PreparedStatement ps = c.prepareStatement(
                    "UPDATE vault_key_pool SET state = 'RESERVED', reserved_for = ? WHERE id = ? AND state = 'AVAILABLE'")) {
                ps.setString(1, chipIdHex);
                ps.setString(2, id);
                if (ps.executeUpdate() != 1) return Optional.empty();
            }
            return Optional.of(new String[] {id, pub, wrapped});
        });
    }

    /** Puts a reserved entry back (the card never received it). */
    public void release(String id) {
        db.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "UPDATE vault_key_pool SET state = 'AVAILABLE', reserved_for = NULL WHERE id = ? AND state = 'RESERVED'")) {
                ps.setString(1, id);
                ps.executeUpdate();
            }
            return null;
        });
    }

    /** Claim 7: removes the entry once the backup package of its device is stored. */
    public void delete(String id) {
        db.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM vault_key_pool WHERE id = ?")) {
                ps.setString(1, id);
                ps.executeUpdate();
            }
            return null;
        });
    }

    /**
     * Claim 7 after a resumed provision: removes the entry reserved for {@code chipIdHex} whose
     * public key is the one the chip holds (its backup is now stored). Returns how many were removed.
     */
    public int deleteReserved(String chipIdHex, byte[] publicKey) {
        return db.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "DELETE FROM vault_key_pool WHERE state = 'RESERVED' AND reserved_for = ? AND public_key_hex = ?")) {
                ps.setString(1, chipIdHex);
                ps.setString(2, Hex.of(publicKey));
                return ps.executeUpdate();
            }
        });
    }

    public boolean contains(String id) {
        return db.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM vault_key_pool WHERE id = ?")) {
                ps.setString(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next();
                }
            }
        });
    }

    private byte[] wrapKey(String id) {
        return HsmKdf.deriveKey(hsm, VaultKeys.POOL, WRAP_LABEL, id.getBytes(StandardCharsets.US_ASCII), 32);
    }

    private static byte[] aad(String id, byte[] pub) {
        byte[] idb = id.getBytes(StandardCharsets.US_ASCII);
        byte[] a = Arrays.copyOf(idb, idb.length + pub.length);
        System.arraycopy(pub, 0, a, idb.length, pub.length);
        return a;
    }

    private byte[] wrap(String id, byte[] pub, byte[] priv) {
        byte[] k = wrapKey(id);
        try {
            byte[] nonce = new byte[12];
            RANDOM.nextBytes(nonce);
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(k, "AES"), new GCMParameterSpec(128, nonce));
            c.updateAAD(aad(id, pub));
            byte[] ct = c.doFinal(priv);
            byte[] out = Arrays.copyOf(nonce, 12 + ct.length);
            System.arraycopy(ct, 0, out, 12, ct.length);
            return out;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot wrap pool key", e);
        } finally {
            Arrays.fill(k, (byte) 0);
        }
    }

    private byte[] unwrap(String id, byte[] pub, byte[] wrapped) {
        byte[] k = wrapKey(id);
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(k, "AES"), new GCMParameterSpec(128, wrapped, 0, 12));
            c.updateAAD(aad(id, pub));
            return c.doFinal(wrapped, 12, wrapped.length - 12);
        } catch (GeneralSecurityException e) {
            throw new VaultException(VaultException.Kind.VERIFICATION, "pool entry " + id + " does not unwrap under " + VaultKeys.POOL);
        } finally {
            Arrays.fill(k, (byte) 0);
        }
    }
}
