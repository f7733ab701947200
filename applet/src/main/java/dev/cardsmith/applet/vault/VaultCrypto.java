package dev.cardsmith.applet.vault;

import javacard.framework.Util;
import javacard.security.AESKey;
import javacard.security.Key;
import javacard.security.RandomData;
import javacard.security.Signature;
import javacardx.crypto.Cipher;

/**
 * The crypto engines, created once at install, and the two primitives the Java Card 3.0.5 API
 * does not guarantee: AES-CMAC (NIST SP 800-38B; Signature.ALG_AES_CMAC_128 is optional and
 * only for 128-bit keys, so it is built here from single-block AES-ECB, which every card has)
 * and the SP 800-108 counter-mode KDF on top of it.
 */
final class VaultCrypto {

    final Cipher ecb;
    final Cipher cbc;
    final Signature ecdsa;
    final RandomData random;
    private final Transients t;

    VaultCrypto(Transients transients) {
        t = transients;
        ecb = Cipher.getInstance(Cipher.ALG_AES_BLOCK_128_ECB_NOPAD, false);
        cbc = Cipher.getInstance(Cipher.ALG_AES_BLOCK_128_CBC_NOPAD, false);
        ecdsa = Signature.getInstance(Signature.ALG_ECDSA_SHA_256, false);
        random = RandomData.getInstance(RandomData.ALG_SECURE_RANDOM);
    }

    /**
     * AES-CMAC (SP 800-38B / RFC 4493) of {@code in[off..off+len)} under {@code key} (AES-128 or
     * AES-256); 16 bytes to {@code out[outOff]}. {@code out} may overlap nothing but the RAM
     * work areas are private, so in and out may be the same buffer.
     */
    void cmac(AESKey key, byte[] in, short off, short len, byte[] out, short outOff) {
        byte[] r = t.ram;
        ecb.init(key, Cipher.MODE_ENCRYPT);
        // L = AES_K(0^128); K1 = dbl(L)
        Util.arrayFillNonAtomic(r, Transients.OFF_MAC_X, Constants.AES_BLOCK, (byte) 0);
        ecb.doFinal(r, Transients.OFF_MAC_X, Constants.AES_BLOCK, r, Transients.OFF_MAC_K);
        dbl(r, Transients.OFF_MAC_K);
        short blocks = (short) ((short) (len + 15) / 16);
        if (blocks == 0) blocks = 1;
        short lastLen = (short) (len - (short) ((short) (blocks - 1) * 16));
        if (lastLen != Constants.AES_BLOCK) dbl(r, Transients.OFF_MAC_K); // K2 for an incomplete last block
        // X = 0; X = AES(X xor M_i) for every block but the last
        short p = off;
        for (short i = 0; i < (short) (blocks - 1); i++) {
            xor(r, Transients.OFF_MAC_X, in, p);
            ecb.doFinal(r, Transients.OFF_MAC_X, Constants.AES_BLOCK, r, Transients.OFF_MAC_X);
            p += Constants.AES_BLOCK;
        }
        // last block: complete -> M xor K1, else (M || 80 00..) xor K2
        Util.arrayFillNonAtomic(r, Transients.OFF_MAC_LAST, Constants.AES_BLOCK, (byte) 0);
        if (lastLen > 0) Util.arrayCopyNonAtomic(in, p, r, Transients.OFF_MAC_LAST, lastLen);
        if (lastLen != Constants.AES_BLOCK) r[(short) (Transients.OFF_MAC_LAST + lastLen)] = (byte) 0x80;
        xor(r, Transients.OFF_MAC_LAST, r, Transients.OFF_MAC_K);
        xor(r, Transients.OFF_MAC_X, r, Transients.OFF_MAC_LAST);
        ecb.doFinal(r, Transients.OFF_MAC_X, Constants.AES_BLOCK, out, outOff);
        Util.arrayFillNonAtomic(r, Transients.OFF_MAC_X, (short) (3 * Constants.AES_BLOCK), (byte) 0);
    }

    /**
     * SP 800-108 counter mode, PRF AES-CMAC, r = 8, one block: derived AES-128 key =
     * CMAC(chipKey, 01 || label || 00 || chipId || 0080). Sets {@code out}; the derived bytes only
     * pass through RAM.
     */
    void deriveAes128(AESKey chipKey, byte label, byte[] chipId, AESKey out) {
        byte[] r = t.ram;
        short o = Transients.OFF_SCRATCH;
        r[o++] = (byte) 0x01;
        r[o++] = label;
        r[o++] = (byte) 0x00;
        o = Util.arrayCopyNonAtomic(chipId, (short) 0, r, o, Constants.CHIP_ID_LENGTH);
        r[o++] = (byte) 0x00;
        r[o++] = (byte) 0x80;
        short inLen = (short) (o - Transients.OFF_SCRATCH);
        cmac(chipKey, r, Transients.OFF_SCRATCH, inLen, r, o);
        out.setKey(r, o);
        Util.arrayFillNonAtomic(r, Transients.OFF_SCRATCH, (short) (inLen + Constants.AES_BLOCK), (byte) 0);
    }

    /** AES-128-CBC of whole blocks with the given IV; in place allowed. */
    short cbc(AESKey key, byte mode, byte[] iv, short ivOff, byte[] in, short off, short len, byte[] out, short outOff) {
        cbc.init(key, mode, iv, ivOff, Constants.AES_BLOCK);
        return cbc.doFinal(in, off, len, out, outOff);
    }

    boolean verify(Key publicKey, byte[] data, short off, short len, byte[] sig, short sigOff, short sigLen) {
        ecdsa.init(publicKey, Signature.MODE_VERIFY);
        return ecdsa.verify(data, off, len, sig, sigOff, sigLen);
    }

    short sign(Key privateKey, byte[] data, short off, short len, byte[] sig, short sigOff) {
        ecdsa.init(privateKey, Signature.MODE_SIGN);
        return ecdsa.sign(data, off, len, sig, sigOff);
    }

    /** Multiplication by x in GF(2^128) (the CMAC subkey step). */
    private static void dbl(byte[] b, short off) {
        boolean msb = (b[off] & (byte) 0x80) != 0;
        for (short i = 0; i < 15; i++) {
            short k = (short) (off + i);
            b[k] = (byte) ((b[k] << 1) | ((b[(short) (k + 1)] >> 7) & 1));
        }
        short last = (short) (off + 15);
        b[last] = (byte) (b[last] << 1);
        if (msb) b[last] ^= (byte) 0x87;
    }

    private static void xor(byte[] dst, short dstOff, byte[] src, short srcOff) {
        for (short i = 0; i < Constants.AES_BLOCK; i++) {
            dst[(short) (dstOff + i)] ^= src[(short) (srcOff + i)];
        }
    }

    /**
     * Constant-time comparison of two MACs: always reads all {@code len} bytes, no early exit
     * (Util.arrayCompare stops at the first difference, which times as a forgery oracle).
     */
    static boolean macEquals(byte[] a, short aOff, byte[] b, short bOff, short len) {
        byte diff = 0;
        for (short i = 0; i < len; i++) {
            diff |= (byte) (a[(short) (aOff + i)] ^ b[(short) (bOff + i)]);
        }
        return diff == 0;
    }
}
