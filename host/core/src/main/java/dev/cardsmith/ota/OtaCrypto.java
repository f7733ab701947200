package dev.cardsmith.ota;

import dev.cardsmith.crypto.Cmac;

import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.security.GeneralSecurityException;
import java.util.Arrays;

/**
 * Ciphering and cryptographic checksum of TS 102 225 5.1.2/5.1.3 for one key set: AES-CBC with a
 * zero IV and AES-CMAC (SP 800-38B, truncated to the leftmost 8 bytes), or two-key triple DES
 * outer-CBC and its CBC-MAC (zero padded, last block). JCE and BouncyCastle do the primitives.
 */
final class OtaCrypto {
    private OtaCrypto() {}

    static byte[] encrypt(OtaKeys keys, byte[] data) { return cbc(keys, Cipher.ENCRYPT_MODE, data); }

    static byte[] decrypt(OtaKeys keys, byte[] data) { return cbc(keys, Cipher.DECRYPT_MODE, data); }

    private static byte[] cbc(OtaKeys keys, int mode, byte[] data) {
        int bs = keys.algorithm().blockSize;
        if (data.length % bs != 0) throw new OtaSecurityException(0x05, "ciphered part is not a multiple of the block size");
        try {
            Cipher c = keys.algorithm() == OtaKeys.Algorithm.AES
                    ? Cipher.getInstance("AES/CBC/NoPadding") : Cipher.getInstance("DESede/CBC/NoPadding");
            c.init(mode, key(keys.algorithm(), keys.kic()), new IvParameterSpec(new byte[bs]));
            return c.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cipher unavailable: " + e.getMessage(), e);
        }
    }

    /** The 8-byte cryptographic checksum (CC) under KID. */
    static byte[] cc(OtaKeys keys, byte[] data) {
        if (keys.algorithm() == OtaKeys.Algorithm.AES) {
            return Arrays.copyOf(Cmac.aes(keys.kid(), data), 8);
        }
        byte[] padded = Arrays.copyOf(data, (data.length + 7) / 8 * 8);
        try {
            Cipher c = Cipher.getInstance("DESede/CBC/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, key(keys.algorithm(), keys.kid()), new IvParameterSpec(new byte[8]));
            byte[] ct = c.doFinal(padded);
            return Arrays.copyOfRange(ct, ct.length - 8, ct.length);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cipher unavailable: " + e.getMessage(), e);
        }
    }

    private static SecretKeySpec key(OtaKeys.Algorithm alg, byte[] k) {
        if (alg == OtaKeys.Algorithm.AES) return new SecretKeySpec(k, "AES");
        byte[] k3 = new byte[24]; // two-key 3DES: K1 || K2 || K1
        System.arraycopy(k, 0, k3, 0, 16);
        System.arraycopy(k, 0, k3, 16, 8);
        return new SecretKeySpec(k3, "DESede");
    }
}
