package dev.cardsmith.fuzz;

import java.util.ArrayList;
import java.util.List;

/**
 * BER-TLV elements of a command's data field, found without trusting them (ISO 7816-4 5.2):
 * where each tag, length field and value sits, constructed tags (b6 of the first tag byte)
 * descended into. The mutator rewrites length fields through these positions.
 */
final class Tlv {

    private Tlv() {}

    /** One element: offsets of the tag, the length field and the value, and the value length it declares. */
    record Element(int tagOff, int lengthOff, int lengthBytes, int valueOff, int length) {}

    static List<Element> parse(byte[] d) {
        List<Element> out = new ArrayList<>();
        parse(d, 0, d.length, out, 0);
        return out;
    }

    private static void parse(byte[] d, int off, int end, List<Element> out, int depth) {
        int p = off;
        while (p < end && depth < 4) {
            int tagStart = p;
            int t = d[p++] & 0xFF;
            if (t == 0x00 || t == 0xFF) return;
            if ((t & 0x1F) == 0x1F) {
                while (p < end && (d[p] & 0x80) != 0) p++;
                p++;
            }
            if (p >= end) return;
            int lo = p;
            int l = d[p++] & 0xFF;
            int lb = 1;
            if (l == 0x81 && p < end) { l = d[p++] & 0xFF; lb = 2; }
            else if (l == 0x82 && p + 1 < end) { l = ((d[p] & 0xFF) << 8) | (d[p + 1] & 0xFF); p += 2; lb = 3; }
            else if (l > 0x80) return;
            if (p + l > end) return;
            out.add(new Element(tagStart, lo, lb, p, l));
            if ((d[tagStart] & 0x20) != 0) parse(d, p, p + l, out, depth + 1);
            p += l;
        }
    }

    /** d with the length field of e replaced by the BER encoding of newLength (value bytes kept). */
    static byte[] withLength(byte[] d, Element e, int newLength) {
        byte[] len = newLength < 0x80 ? new byte[] {(byte) newLength}
                : newLength < 0x100 ? new byte[] {(byte) 0x81, (byte) newLength}
                : new byte[] {(byte) 0x82, (byte) (newLength >> 8), (byte) newLength};
        byte[] out = new byte[d.length - e.lengthBytes() + len.length];
        System.arraycopy(d, 0, out, 0, e.lengthOff());
        System.arraycopy(len, 0, out, e.lengthOff(), len.length);
        System.arraycopy(d, e.lengthOff() + e.lengthBytes(), out, e.lengthOff() + len.length, d.length - e.lengthOff() - e.lengthBytes());
        return out;
    }
}
