package dev.cardsmith.hsm;

import java.security.PublicKey;

/**
 * The HSM port: keys live behind it and are named by label; callers get public keys,
 * signatures, MACs and <em>wrapped</em> keys, never private or secret key values. Back ends:
 * {@link SoftwareHsm} (password-protected PKCS#12 file, the embedded default) and
 * {@link Pkcs11Hsm} (SoftHSM2 in CI, any vendor HSM in production). Every back end passes the
 * same contract test ({@code HsmContractTest}) and produces the same wire formats, so a key
 * wrapped by one back end unwraps in the other.
 *
 * <p>Two kinds of keys: <b>persistent</b> keys (token objects / keystore entries) and
 * <b>session</b> keys (derived or unwrapped per operation; PKCS#11 session objects, memory-only
 * in the software back end) that vanish when the HSM is closed or {@link #delete}d.
 *
 * <p>Wire formats: AES keys wrapped under an AES key-encryption key with AES Key Wrap (RFC 3394,
 * {@code CKM_AES_KEY_WRAP}); private keys as PKCS#8 under AES Key Wrap with Padding (RFC 5649,
 * {@code CKM_AES_KEY_WRAP_PAD}); AES keys under an RSA public key with RSA-OAEP (SHA-1, MGF1-SHA-1,
 * empty label: the only OAEP variant SoftHSM2 2.6 accepts; OAEP with SHA-1 is not affected by
 * SHA-1 collision attacks).
 */
public interface Hsm extends AutoCloseable {

    /** What a label names. */
    enum KeyKind { AES, RSA_PRIVATE }

    /** "pkcs12:/path/keystore.p12" or "pkcs11:token=…"; no secrets. */
    String describe();

    boolean contains(String label);

    /**
     * Generates a persistent AES key of {@code bits} (128/192/256) inside the HSM; fails if the
     * label exists. The key never leaves the HSM, not even wrapped (PKCS#11: CKA_EXTRACTABLE=false).
     */
    void generateAesKey(String label, int bits);

    /**
     * Like {@link #generateAesKey(String, int)}; with {@code wrappable} the key may leave the HSM
     * <em>wrapped</em> ({@link #wrapKey}), never in clear (a key-management data block that must
     * reach another HSM, claim 16).
     */
    default void generateAesKey(String label, int bits, boolean wrappable) {
        if (wrappable) throw unsupported("wrappable key generation");
        generateAesKey(label, bits);
    }

    /** Generates an EC P-256 key pair inside the HSM; returns its public key. */
    PublicKey generateEcKeyPair(String label);

    /**
     * Generates a persistent RSA key pair (public exponent 65537) inside the HSM; returns its
     * public key. With {@code wrappable} the private key may leave wrapped (PKCS#8 under AES-KWP).
     */
    default PublicKey generateRsaKeyPair(String label, int bits, boolean wrappable) { throw unsupported("RSA key generation"); }

    /** {@link #generateRsaKeyPair(String, int, boolean)} with a private key that never leaves. */
    default PublicKey generateRsaKeyPair(String label, int bits) { return generateRsaKeyPair(label, bits, false); }

    /** The public key of a key pair (or an imported public key). */
    PublicKey publicKey(String label);

    /** Stores a peer's public key (no secret) so that keys can be wrapped for that peer. */
    default void importPublicKey(String label, PublicKey key) { throw unsupported("public key import"); }

    /**
     * Imports an AES key given in clear as a persistent, sensitive, non-extractable key (key
     * ceremony: a transport key agreed with the card issuer). The caller wipes {@code value}.
     */
    default void importAesKey(String label, byte[] value) { throw unsupported("AES key import"); }

    /** ECDSA with SHA-256 over {@code data}; DER-encoded signature. */
    byte[] signSha256WithEcdsa(String label, byte[] data);

    /** AES-CMAC (16 bytes) of {@code data} under the AES key {@code label}. */
    byte[] aesCmac(String label, byte[] data);

    /** {@code bytes} random bytes from the HSM's generator. */
    default byte[] generateRandom(int bytes) { throw unsupported("random generation"); }

    /** RSA-OAEP (SHA-1) encryption under the public key {@code label}. */
    default byte[] rsaOaepEncrypt(String label, byte[] data) { throw unsupported("RSA-OAEP"); }

    /** RSA-OAEP (SHA-1) decryption with the private key {@code label}; the caller wipes the result. */
    default byte[] rsaOaepDecrypt(String label, byte[] cryptogram) { throw unsupported("RSA-OAEP"); }

    /**
     * SP 800-108 counter-mode KDF with AES-CMAC (section 5.1 layout, 32-bit counter first) of
     * the AES key {@code masterLabel} into a new AES-128 <em>session</em> key {@code targetLabel}
     * (sensitive; extractable only wrapped). Bit-identical to {@code Sp800108.deriveKey(master,
     * label, context, 16)} and {@link HsmKdf#deriveKey}.
     */
    default void deriveAesKey(String masterLabel, byte[] label, byte[] context, String targetLabel) { throw unsupported("key derivation"); }

    /**
     * Wraps {@code keyLabel} under {@code wrappingLabel}: AES-KW (AES key) or AES-KWP (PKCS#8
     * private key) when the wrapping key is AES; RSA-OAEP when it is an RSA public key.
     */
    default byte[] wrapKey(String wrappingLabel, String keyLabel) { throw unsupported("key wrapping"); }

    /**
     * Unwraps into a new key {@code targetLabel} (the inverse of {@link #wrapKey}). Persistent
     * keys are sensitive and extractable only wrapped; an unwrapped private key brings its public
     * half under the same label.
     */
    default void unwrapKey(String unwrappingLabel, byte[] wrapped, String targetLabel, KeyKind kind, boolean persistent) { throw unsupported("key unwrapping"); }

    /** Destroys a key (both halves of a pair; persistent or session). */
    void delete(String label);

    @Override
    void close();

    // ---- added for seed 002 (the central system's key agreement, issue 13) --------------------

    /**
     * Generates an EC P-256 key-agreement key pair (ECDH; PKCS#11 CKA_DERIVE) inside the HSM:
     * persistent, or a session key that {@link #delete} or {@link #close} drops. The private key
     * never leaves. Returns the public key.
     */
    default PublicKey generateEcdhKeyPair(String label, boolean persistent) { throw unsupported("ECDH key generation"); }

    /**
     * ECDH (PKCS#11 CKM_ECDH1_DERIVE, no KDF) of the private key {@code label} with the peer's
     * uncompressed point 04||X||Y, which is checked on P-256 first: the x-coordinate (32 bytes),
     * which the caller feeds to its KDF and wipes.
     */
    default byte[] ecdh(String label, byte[] peerPoint) { throw unsupported("ECDH"); }

    /**
     * The operations added for seed 001 have defaults so that other implementations of the
     * port (test doubles) keep compiling; both real back ends implement all of them.
     */
    private HsmException unsupported(String what) {
        return new HsmException(what + " is not supported by " + describe());
    }
}
