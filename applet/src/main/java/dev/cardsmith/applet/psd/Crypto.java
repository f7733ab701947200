package dev.cardsmith.applet.psd;

import dev.cardsmith.applet.platform.AesCmac;
import dev.cardsmith.applet.platform.Bytes;

import javacard.framework.JCSystem;
import javacard.framework.Util;
import javacard.security.AESKey;
import javacard.security.KeyBuilder;
import javacard.security.RandomData;
import javacardx.crypto.Cipher;

/**
 * Crypto engines, created once: AES-ECB/CBC, CMAC (the platform layer's), random; the SCP03 KDF (Amendment D 6.2.2,
 * NIST SP 800-108 counter mode with the 8-bit counter in the middle), the replacement key-encryption key (SP 800-108
 * section 5.1 layout, as the host HSM derives it) and RFC 3394 key unwrap of a whole key set.
 */
final class Crypto {
    final Cipher ecb;
    final Cipher cbc;
    final AesCmac cmac;
    final RandomData random;
    /** The replacement key-encryption key of one REPLACE MK (RAM, wiped right after use). */
    final AESKey kek;
    /** KDF input 0..31 | unwrap A/B 32..63 | unwrapped keys 64..127 (K-ENC, K-MAC, K-DEK, KRK) | misc 128..159 */
    final byte[] scratch;
    static final short S_KDF = 0;
    static final short S_UNWRAP = 32;
    static final short S_KEY = 64;
    static final short S_KEYS_LEN = 64;
    static final short S_MISC = 128;
    /** Offsets of the unwrapped keys inside scratch. */
    static final short K_ENC = S_KEY;
    static final short K_MAC = (short) (S_KEY + 16);
    static final short K_DEK = (short) (S_KEY + 32);
    static final short K_KRK = (short) (S_KEY + 48);
    private static final byte[] RFC3394_IV = {(byte) 0xA6, (byte) 0xA6, (byte) 0xA6, (byte) 0xA6, (byte) 0xA6, (byte) 0xA6, (byte) 0xA6, (byte) 0xA6};
    /** SP 800-108 label of the replacement KEK; the host's PsdKeys.REPLACE_KEK_LABEL ("cardsmith/psd/RKEK"). */
    private static final byte[] RKEK_LABEL = {'c', 'a', 'r', 'd', 's', 'm', 'i', 't', 'h', '/', 'p', 's', 'd', '/', 'R', 'K', 'E', 'K'};

    Crypto() {
        ecb = Cipher.getInstance(Cipher.ALG_AES_BLOCK_128_ECB_NOPAD, false);
        cbc = Cipher.getInstance(Cipher.ALG_AES_BLOCK_128_CBC_NOPAD, false);
        cmac = new AesCmac(Cipher.getInstance(Cipher.ALG_AES_BLOCK_128_ECB_NOPAD, false), true);
        random = RandomData.getInstance(RandomData.ALG_SECURE_RANDOM);
        kek = (AESKey) KeyBuilder.buildKey(KeyBuilder.TYPE_AES_TRANSIENT_DESELECT, KeyBuilder.LENGTH_AES_128, false);
        scratch = JCSystem.makeTransientByteArray((short) 160, JCSystem.CLEAR_ON_DESELECT);
    }

    /**
     * SCP03 KDF: CMAC(key, 00*11 || constant || 00 || L(16 bits) || 01 || context), one block
     * (L <= 128). Writes L/8 bytes to out.
     */
    void kdf(AESKey key, byte constant, short lBits, byte[] ctx, short ctxOff, short ctxLen, byte[] out, short outOff) {
        byte[] s = scratch;
        Util.arrayFillNonAtomic(s, S_KDF, (short) 11, (byte) 0);
        s[(short) (S_KDF + 11)] = constant;
        s[(short) (S_KDF + 12)] = 0;
        Util.setShort(s, (short) (S_KDF + 13), lBits);
        s[(short) (S_KDF + 15)] = 1;
        cmac.init(key);
        cmac.update(s, S_KDF, (short) 16);
        cmac.sign(ctx, ctxOff, ctxLen, s, S_MISC);
        Util.arrayCopyNonAtomic(s, S_MISC, out, outOff, (short) (lBits / 8));
        Util.arrayFillNonAtomic(s, S_MISC, (short) 16, (byte) 0);
    }

