package dev.cardsmith.hsm;

import java.security.PublicKey;

/**
 * The HSM port: keys live behind it and are named by label; callers get public keys,
 * signatures and MACs, never private or secret key values. Back ends: {@link SoftwareHsm}
 * (password-protected PKCS#12 file, the embedded default) and PKCS#11 (SoftHSM2 in CI, any
 * vendor HSM in production). Every back end passes the same contract test.
 *
 * <p>Derivations whose output must leave the HSM (a diversified key that is sent to a card)
 * are built on {@link #aesCmac}, so the master key itself never leaves; see {@link HsmKdf}.
 */
public interface Hsm extends AutoCloseable {

    /** "pkcs12:/path/keystore.p12" or "pkcs11:token=…"; no secrets. */
    String describe();

    boolean contains(String label);

    /** Generates an AES key of {@code bits} (128/192/256) inside the HSM; fails if the label exists. */
    void generateAesKey(String label, int bits);

    /** Generates an EC P-256 key pair inside the HSM; returns its public key. */
    PublicKey generateEcKeyPair(String label);

    /** The public key of a key pair. */
    PublicKey publicKey(String label);

    /** ECDSA with SHA-256 over {@code data}; DER-encoded signature. */
    byte[] signSha256WithEcdsa(String label, byte[] data);

    /** AES-CMAC (16 bytes) of {@code data} under the AES key {@code label}. */
    byte[] aesCmac(String label, byte[] data);

    /** Destroys a key (both halves of a pair). */
    void delete(String label);

    @Override
    void close();
}
