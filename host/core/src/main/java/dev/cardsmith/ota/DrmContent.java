package dev.cardsmith.ota;

import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;

/**
 * Protected content of the DRM flow (Fig. 4 E1): IV(16) || AES-128-CTR(content key, IV, content).
 * The content key travels only inside a license (OTA, ciphered under KIc) and from the SIM to the
 * trusted terminal (under the session key).
 */
public final class DrmContent {
    private DrmContent() {}

    private static final SecureRandom RNG = new SecureRandom();

    public static byte[] newContentKey() {
        byte[] k = new byte[16];
        RNG.nextBytes(k);
        return k;
    }

    public static byte[] encrypt(byte[] key, byte[] content) {
        byte[] iv = new byte[16];
        RNG.nextBytes(iv);
        byte[] ct = ctr(Cipher.ENCRYPT_MODE, key, iv, content);
        return CommandPacket.concat(iv, ct);
    }

    public static byte[] decrypt(byte[] key, byte[] blob) {
        if (blob.length < 16) throw new IllegalArgumentException("protected content shorter than its IV");
        return ctr(Cipher.DECRYPT_MODE, key, Arrays.copyOf(blob, 16), Arrays.copyOfRange(blob, 16, blob.length));
    }

    /** Key check value: first 3 bytes of AES-ECB(key, 0^16); identifies a key without revealing it. */
    public static String kcv(byte[] key) {
        try {
            Cipher c = Cipher.getInstance("AES/ECB/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"));
            return dev.cardsmith.crypto.Hex.of(Arrays.copyOf(c.doFinal(new byte[16]), 3));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] ctr(int mode, byte[] key, byte[] iv, byte[] data) {
        try {
            Cipher c = Cipher.getInstance("AES/CTR/NoPadding");
            c.init(mode, new SecretKeySpec(key, "AES"), new IvParameterSpec(iv));
            return c.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
