package dev.cardsmith.psd;

import java.util.Map;
import java.util.TreeMap;

/**
 * What the key management server sends the access server (claims 16, 27-28, 29, 35): a fresh
 * key-transfer key (KTK, AES-256) wrapped with RSA-OAEP to the access server's import key, the
 * MK data blocks and the KRK data blocks (every version) under the KTK (RFC 3394), the KMS public key (public,
 * in clear) and, for post-issuance replacement, the KMS private key under the KTK (RFC 5649,
 * PKCS#8). Nothing in it is usable without the access server's HSM.
 */
public record KeyTransfer(byte[] wrappedKtk, Map<Integer, byte[]> wrappedMkBlocks, Map<Integer, byte[]> wrappedKrkBlocks,
                          byte[] publicKey, byte[] wrappedPrivateKey) {
    public KeyTransfer {
        wrappedMkBlocks = new TreeMap<>(wrappedMkBlocks);
        wrappedKrkBlocks = new TreeMap<>(wrappedKrkBlocks);
    }

    public boolean includesPrivateKey() { return wrappedPrivateKey != null; }
}
