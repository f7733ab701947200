package dev.cardsmith.applet.platform;

import javacard.framework.ISOException;
import javacard.framework.Util;
import javacard.security.ECKey;
import javacard.security.Signature;

/**
 * NIST P-256 (secp256r1, FIPS 186-4 D.1.2.3 / SEC 2 2.4.2): the domain parameters, set explicitly
 * on every EC key, and the check that an incoming public point lies on the curve.
 *
 * <p>The on-curve check is software modular arithmetic over 32-byte big-endian arrays
 * (shift-and-add multiplication mod p, 256 steps per product, three products): Java Card 3.0.5
 * has no big-number API, and no platform call is specified to check a point (ECPublicKey.setW
 * and KeyAgreement check it on some cards only). It needs {@link #WORK_LENGTH} bytes of
 * caller RAM and runs once per incoming point (install, personalization, a session's ephemeral key).
 */
public final class P256 {

    private P256() {}

    /** Uncompressed point 04 || X || Y. */
    public static final short POINT_LENGTH = 65;
    public static final short FIELD_LENGTH = 32;
    /** RAM the on-curve check needs at the work offset. */
    public static final short WORK_LENGTH = 64;

    public static final byte[] P = {
        (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0x00, (byte) 0x00, (byte) 0x00, (byte) 0x01,
        (byte) 0x00, (byte) 0x00, (byte) 0x00, (byte) 0x00, (byte) 0x00, (byte) 0x00, (byte) 0x00, (byte) 0x00,
        (byte) 0x00, (byte) 0x00, (byte) 0x00, (byte) 0x00, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF,
        (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF,
    };

    public static final byte[] A = {
        (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0x00, (byte) 0x00, (byte) 0x00, (byte) 0x01,
        (byte) 0x00, (byte) 0x00, (byte) 0x00, (byte) 0x00, (byte) 0x00, (byte) 0x00, (byte) 0x00, (byte) 0x00,
        (byte) 0x00, (byte) 0x00, (byte) 0x00, (byte) 0x00, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF,
        (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFC,
    };

    public static final byte[] B = {
        (byte) 0x5A, (byte) 0xC6, (byte) 0x35, (byte) 0xD8, (byte) 0xAA, (byte) 0x3A, (byte) 0x93, (byte) 0xE7,
        (byte) 0xB3, (byte) 0xEB, (byte) 0xBD, (byte) 0x55, (byte) 0x76, (byte) 0x98, (byte) 0x86, (byte) 0xBC,
        (byte) 0x65, (byte) 0x1D, (byte) 0x06, (byte) 0xB0, (byte) 0xCC, (byte) 0x53, (byte) 0xB0, (byte) 0xF6,
        (byte) 0x3B, (byte) 0xCE, (byte) 0x3C, (byte) 0x3E, (byte) 0x27, (byte) 0xD2, (byte) 0x60, (byte) 0x4B,
    };

    public static final byte[] G = {
        (byte) 0x04, (byte) 0x6B, (byte) 0x17, (byte) 0xD1, (byte) 0xF2, (byte) 0xE1, (byte) 0x2C, (byte) 0x42,
        (byte) 0x47, (byte) 0xF8, (byte) 0xBC, (byte) 0xE6, (byte) 0xE5, (byte) 0x63, (byte) 0xA4, (byte) 0x40,
        (byte) 0xF2, (byte) 0x77, (byte) 0x03, (byte) 0x7D, (byte) 0x81, (byte) 0x2D, (byte) 0xEB, (byte) 0x33,
        (byte) 0xA0, (byte) 0xF4, (byte) 0xA1, (byte) 0x39, (byte) 0x45, (byte) 0xD8, (byte) 0x98, (byte) 0xC2,
        (byte) 0x96, (byte) 0x4F, (byte) 0xE3, (byte) 0x42, (byte) 0xE2, (byte) 0xFE, (byte) 0x1A, (byte) 0x7F,
        (byte) 0x9B, (byte) 0x8E, (byte) 0xE7, (byte) 0xEB, (byte) 0x4A, (byte) 0x7C, (byte) 0x0F, (byte) 0x9E,
        (byte) 0x16, (byte) 0x2B, (byte) 0xCE, (byte) 0x33, (byte) 0x57, (byte) 0x6B, (byte) 0x31, (byte) 0x5E,
        (byte) 0xCE, (byte) 0xCB, (byte) 0xB6, (byte) 0x40, (byte) 0x68, (byte) 0x37, (byte) 0xBF, (byte) 0x51,
        (byte) 0xF5,
    };

    public static final byte[] R = {
        (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0x00, (byte) 0x00, (byte) 0x00, (byte) 0x00,
        (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF,
        (byte) 0xBC, (byte) 0xE6, (byte) 0xFA, (byte) 0xAD, (byte) 0xA7, (byte) 0x17, (byte) 0x9E, (byte) 0x84,
        (byte) 0xF3, (byte) 0xB9, (byte) 0xCA, (byte) 0xC2, (byte) 0xFC, (byte) 0x63, (byte) 0x25, (byte) 0x51,
    };

    /** Sets the curve on a P-256 key object (public or private). */
    /**
     * Finishes an ECDSA verification (the engine initialised for MODE_VERIFY, any earlier parts
     * already fed with update) over msg[msgOff..+msgLen) against the DER signature
     * sig[sigOff..+sigLen). A signature the engine cannot even parse does not verify: false, as a
     * wrong one. Engines differ in what they throw for a malformed DER (CryptoException on cards;
     * jCardSim lets BouncyCastle's own exceptions through), so any RuntimeException of the
     * verification counts; without this one rule, a caller that caught only CryptoException
     * answered 6F01 (vault WIPE, sim EC AUTHENTICATE; found by the fuzzer).
     */
    public static boolean verify(Signature ecdsa, byte[] msg, short msgOff, short msgLen, byte[] sig, short sigOff, short sigLen) {
        try {
            return ecdsa.verify(msg, msgOff, msgLen, sig, sigOff, sigLen);
        } catch (RuntimeException e) {
            return false;
        }
    }

    public static void setCurve(ECKey key) {
        key.setFieldFP(P, (short) 0, (short) P.length);
        key.setA(A, (short) 0, (short) A.length);
        key.setB(B, (short) 0, (short) B.length);
        key.setG(G, (short) 0, (short) G.length);
        key.setR(R, (short) 0, (short) R.length);
        key.setK((short) 1);
    }

    /**
     * Answers 6A80 unless {@code pt[off..off+len)} is an uncompressed P-256 point on the curve:
     * length 65, prefix 04, X and Y below p, y^2 = x^3 - 3x + b (mod p). The point at infinity
     * has no such encoding and is refused. Uses {@code work[workOff..+WORK_LENGTH)}, zeroed after.
     */
    public static void checkPoint(byte[] pt, short off, short len, byte[] work, short workOff) {
        if (!isOnCurve(pt, off, len, work, workOff)) ISOException.throwIt(Sw.WRONG_DATA);
    }

    /** The test behind {@link #checkPoint}, as a boolean. */
    public static boolean isOnCurve(byte[] pt, short off, short len, byte[] work, short workOff) {
        if (len != POINT_LENGTH || pt[off] != (byte) 0x04) return false;
        short x = (short) (off + 1);
        short y = (short) (x + FIELD_LENGTH);
        if (!below(pt, x, P, (short) 0) || !below(pt, y, P, (short) 0)) return false;
        short t1 = workOff;
        short t2 = (short) (workOff + FIELD_LENGTH);
        // t1 = x^2 - 3; t2 = t1 * x + b  (= x^3 - 3x + b); t1 = y^2
        mulMod(pt, x, pt, x, work, t1);
        subSmall(work, t1, (byte) 3);
        mulMod(work, t1, pt, x, work, t2);
        addMod(work, t2, B, (short) 0);
        mulMod(pt, y, pt, y, work, t1);
        boolean ok = Util.arrayCompare(work, t1, work, t2, FIELD_LENGTH) == 0;
        Util.arrayFillNonAtomic(work, workOff, WORK_LENGTH, (byte) 0);
        return ok;
    }

    /** a < b as 32-byte unsigned big-endian numbers. */
    private static boolean below(byte[] a, short aOff, byte[] b, short bOff) {
        for (short i = 0; i < FIELD_LENGTH; i++) {
            short x = (short) (a[(short) (aOff + i)] & 0xFF);
            short y = (short) (b[(short) (bOff + i)] & 0xFF);
            if (x != y) return x < y;
        }
        return false;
    }

    /** r := r - p (mod 2^256). */
    private static void subP(byte[] r, short rOff) {
        short borrow = 0;
        for (short i = (short) (FIELD_LENGTH - 1); i >= 0; i--) {
            short k = (short) (rOff + i);
            short d = (short) ((short) (r[k] & 0xFF) - (short) (P[i] & 0xFF) - borrow);
            borrow = d < 0 ? (short) 1 : (short) 0;
            r[k] = (byte) d;
        }
    }

    /** r := r + a (mod 2^256); returns the carry out (0/1). */
    private static short add(byte[] r, short rOff, byte[] a, short aOff) {
        short carry = 0;
        for (short i = (short) (FIELD_LENGTH - 1); i >= 0; i--) {
            short k = (short) (rOff + i);
            short s = (short) ((short) (r[k] & 0xFF) + (short) (a[(short) (aOff + i)] & 0xFF) + carry);
            r[k] = (byte) s;
            carry = (short) ((short) (s >> 8) & 1);
        }
        return carry;
    }

    /** r := r + a mod p, for r, a < p. */
    private static void addMod(byte[] r, short rOff, byte[] a, short aOff) {
        if (add(r, rOff, a, aOff) != 0 || !below(r, rOff, P, (short) 0)) subP(r, rOff);
    }

    /** r := r - k mod p, for r < p and a small k. */
    private static void subSmall(byte[] r, short rOff, byte k) {
        short borrow = k;
        for (short i = (short) (FIELD_LENGTH - 1); i >= 0 && borrow != 0; i--) {
            short j = (short) (rOff + i);
            short d = (short) ((short) (r[j] & 0xFF) - borrow);
            borrow = d < 0 ? (short) 1 : (short) 0;
            r[j] = (byte) d;
        }
        if (borrow != 0) add(r, rOff, P, (short) 0); // wrapped below zero: + p (the carry out cancels the wrap)
    }

    /** r := a * b mod p (a, b < p; r distinct from both): MSB-first shift-and-add. */
    private static void mulMod(byte[] a, short aOff, byte[] b, short bOff, byte[] r, short rOff) {
        Util.arrayFillNonAtomic(r, rOff, FIELD_LENGTH, (byte) 0);
        for (short i = 0; i < FIELD_LENGTH; i++) {
            byte bi = b[(short) (bOff + i)];
            for (short bit = 7; bit >= 0; bit--) {
                addMod(r, rOff, r, rOff); // r = 2r mod p
                if ((short) ((short) (bi >> bit) & 1) != 0) addMod(r, rOff, a, aOff);
            }
        }
    }
}
