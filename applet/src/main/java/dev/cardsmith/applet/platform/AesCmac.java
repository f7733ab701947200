package dev.cardsmith.applet.platform;

import javacard.framework.JCSystem;
import javacard.framework.Util;
import javacard.security.AESKey;
import javacard.security.CryptoException;
import javacard.security.KeyBuilder;
import javacard.security.Signature;
import javacardx.crypto.Cipher;

/**
 * AES-CMAC (NIST SP 800-38B, RFC 4493) with a streaming init / update / sign interface.
 * {@code Signature.ALG_AES_CMAC_128} is OPTIONAL in Java Card 3.0.5 and missing on many chips:
 * the platform engine is used where it exists (for AES-128 keys; other key sizes always take the
 * software path, as the API names the algorithm after 128-bit keys), otherwise a software CMAC
 * over a single-block AES-ECB engine, which every AES card has. Both paths pass the RFC 4493
 * vectors on card (PlatformLayerTest).
 *
 * <p>The software path uses the ECB engine between {@link #init} and {@link #sign}: nothing else
 * may use that engine in between when it is shared. State: 49 bytes of transient RAM,
 * CLEAR_ON_DESELECT unless the applet asks for CLEAR_ON_RESET - a UICC toolkit applet must: its
 * processToolkit runs while it is not selected, when CLEAR_ON_DESELECT memory is not accessible
 * (Java Card 3.0.5 runtime 6.1.3, ETSI TS 102 241 6.2).
 */
public final class AesCmac {

    public static final short BLOCK = 16;
    /** R_128 of SP 800-38B: the reduction constant of the subkey doubling. */
    private static final byte RB = (byte) 0x87;

    /** Chaining value C_i. */
    private static final short X = 0;
    /** Pending input, up to one block: kept back until it is known whether it is the last. */
    private static final short M = 16;
    /** L = AES(K, 0^128), turned into K1 or K2 in sign(). */
    private static final short L = 32;
    /** Number of pending bytes (0..16); 0x7F while the platform engine runs this MAC. */
    private static final short N = 48;
    private static final short STATE_LENGTH = 49;
    private static final byte ON_PLATFORM = (byte) 0x7F;

    /** Platform engine, or null on the software path. */
    private final Signature platform;
    private final Cipher ecb;
    private final byte[] st;

    /**
     * @param ecb an AES-128 ECB NOPAD engine (may be shared, see above)
     * @param usePlatform false forces the software path (tests of the fallback on jCardSim)
     */
    public AesCmac(Cipher ecb, boolean usePlatform) {
        this(ecb, usePlatform, JCSystem.CLEAR_ON_DESELECT);
    }

    /**
     * @param clearEvent JCSystem.CLEAR_ON_DESELECT, or CLEAR_ON_RESET for an applet that MACs
     *                   outside a selection (processToolkit)
     */
    public AesCmac(Cipher ecb, boolean usePlatform, byte clearEvent) {
        this.ecb = ecb;
        Signature s = null;
        if (usePlatform) {
            try {
                s = Signature.getInstance(Signature.ALG_AES_CMAC_128, false);
            } catch (CryptoException e) {
                if (e.getReason() != CryptoException.NO_SUCH_ALGORITHM) throw e;
                s = null; // optional algorithm absent: software CMAC
            }
        }
        platform = s;
        st = JCSystem.makeTransientByteArray(STATE_LENGTH, clearEvent);
    }

    /** True when this platform has no ALG_AES_CMAC_128 (or it was declined): every MAC runs in software. */
    public boolean isSoftware() {
        return platform == null;
    }

    /** Starts a MAC under {@code key}. */
    public void init(AESKey key) {
        Util.arrayFillNonAtomic(st, (short) 0, STATE_LENGTH, (byte) 0);
        if (platform != null && key.getSize() == KeyBuilder.LENGTH_AES_128) {
            platform.init(key, Signature.MODE_SIGN);
            st[N] = ON_PLATFORM;
            return;
        }
        ecb.init(key, Cipher.MODE_ENCRYPT);
        ecb.doFinal(st, X, BLOCK, st, L);
    }

    /** Feeds in[off..off+len). */
    public void update(byte[] in, short off, short len) {
        if (st[N] == ON_PLATFORM) {
            platform.update(in, off, len);
            return;
        }
        absorb(in, off, len);
    }

    /**
     * Feeds the last part in[off..off+len) and writes the 16-byte tag to out[outOff] (out may
     * overlap in: all input is consumed before the tag is written). Returns 16.
     */
    public short sign(byte[] in, short off, short len, byte[] out, short outOff) {
        if (st[N] == ON_PLATFORM) {
            st[N] = 0;
            return platform.sign(in, off, len, out, outOff);
        }
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
        clear();
        return BLOCK;
    }

    /** One-shot MAC of in[off..off+len) under key; 16 bytes to out[outOff]. Returns 16. */
    public short mac(AESKey key, byte[] in, short off, short len, byte[] out, short outOff) {
        init(key);
        return sign(in, off, len, out, outOff);
    }

    /** Wipes the software state (chaining value, pending input, L) after an aborted MAC. */
    public void clear() {
        Util.arrayFillNonAtomic(st, (short) 0, STATE_LENGTH, (byte) 0);
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