    /**
     * The replacement key-encryption key into {@link #kek}: SP 800-108 counter mode with AES-CMAC,
     * one block, CMAC(krk, 00000001 || "cardsmith/psd/RKEK" || 00 || context || 00000080), with
     * context = host challenge || card challenge of the running session. Only a holder of the KRK
     * (the HSM that opens the PSD's cryptogram) can compute it; it is new in every session.
     */
    void deriveReplacementKek(AESKey krk, byte[] ctx, short ctxOff, short ctxLen) {
        byte[] s = scratch;
        Util.arrayFillNonAtomic(s, S_KDF, (short) 4, (byte) 0);
        s[(short) (S_KDF + 3)] = 1;
        cmac.init(krk);
        cmac.update(s, S_KDF, (short) 4);
        cmac.update(RKEK_LABEL, (short) 0, (short) RKEK_LABEL.length);
        cmac.update(s, S_KDF, (short) 1);
        cmac.update(ctx, ctxOff, ctxLen);
        s[(short) (S_KDF + 3)] = (byte) 0x80;
        cmac.sign(s, S_KDF, (short) 4, s, S_MISC);
        kek.setKey(s, S_MISC);
        Util.arrayFillNonAtomic(s, S_MISC, (short) 16, (byte) 0);
    }

    /**
     * RFC 3394 unwrap of a 16-byte key (24 bytes in) under kek into scratch[outOff..+16].
     * Returns false when the integrity check value does not match.
     */
    boolean unwrap16(AESKey kek, byte[] in, short off, short outOff) {
        byte[] s = scratch;
        // A = C0 (S_UNWRAP..+8), R1 = outOff..+8, R2 = outOff+8..+16
        Util.arrayCopyNonAtomic(in, off, s, S_UNWRAP, (short) 8);
        Util.arrayCopyNonAtomic(in, (short) (off + 8), s, outOff, (short) 16);
        ecb.init(kek, Cipher.MODE_DECRYPT);
        for (short j = 5; j >= 0; j--) {
            for (short i = 2; i >= 1; i--) {
                short t = (short) (2 * j + i);
                s[(short) (S_UNWRAP + 7)] ^= (byte) t;
                Util.arrayCopyNonAtomic(s, (short) (outOff + (i - 1) * 8), s, (short) (S_UNWRAP + 8), (short) 8);
                ecb.doFinal(s, S_UNWRAP, (short) 16, s, S_UNWRAP);
                Util.arrayCopyNonAtomic(s, (short) (S_UNWRAP + 8), s, (short) (outOff + (i - 1) * 8), (short) 8);
            }
        }
        boolean ok = Bytes.equal(s, S_UNWRAP, RFC3394_IV, (short) 0, (short) 8);
        Util.arrayFillNonAtomic(s, S_UNWRAP, (short) 32, (byte) 0);
        if (!ok) Util.arrayFillNonAtomic(s, outOff, (short) 16, (byte) 0);
        return ok;
    }

    /**
     * Unwraps a key set (K-ENC, K-MAC, K-DEK: three RFC 3394 blocks of 24 bytes at in[off]) under
     * kek into scratch K_ENC/K_MAC/K_DEK. True only when all three integrity checks pass and the
     * three keys are pairwise distinct (one key for two purposes is refused); nothing is written
     * to a key object here.
     */
    boolean unwrapKeySet(AESKey kek, byte[] in, short off) {
        short w = PsdProtocol.WRAPPED_KEY_LEN;
        boolean ok = unwrap16(kek, in, off, K_ENC);
        ok = unwrap16(kek, in, (short) (off + w), K_MAC) & ok;
        ok = unwrap16(kek, in, (short) (off + w + w), K_DEK) & ok;
        return ok && distinct(K_DEK);
    }

    /** Whether the unwrapped keys from K_ENC up to {@code last} (inclusive) are pairwise distinct. */
    boolean distinct(short last) {
        for (short a = K_ENC; a < last; a += 16) {
            for (short b = (short) (a + 16); b <= last; b += 16) {
                if (Bytes.equal(scratch, a, scratch, b, (short) 16)) return false;
            }
        }
        return true;
    }

    void wipeKey() {
        Util.arrayFillNonAtomic(scratch, S_KEY, S_KEYS_LEN, (byte) 0);
        if (kek.isInitialized()) kek.clearKey();
    }
}
