package dev.cardsmith.applet.platform;

import javacard.framework.ISOException;

/**
 * GlobalPlatform install data as Applet.install receives it (GP Card Specification 11.5.2.3.7,
 * Java Card Applet.install): LV(instance AID) || LV(privileges) || LV(application specific
 * parameters, the value of tag C9 of INSTALL [for install]). Every length is checked against the
 * install data length; a field running past it answers 6A80.
 */
public final class InstallParams {

    private InstallParams() {}

    /** Offset of the instance AID (its length is {@code b[off]}). */
    public static short aidOffset(byte[] b, short off) {
        return (short) (off + 1);
    }

    public static byte aidLength(byte[] b, short off) {
        return b[off];
    }

    /** Offset of the length byte of the application parameters (the C9 value); checks the structure. */
    private static short paramsLengthOffset(byte[] b, short off, byte len) {
        short end = (short) (off + (short) (len & 0xFF));
        short p = (short) (off + 1 + (short) (b[off] & 0xFF)); // after the AID
        if (p >= end) ISOException.throwIt(Sw.WRONG_DATA);
        p = (short) (p + 1 + (short) (b[p] & 0xFF)); // after the privileges
        if (p >= end || (short) (p + 1 + (short) (b[p] & 0xFF)) > end) ISOException.throwIt(Sw.WRONG_DATA);
        return p;
    }

    /** Offset of the application specific parameters (the value of C9). */
    public static short paramsOffset(byte[] b, short off, byte len) {
        return (short) (paramsLengthOffset(b, off, len) + 1);
    }

    /** Length of the application specific parameters (0 when the loader sent none). */
    public static short paramsLength(byte[] b, short off, byte len) {
        return (short) (b[paramsLengthOffset(b, off, len)] & 0xFF);
    }
}
