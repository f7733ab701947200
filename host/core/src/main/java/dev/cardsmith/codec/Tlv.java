package dev.cardsmith.codec;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * TLV as the cards speak it, once for every system. Two forms:
 * <ul>
 * <li>BER-TLV as ISO 7816-4 and BSI TR-03110 use it (tags of one or two bytes, definite lengths
 * in one to three bytes): the module's certificates and protocol. Hand-written because
 * BouncyCastle's EAC classes cannot carry a multi-byte CHAT discretionary data object.</li>
 * <li>The short form the vault applet enforces (one-byte tag, one-byte length below 0x80):
 * {@link #putShort} / {@link #parseShort}. A BER reader would accept long-form lengths that the
 * card refuses, so this form rejects them.</li>
 * </ul>
 * The reader is strict in both forms: a length running past its parent, a truncated element and
 * (with {@link Reader#expectEnd}) trailing bytes are errors. Errors are
 * {@link IllegalArgumentException}s unless the caller names its own exception type.
 */
public final class Tlv {

    private Tlv() {}

    /** BER-TLV: tag (one or two bytes) || definite length || the values concatenated. */
    public static byte[] of(int tag, byte[]... values) {
        byte[] value = concat(values);
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

    /** Short form: one-byte tag, one-byte length below 0x80. */
    public static void putShort(ByteArrayOutputStream out, int tag, byte[] value) {
        if (value.length >= 0x80) throw new IllegalArgumentException("TLV value too long for the short form");
        out.write(tag);
        out.write(value.length);
        out.writeBytes(value);
    }

    /** All short-form elements of {@code b}, in order; the whole array must be elements. */
    public static List<Element> parseShort(byte[] b) {
        Reader r = new Reader(b, 0, b.length, IllegalArgumentException::new, true);
        List<Element> items = new ArrayList<>();
        while (r.hasMore()) items.add(r.next());
        return items;
    }

    /** All BER-TLV elements of buf[off..end), in order; errors of the caller's type. */
    public static List<Element> parseAll(byte[] buf, int off, int end, Function<String, ? extends RuntimeException> error) {
        if (off < 0 || end > buf.length || off > end) throw error.apply("TLV runs past its data");
        Reader r = new Reader(buf, off, end, error, false);
        List<Element> items = new ArrayList<>();
        while (r.hasMore()) items.add(r.next());
        return items;
    }

    /** One decoded element: its tag, value and the offsets of the whole element in the source. */
    public record Element(int tag, byte[] value, int start, int end) {}

    /** Sequential BER-TLV reader over buf[off..end) that rejects a length running past its parent. */
    public static final class Reader {
        private final byte[] buf;
        private int pos;
        private final int end;
        private final Function<String, ? extends RuntimeException> error;
        private final boolean shortForm;

        public Reader(byte[] buf) { this(buf, IllegalArgumentException::new); }

        /** A reader whose errors are of the caller's type (e.g. {@code ModuleException::new}). */
        public Reader(byte[] buf, Function<String, ? extends RuntimeException> error) {
            this(buf, 0, buf.length, error, false);
        }

        public Reader(byte[] buf, int off, int end) { this(buf, off, end, IllegalArgumentException::new, false); }

        private Reader(byte[] buf, int off, int end, Function<String, ? extends RuntimeException> error, boolean shortForm) {
            this.buf = buf;
            this.pos = off;
            this.end = end;
            this.error = error;
            this.shortForm = shortForm;
        }

        public boolean hasMore() { return pos < end; }

        public int position() { return pos; }

        public Element next() {
            int start = pos;
            int tag = u8();
            if (!shortForm && (tag & 0x1F) == 0x1F) tag = (tag << 8) | u8();
            int len = u8();
            if (len > 0x7F) {
                if (shortForm) throw error.apply("bad TLV length");
                if (len == 0x81) len = u8();
                else if (len == 0x82) len = (u8() << 8) | u8();
                else throw error.apply("unsupported TLV length form");
            }
            if (len > end - pos) throw error.apply(shortForm ? "bad TLV length" : "TLV length runs past its parent");
            byte[] value = Arrays.copyOfRange(buf, pos, pos + len);
            pos += len;
            return new Element(tag, value, start, pos);
        }

        public Element expect(int tag) {
            if (!hasMore()) throw error.apply(String.format("TLV %X missing", tag));
            Element e = next();
            if (e.tag() != tag) throw error.apply(String.format("expected TLV %X, found %X", tag, e.tag()));
            return e;
        }

        public void expectEnd() {
            if (pos != end) throw error.apply("trailing bytes after TLV");
        }

        private int u8() {
            if (pos >= end) throw error.apply("truncated TLV");
            return buf[pos++] & 0xFF;
        }
    }
}
