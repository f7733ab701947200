package dev.cardsmith.applet.module;

import javacard.framework.JCSystem;
import javacard.framework.Util;
import javacard.security.AESKey;
import javacard.security.CryptoException;
import javacard.security.Signature;
import javacardx.crypto.Cipher;

/**
 * AES-CMAC (NIST SP 800-38B, RFC 4493) with a streaming init / update / sign interface, chosen
 * once at install: {@code Signature.ALG_AES_CMAC_128} where the platform has it (it is OPTIONAL
 * in Java Card 3.0.5 and missing on many chips), otherwise a software CMAC over the single-block
 * AES-ECB engine every AES card has. Written by hand because no Java Card platform API offers it
 * portably; each applet is its own CAP, so this is the module's own copy (psd has AesCmac,
 * vault VaultCrypto.cmac).
 *
 * <p>The software path borrows the shared {@link Crypto#aesEcb} engine between {@link #init} and
 * {@link #sign}: nothing else may use that engine in between (the module's callers never do; the
 * secure-messaging IV is computed before init or after sign). Its state is one 49-byte
 * CLEAR_ON_DESELECT array allocated here, only on that path; nothing is allocated after install.
 */
final class AesCmac {

    private static final short BLOCK = 16;
    /** R_128 of SP 800-38B: the reduction constant of the subkey doubling. */
    private static final byte RB = (byte) 0x87;

    // ---- software state layout ----
    /** Chaining value C_i. */
    private static final short X = 0;
    /** Pending input, up to one block: kept back until it is known whether it is the last. */
    private static final short M = 16;
    /** L = AES(K, 0^128), turned into K1 or K2 in sign(). */
    private static final short L = 32;
    /** Number of pending bytes (0..16). */
    private static final short N = 48;
    private static final short STATE_LENGTH = 49;

    /**
     * Install-time switch, tests only: when true, the next instance ignores the platform CMAC so
     * the whole protocol can run on the software path in jCardSim (which has the platform one).
     * Never set by the applet; a card leaves it false. docs/module.md "Algorithms".
     */
    static boolean forceSoftware;

    /** Platform engine, or null on the software path. */
    private final Signature platform;
    private final Cipher ecb;
    /** Software state (null with the platform engine). */
    private final byte[] st;

    AesCmac(Cipher ecb) {
        this.ecb = ecb;
        Signature s = null;
        if (!forceSoftware) {
            try {
                s = Signature.getInstance(Signature.ALG_AES_CMAC_128, false);
            } catch (CryptoException e) {
                if (e.getReason() != CryptoException.NO_SUCH_ALGORITHM) throw e;
                s = null; // optional algorithm absent: software CMAC below
            }
        }
        platform = s;
        st = s == null ? JCSystem.makeTransientByteArray(STATE_LENGTH, JCSystem.CLEAR_ON_DESELECT) : null;
    }

    /** True when the software CMAC runs (the platform has no ALG_AES_CMAC_128). */
    boolean isSoftware() {
        return platform == null;
    }

    /** Starts a MAC under {@code key}: subkey material L = AES(K, 0^128), empty chaining value. */
    void init(AESKey key) {
        if (platform != null) {
            platform.init(key, Signature.MODE_SIGN);
            return;
        }
        ecb.init(key, Cipher.MODE_ENCRYPT);
        Util.arrayFillNonAtomic(st, (short) 0, STATE_LENGTH, (byte) 0);
        ecb.doFinal(st, X, BLOCK, st, L);
    }

    /** Feeds in[off..off+len). */
    void update(byte[] in, short off, short len) {
        if (platform != null) {
            platform.update(in, off, len);
            return;
        }
        absorb(in, off, len);
    }

    /**
     * Feeds the last part in[off..off+len) and writes the 16-byte tag to out[outOff] (out may
     * overlap in: all input is consumed before the tag is written). Returns 16.
     */
    short sign(byte[] in, short off, short len, byte[] out, short outOff) {
        if (platform != null) return platform.sign(in, off, len, out, outOff);
        absorb(in, off, len);
        short n = st[N];
        // K1 = dbl(L) for a complete last block; K2 = dbl(K1) and 10* padding otherwise
        dbl();
        if (n != BLOCK) {
            dbl();
            st[(short) (M + n)] = (byte) 0x80;
            Util.arrayFillNonAtomic(st, (short) (M + n + 1), (short) (BLOCK - n - 1), (byte) 0);
        }
        for (short i = 0; i < BLOCK; i++) {
            st[(short) (X + i)] ^= (byte) (st[(short) (M + i)] ^ st[(short) (L + i)]);
        }
        ecb.doFinal(st, X, BLOCK, out, outOff);
        Util.arrayFillNonAtomic(st, (short) 0, STATE_LENGTH, (byte) 0);
        return BLOCK;
    }

    /** Wipes the software state (chaining value, pending input, L) after an aborted MAC. */
    void clear() {
        if (st != null) Util.arrayFillNonAtomic(st, (short) 0, STATE_LENGTH, (byte) 0);
    }

    /** Buffers input; a full pending block is chained only once more input follows it. */
    private void absorb(byte[] in, short off, short len) {
        while (len > 0) {
            short n = st[N];
            if (n == BLOCK) {
                for (short i = 0; i < BLOCK; i++) st[(short) (X + i)] ^= st[(short) (M + i)];
                ecb.doFinal(st, X, BLOCK, st, X);
                n = 0;
            }
            short take = (short) (BLOCK - n);
            if (take > len) take = len;
            Util.arrayCopyNonAtomic(in, off, st, (short) (M + n), take);
            st[N] = (byte) (n + take);
            off += take;
            len -= take;
        }
    }

    /** L := L·x in GF(2^128) (shift left one bit, reduce with R_128 when the top bit fell out). */
    private void dbl() {
        boolean carry = (st[L] & (byte) 0x80) != 0;
        for (short i = 0; i < (short) (BLOCK - 1); i++) {
            st[(short) (L + i)] = (byte) ((st[(short) (L + i)] << 1) | ((st[(short) (L + i + 1)] >> 7) & 1));
        }
        st[(short) (L + BLOCK - 1)] = (byte) (st[(short) (L + BLOCK - 1)] << 1);
        if (carry) st[(short) (L + BLOCK - 1)] ^= RB;
    }
}
