package dev.cardsmith.simulator.uicc;

import java.util.Arrays;

/** The one-byte-tag BER-TLV of ENVELOPE and proactive commands (TS 101 220 7.1.2; lengths 1 byte or 81 xx, TS 102 223 annex C). */
final class BerTlv {

    private BerTlv() {}

    static byte[] wrap(byte tag, byte[] value) {
        int head = value.length > 0x7F ? 3 : 2;
        byte[] out = new byte[head + value.length];
        out[0] = tag;
        if (head == 3) out[1] = (byte) 0x81;
        out[head - 1] = (byte) value.length;
        System.arraycopy(value, 0, out, head, value.length);
        return out;
    }

    /** Offset of the value in a BER-TLV built by {@link #wrap}. */
    static int valueOffset(byte[] tlv) {
        return (tlv[1] & 0xFF) == 0x81 ? 3 : 2;
    }

    /** The value of a BER-TLV that must fill data exactly; null when the tag or the length do not fit. */
    static byte[] unwrap(byte tag, byte[] data) {
        if (data.length < 2 || data[0] != tag) return null;
        int l = data[1] & 0xFF;
        int head = 2;
        if (l == 0x81) {
            if (data.length < 3) return null;
            l = data[2] & 0xFF;
            if (l < 0x80) return null; // 81 form only for 128..255 (TS 102 223 annex C)
            head = 3;
        } else if (l > 0x7F) {
            return null;
        }
        if (head + l != data.length) return null;
        return Arrays.copyOfRange(data, head, data.length);
    }
}
