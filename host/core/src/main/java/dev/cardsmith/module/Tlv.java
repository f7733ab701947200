package dev.cardsmith.module;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;

/**
 * BER-TLV as ISO 7816-4 and BSI TR-03110 use it (tags of one or two bytes, definite lengths).
 * Hand-written because BouncyCastle's EAC classes cannot carry a multi-byte CHAT discretionary
 * data object (they keep its first byte only), which the module certificate needs for the nonce.
 */
public final class Tlv {

    private Tlv() {}

    public static byte[] of(int tag, byte[]... values) {
        ByteArrayOutputStream v = new ByteArrayOutputStream();
        for (byte[] b : values) v.writeBytes(b);
        byte[] value = v.toByteArray();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (tag > 0xFF) out.write(tag >> 8);
        out.write(tag & 0xFF);
        int n = value.length;
        if (n < 0x80) out.write(n);
        else if (n < 0x100) { out.write(0x81); out.write(n); }
        else { out.write(0x82); out.write(n >> 8); out.write(n & 0xFF); }
        out.writeBytes(value);
        return out.toByteArray();
    }

    public static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] b : parts) out.writeBytes(b);
        return out.toByteArray();
    }

    /** One decoded element: its tag, value and the offsets of the whole element in the source. */
    public record Element(int tag, byte[] value, int start, int end) {}

    /** Sequential reader over buf[off..end) that rejects a length running past its parent. */
    public static final class Reader {
        private final byte[] buf;
        private int pos;
        private final int end;

        public Reader(byte[] buf) { this(buf, 0, buf.length); }

        public Reader(byte[] buf, int off, int end) {
            this.buf = buf;
            this.pos = off;
            this.end = end;
        }

        public boolean hasMore() { return pos < end; }

        public int position() { return pos; }

        public Element next() {
            int start = pos;
            int tag = u8();
            if ((tag & 0x1F) == 0x1F) tag = (tag << 8) | u8();
            int len = u8();
            if (len == 0x81) len = u8();
            else if (len == 0x82) len = (u8() << 8) | u8();
            else if (len > 0x7F) throw new ModuleException("unsupported TLV length form");
            if (len > end - pos) throw new ModuleException("TLV length runs past its parent");
            byte[] value = Arrays.copyOfRange(buf, pos, pos + len);
            pos += len;
            return new Element(tag, value, start, pos);
        }

        public Element expect(int tag) {
            if (!hasMore()) throw new ModuleException(String.format("TLV %X missing", tag));
            Element e = next();
            if (e.tag() != tag) throw new ModuleException(String.format("expected TLV %X, found %X", tag, e.tag()));
            return e;
        }

        public void expectEnd() {
            if (pos != end) throw new ModuleException("trailing bytes after TLV");
        }

        private int u8() {
            if (pos >= end) throw new ModuleException("truncated TLV");
            return buf[pos++] & 0xFF;
        }
    }
}
