package dev.cardsmith.applet.vault;

import javacard.framework.ISO7816;
import javacard.framework.ISOException;

/**
 * Bounds-checked reading of the vault's flat TLVs: one-byte tag, one-byte length below 0x80,
 * value. A tag other than the expected one, a long-form length, a length outside the allowed
 * range or a value running past its parent all answer 6A80.
 */
final class Tlv {

    private Tlv() {}

    /**
     * Checks that a TLV with {@code tag} and a value length in [min, max] starts at {@code off}
     * and ends at or before {@code end}; returns the value length (the value starts at off + 2).
     */
    static short expect(byte[] buf, short off, short end, byte tag, short min, short max) {
        if ((short) (off + 2) > end || buf[off] != tag) ISOException.throwIt(ISO7816.SW_WRONG_DATA);
        short len = (short) (buf[(short) (off + 1)] & 0xFF);
        if (len >= (short) 0x80 || len < min || len > max || (short) (off + 2 + len) > end) {
            ISOException.throwIt(ISO7816.SW_WRONG_DATA);
        }
        return len;
    }

    /** Offset after the TLV at {@code off} (already checked with expect). */
    static short next(byte[] buf, short off) {
        return (short) (off + 2 + (short) (buf[(short) (off + 1)] & 0xFF));
    }

    /** Writes tag || len || value at {@code off}; returns the offset after it. */
    static short put(byte[] out, short off, byte tag, byte[] value, short valOff, short len) {
        out[off] = tag;
        out[(short) (off + 1)] = (byte) len;
        return javacard.framework.Util.arrayCopyNonAtomic(value, valOff, out, (short) (off + 2), len);
    }
}
