package dev.cardsmith.applet.platform;

import javacard.framework.Util;

/** Byte-array helpers every applet needs: a constant-time compare and ISO/IEC 9797-1 padding method 2. */
public final class Bytes {

    private Bytes() {}

    /** The AES block size, the unit of {@link #pad}. */
    public static final short BLOCK = 16;

    /**
     * Constant-time comparison for MACs, cryptograms and proofs: always reads all {@code len}
     * bytes (Util.arrayCompare stops at the first difference, whose timing tells an attacker
     * how many leading bytes were right).
     */
    public static boolean equal(byte[] a, short aOff, byte[] b, short bOff, short len) {
        byte diff = 0;
        for (short i = 0; i < len; i++) {
            diff |= (byte) (a[(short) (aOff + i)] ^ b[(short) (bOff + i)]);
        }
        return diff == 0;
    }

    /**
     * ISO/IEC 9797-1 padding method 2 in place: 80 then zeros up to the next multiple of 16
     * (always at least one byte). {@code b} needs room up to the padded length; returns it.
     */
    public static short pad(byte[] b, short off, short len) {
        short padded = (short) ((short) (len + BLOCK) & (short) ~(BLOCK - 1));
        b[(short) (off + len)] = (byte) 0x80;
        Util.arrayFillNonAtomic(b, (short) (off + len + 1), (short) (padded - len - 1), (byte) 0);
        return padded;
    }

    /**
     * Removes ISO/IEC 9797-1 method 2 padding from {@code b[off..off+len)}: returns the data
     * length, or -1 when the data does not end in 80 00..00 within its last block.
     */
    public static short unpad(byte[] b, short off, short len) {
        if (len <= 0) return -1;
        short i = (short) (off + len - 1);
        short stop = (short) (off + len - BLOCK);
        if (stop < off) stop = off;
        while (i > stop && b[i] == 0) i--;
        if (b[i] != (byte) 0x80) return -1;
        return (short) (i - off);
    }
}
