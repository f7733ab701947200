package dev.cardsmith.ota.handset;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * COMPREHENSION-TLV (ETSI TS 101 220 7.1.1, used by TS 102 223): single-byte tags whose b8 is the
 * comprehension-required flag, lengths in one byte or 81 xx. Strict: an object running past its
 * parent is an error. Only what the handset model needs.
 */
final class Ctlv {
    private Ctlv() {}

    /** The simple TLVs inside {@code v[off..end)}, keyed by tag without the CR bit (first occurrence wins). */
    static Map<Integer, byte[]> parse(byte[] v, int off, int end) {
        Map<Integer, byte[]> out = new LinkedHashMap<>();
        int p = off;
        while (p < end) {
            int tag = v[p++] & 0xFF;
            if (tag == 0x00 || tag == 0xFF || tag == 0x7F || tag == 0x80) throw new IllegalArgumentException(String.format("unsupported COMPREHENSION-TLV tag %02X", tag));
            int[] len = length(v, p, end);
            p = len[1];
            if (len[0] > end - p) throw new IllegalArgumentException(String.format("TLV %02X runs past its parent", tag));
            out.putIfAbsent(tag & 0x7F, Arrays.copyOfRange(v, p, p + len[0]));
            p += len[0];
        }
        return out;
    }

    /** The value of a BER-TLV with the one-byte tag {@code tag} that spans all of {@code v}. */
    static int[] outer(byte[] v, int tag) {
        if (v.length < 2 || (v[0] & 0xFF) != tag) throw new IllegalArgumentException(String.format("expected tag %02X", tag));
        int[] len = length(v, 1, v.length);
        if (len[1] + len[0] != v.length) throw new IllegalArgumentException(String.format("length of tag %02X does not match %d bytes", tag, v.length));
        return new int[] {len[1], v.length};
    }

    /** {length, offset of the value}. */
    private static int[] length(byte[] v, int p, int end) {
        if (p >= end) throw new IllegalArgumentException("TLV length missing");
        int l = v[p++] & 0xFF;
        if (l == 0x81) {
            if (p >= end) throw new IllegalArgumentException("TLV length missing");
            l = v[p++] & 0xFF;
            if (l < 0x80) throw new IllegalArgumentException("non-minimal TLV length");
        } else if (l > 0x7F) {
            throw new IllegalArgumentException("TLV length form " + Integer.toHexString(l) + " not supported");
        }
        return new int[] {l, p};
    }

    static void write(ByteArrayOutputStream o, int tag, byte[] value) {
        o.write(tag);
        if (value.length > 0xFF) throw new IllegalArgumentException("TLV value longer than 255 bytes");
        if (value.length > 0x7F) o.write(0x81);
        o.write(value.length);
        o.writeBytes(value);
    }
}
