package dev.cardsmith.ota;

import dev.cardsmith.applet.sim.Constants;
import dev.cardsmith.crypto.Cmac;

import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.zip.CRC32;

/**
 * Ciphering, cryptographic checksum and redundancy check of TS 102 225 5.1.2/5.1.3 and annex B:
 * AES-CBC with a zero IV and AES-CMAC (SP 800-38B, leftmost 8 bytes); DES-CBC, two- and three-key
 * triple DES outer-CBC with a zero IV and their CBC-MAC (zero padded, last block); CRC-16 and
 * CRC-32 of ISO/IEC 13239. JCE and BouncyCastle do the primitives.
 */
final class OtaCrypto {
    private OtaCrypto() {}

    static byte[] encrypt(OtaKeys keys, byte[] data) { return cbc(keys.algorithm(), keys.kic(), Cipher.ENCRYPT_MODE, data); }

    static byte[] decrypt(OtaKeys keys, byte[] data) { return cbc(keys.algorithm(), keys.kic(), Cipher.DECRYPT_MODE, data); }

    private static byte[] cbc(OtaKeys.Algorithm alg, byte[] key, int mode, byte[] data) {
        int bs = alg.blockSize;
        if (data.length % bs != 0) throw new OtaSecurityException(Constants.POR_CIPHERING_ERROR, "ciphered part is not a multiple of the block size");
        try {
            Cipher c = Cipher.getInstance(transformation(alg) + "/CBC/NoPadding");
            c.init(mode, key(alg, key), new IvParameterSpec(new byte[bs]));
            return c.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cipher unavailable: " + e.getMessage(), e);
        } finally {
            Arrays.fill(key, (byte) 0);
        }
    }

    /** The 8-byte cryptographic checksum (CC) under KID. */
    static byte[] cc(OtaKeys keys, byte[] data) {
        byte[] kid = keys.kid();
        try {
            if (keys.algorithm() == OtaKeys.Algorithm.AES) return Arrays.copyOf(Cmac.aes(kid, data), Constants.CC_LEN);
            byte[] padded = Arrays.copyOf(data, (data.length + 7) / 8 * 8);
            Cipher c = Cipher.getInstance(transformation(keys.algorithm()) + "/CBC/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, key(keys.algorithm(), kid), new IvParameterSpec(new byte[8]));
            byte[] ct = c.doFinal(padded);
            return Arrays.copyOfRange(ct, ct.length - 8, ct.length);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cipher unavailable: " + e.getMessage(), e);
        } finally {
            Arrays.fill(kid, (byte) 0);
        }
    }

    /** The redundancy check (RC), most significant byte first. */
    static byte[] rc(OtaKeys.Crc crc, byte[] data) {
        long v = crc == OtaKeys.Crc.CRC16 ? crc16(data) : crc32(data);
        byte[] out = new byte[crc.length];
        for (int i = 0; i < out.length; i++) out[i] = (byte) (v >> (8 * (out.length - 1 - i)));
        return out;
    }

    /**
     * CRC-16 of ISO/IEC 13239: generator x^16 + x^12 + x^5 + 1, register preset to FFFF, bits in
     * least significant first, the ones' complement of the register as the result.
     */
    static int crc16(byte[] data) {
        int r = 0xFFFF;
        for (byte b : data) {
            r ^= b & 0xFF;
            for (int i = 0; i < 8; i++) r = (r & 1) != 0 ? (r >>> 1) ^ 0x8408 : r >>> 1;
        }
        return ~r & 0xFFFF;
    }

    /** CRC-32 of ISO/IEC 13239 (the same function as zlib's crc32, which pySim uses). */
    static long crc32(byte[] data) {
        CRC32 c = new CRC32();
        c.update(data);
        return c.getValue();
    }

    private static String transformation(OtaKeys.Algorithm alg) {
        return switch (alg) {
            case AES -> "AES";
            case DES -> "DES";
            case TDES2, TDES3 -> "DESede";
        };
    }

    private static SecretKeySpec key(OtaKeys.Algorithm alg, byte[] k) {
        return switch (alg) {
            case AES -> new SecretKeySpec(k, "AES");
            case DES -> new SecretKeySpec(k, "DES");
            case TDES3 -> new SecretKeySpec(k, "DESede");
            case TDES2 -> { // two-key 3DES: K1 || K2 || K1
                byte[] k3 = new byte[24];
                System.arraycopy(k, 0, k3, 0, 16);
                System.arraycopy(k, 0, k3, 16, 8);
                SecretKeySpec s = new SecretKeySpec(k3, "DESede");
                Arrays.fill(k3, (byte) 0);
                yield s;
            }
        };
    }
}
