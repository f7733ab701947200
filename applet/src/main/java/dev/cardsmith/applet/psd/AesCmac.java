package dev.cardsmith.applet.psd;

import javacard.framework.JCSystem;
import javacard.framework.Util;
import javacard.security.AESKey;
import javacardx.crypto.Cipher;

/**
 * AES-CMAC (NIST SP 800-38B) over one AES-ECB engine, streaming (init/update/doFinal) so a MAC
 * can run over a RAM chaining value followed by the APDU buffer. Written by hand because
 * Signature.ALG_AES_CMAC_128 is optional in Java Card 3.0.5 and absent on many chips.
 */
final class AesCmac {
    private static final short BLOCK = 16;
    private static final byte RB = (byte) 0x87;

    private final Cipher ecb;
    /** state 0..15 | pending 16..31 | k1 32..47 | k2 48..63 */
    private final byte[] ram;
    /** [0] = pending length */
    private final short[] len;

    AesCmac(Cipher ecb) {
        this.ecb = ecb;
        ram = JCSystem.makeTransientByteArray((short) 64, JCSystem.CLEAR_ON_DESELECT);
        len = JCSystem.makeTransientShortArray((short) 1, JCSystem.CLEAR_ON_DESELECT);
    }

    void init(AESKey key) {
        ecb.init(key, Cipher.MODE_ENCRYPT);
        Util.arrayFillNonAtomic(ram, (short) 0, (short) 64, (byte) 0);
        // L = AES(K, 0^128) -> k1 = dbl(L), k2 = dbl(k1)
        ecb.doFinal(ram, (short) 0, BLOCK, ram, (short) 32);
        dbl((short) 32, (short) 32);
        dbl((short) 32, (short) 48);
        Util.arrayFillNonAtomic(ram, (short) 0, BLOCK, (byte) 0);
        len[0] = 0;
    }

    private void dbl(short src, short dst) {
        byte msb = (byte) (ram[src] & (byte) 0x80);
        for (short i = 0; i < BLOCK; i++) {
            short next = (i < (short) (BLOCK - 1)) ? (short) ((ram[(short) (src + i + 1)] & 0xFF) >> 7) : (short) 0;
            ram[(short) (dst + i)] = (byte) ((ram[(short) (src + i)] << 1) | next);
        }
        if (msb != 0) ram[(short) (dst + BLOCK - 1)] ^= RB;
    }

    void update(byte[] in, short off, short n) {
        while (n > 0) {
            if (len[0] == BLOCK) {
                // a full pending block that is not the last: chain it
                for (short i = 0; i < BLOCK; i++) ram[i] ^= ram[(short) (BLOCK + i)];
                ecb.doFinal(ram, (short) 0, BLOCK, ram, (short) 0);
                len[0] = 0;
            }
            short take = (short) (BLOCK - len[0]);
            if (take > n) take = n;
            Util.arrayCopyNonAtomic(in, off, ram, (short) (BLOCK + len[0]), take);
            len[0] += take;
            off += take;
            n -= take;
        }
    }

    /** Writes the 16-byte tag to out[outOff]. */
    void doFinal(byte[] out, short outOff) {
        short p = len[0];
        short sub;
        if (p == BLOCK) {
            sub = 32;
        } else {
            ram[(short) (BLOCK + p)] = (byte) 0x80;
            Util.arrayFillNonAtomic(ram, (short) (BLOCK + p + 1), (short) (BLOCK - p - 1), (byte) 0);
            sub = 48;
        }
        for (short i = 0; i < BLOCK; i++) {
            ram[i] ^= (byte) (ram[(short) (BLOCK + i)] ^ ram[(short) (sub + i)]);
        }
        ecb.doFinal(ram, (short) 0, BLOCK, out, outOff);
        Util.arrayFillNonAtomic(ram, (short) 0, (short) 64, (byte) 0);
        len[0] = 0;
    }
}
