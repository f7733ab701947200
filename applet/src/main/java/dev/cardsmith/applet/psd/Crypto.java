package dev.cardsmith.applet.psd;

import dev.cardsmith.applet.platform.AesCmac;
import dev.cardsmith.applet.platform.Bytes;

import javacard.framework.JCSystem;
import javacard.framework.Util;
import javacard.security.AESKey;
import javacard.security.RandomData;
import javacardx.crypto.Cipher;

/**
 * Crypto engines, created once: AES-ECB/CBC, CMAC (the platform layer's), random; the SCP03 KDF (Amendment D 6.2.2,
 * NIST SP 800-108 counter mode with the 8-bit counter in the middle) and RFC 3394 key unwrap.
 */
final class Crypto {
    final Cipher ecb;
    final Cipher cbc;
    final AesCmac cmac;
    final RandomData random;
    /** KDF input 0..31 | unwrap A/B 32..63 | unwrapped key 64..79 | misc 80..111 */
    final byte[] scratch;
    static final short S_KDF = 0;
    static final short S_UNWRAP = 32;
    static final short S_KEY = 64;
    static final short S_MISC = 80;
    private static final byte[] RFC3394_IV = {(byte) 0xA6, (byte) 0xA6, (byte) 0xA6, (byte) 0xA6, (byte) 0xA6, (byte) 0xA6, (byte) 0xA6, (byte) 0xA6};

    Crypto() {
        ecb = Cipher.getInstance(Cipher.ALG_AES_BLOCK_128_ECB_NOPAD, false);
        cbc = Cipher.getInstance(Cipher.ALG_AES_BLOCK_128_CBC_NOPAD, false);
        cmac = new AesCmac(Cipher.getInstance(Cipher.ALG_AES_BLOCK_128_ECB_NOPAD, false), true);
        random = RandomData.getInstance(RandomData.ALG_SECURE_RANDOM);
        scratch = JCSystem.makeTransientByteArray((short) 112, JCSystem.CLEAR_ON_DESELECT);
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
     * RFC 3394 unwrap of a 16-byte key (24 bytes in) under kek into scratch[S_KEY..+16].
     * Returns false when the integrity check value does not match.
     */
    boolean unwrap16(AESKey kek, byte[] in, short off) {
        byte[] s = scratch;
        // A = C0 (S_UNWRAP..+8), R1 = S_KEY..+8, R2 = S_KEY+8..+16
        Util.arrayCopyNonAtomic(in, off, s, S_UNWRAP, (short) 8);
        Util.arrayCopyNonAtomic(in, (short) (off + 8), s, S_KEY, (short) 16);
        ecb.init(kek, Cipher.MODE_DECRYPT);
        for (short j = 5; j >= 0; j--) {
            for (short i = 2; i >= 1; i--) {
                short t = (short) (2 * j + i);
                s[(short) (S_UNWRAP + 7)] ^= (byte) t;
                Util.arrayCopyNonAtomic(s, (short) (S_KEY + (i - 1) * 8), s, (short) (S_UNWRAP + 8), (short) 8);
                ecb.doFinal(s, S_UNWRAP, (short) 16, s, S_UNWRAP);
                Util.arrayCopyNonAtomic(s, (short) (S_UNWRAP + 8), s, (short) (S_KEY + (i - 1) * 8), (short) 8);
            }
        }
        boolean ok = Bytes.equal(s, S_UNWRAP, RFC3394_IV, (short) 0, (short) 8);
        Util.arrayFillNonAtomic(s, S_UNWRAP, (short) 32, (byte) 0);
        if (!ok) Util.arrayFillNonAtomic(s, S_KEY, (short) 16, (byte) 0);
        return ok;
    }

    void wipeKey() {
        Util.arrayFillNonAtomic(scratch, S_KEY, (short) 16, (byte) 0);
    }
}
