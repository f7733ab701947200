package dev.cardsmith.csp;

import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;
import java.security.GeneralSecurityException;

/**
 * The card management key's block cipher for the 9B challenge-response (SP 800-78-4: 3DES,
 * AES-128/192/256), one block in ECB as SP 800-73-4 Part 2 Appendix A.1 prescribes.
 */
final class ManagementCipher {

    /** The well-known factory management key of PIV cards (3DES 0102..08 three times): development only. */
    static final byte[] FACTORY_DEFAULT = java.util.HexFormat.of().parseHex("010203040506070801020304050607080102030405060708");

    private final SecretKeySpec key;
    private final String transformation;

    private ManagementCipher(SecretKeySpec key, String transformation) {
        this.key = key;
        this.transformation = transformation;
    }

    static ManagementCipher of(int pivAlgorithm, byte[] key) {
        int want = switch (pivAlgorithm) {
            case 0x03 -> 24;
            case 0x08 -> 16;
            case 0x0A -> 24;
            case 0x0C -> 32;
            default -> throw new CspException("unsupported management key algorithm " + pivAlgorithm);
        };
        if (key.length != want) throw new IllegalArgumentException("the card's management key is " + want + " bytes");
        return pivAlgorithm == 0x03 ? new ManagementCipher(new SecretKeySpec(key, "DESede"), "DESede/ECB/NoPadding")
                : new ManagementCipher(new SecretKeySpec(key, "AES"), "AES/ECB/NoPadding");
    }

    byte[] encrypt(byte[] block) { return run(Cipher.ENCRYPT_MODE, block); }

    byte[] decrypt(byte[] block) { return run(Cipher.DECRYPT_MODE, block); }

    private byte[] run(int mode, byte[] block) {
        try {
            Cipher c = Cipher.getInstance(transformation);
            c.init(mode, key);
            return c.doFinal(block);
        } catch (GeneralSecurityException e) {
            throw new CspException("management key operation failed: " + e.getMessage(), e);
        }
    }
}
