package dev.cardsmith.applet.platform;

import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.Util;

/**
 * A strict, nested BER-TLV reader (and the matching writer). Tags of one or two bytes; lengths
 * in short form (00..7F) or long form 81 xx / 82 xxxx (at most 7FFF); indefinite length (80), 83
 * and longer, a tag or length cut off by the end of its parent and a value running past its
 * parent all answer 6A80. {@link #enter} makes the current TLV's value the parent of what
 * follows, {@link #leave} requires that parent to be consumed exactly.
 *
 * <p>Usage: {@code start(buf, off, len)}, then {@code expect(tag, min, max)} (or {@link #next})
 * for each TLV in order, {@link #valueOffset} for where its value starts, {@link #finish} at the
 * end. State: 6 + maxDepth transient shorts and one transient reference.
 */
public final class Tlv {

    private static final short POS = 0;
    private static final short TAG = 1;
    private static final short VOFF = 2;
    private static final short VLEN = 3;
    private static final short DEPTH = 4;
    /** Parent ends, innermost at ENDS + depth. */
    private static final short ENDS = 5;

    private final short[] s;
    private final Object[] ref;

    /** A reader for TLVs nested at most {@code maxDepth} levels below the top level; its state is CLEAR_ON_DESELECT. */
    public Tlv(short maxDepth) {
        this(maxDepth, JCSystem.CLEAR_ON_DESELECT);
    }

    /**
     * The same with its state in {@code clearEvent} memory: CLEAR_ON_RESET for a UICC toolkit
     * applet, whose processToolkit runs unselected, where CLEAR_ON_DESELECT memory is not
     * accessible (Java Card 3.0.5 runtime 6.1.3, ETSI TS 102 241 6.2).
     */
    public Tlv(short maxDepth, byte clearEvent) {
        s = JCSystem.makeTransientShortArray((short) (ENDS + maxDepth + 1), clearEvent);
        ref = JCSystem.makeTransientObjectArray((short) 1, clearEvent);
    }

    /** Starts reading the TLVs in {@code buf[off..off+len)} (the top-level parent). */
    public void start(byte[] buf, short off, short len) {
        ref[0] = buf;
        s[POS] = off;
        s[DEPTH] = 0;
        s[ENDS] = (short) (off + len);
        s[TAG] = 0;
        s[VOFF] = off;
        s[VLEN] = 0;
    }

    private byte[] buf() {
        return (byte[]) ref[0];
    }

    private short end() {
        return s[(short) (ENDS + s[DEPTH])];
    }

    /** True while the current parent has bytes left. */
    public boolean hasMore() {
        return s[POS] < end();
    }

    /**
     * Reads the next TLV's header and steps past it: afterwards {@link #tag}, {@link #length}
     * and {@link #valueOffset} describe it. Returns false at the end of the current parent.
     */
    public boolean next() {
        byte[] b = buf();
        short p = s[POS];
        short end = end();
        if (p >= end) return false;
        short tag = (short) (b[p++] & 0xFF);
        if ((short) (tag & 0x1F) == 0x1F) {
            if (p >= end) ISOException.throwIt(Sw.WRONG_DATA);
            byte t2 = b[p++];
            if ((t2 & (byte) 0x80) != 0) ISOException.throwIt(Sw.WRONG_DATA); // three-byte tags: not used here
            tag = (short) ((short) (tag << 8) | (short) (t2 & 0xFF));
        }
        if (p >= end) ISOException.throwIt(Sw.WRONG_DATA);
        short len = (short) (b[p++] & 0xFF);
        if (len == 0x81) {
            if (p >= end) ISOException.throwIt(Sw.WRONG_DATA);
            len = (short) (b[p++] & 0xFF);
        } else if (len == 0x82) {
            if ((short) (p + 1) >= end) ISOException.throwIt(Sw.WRONG_DATA);
            len = Util.getShort(b, p);
            p += 2;
            if (len < 0) ISOException.throwIt(Sw.WRONG_DATA);
        } else if (len >= 0x80) {
            ISOException.throwIt(Sw.WRONG_DATA);
        }
        // the value must end inside the parent (written so that it cannot overflow)
        if (len > (short) (end - p)) ISOException.throwIt(Sw.WRONG_DATA);
        s[TAG] = tag;
        s[VOFF] = p;
        s[VLEN] = len;
        s[POS] = (short) (p + len);
        return true;
    }

    /**
     * Reads the next TLV and requires tag {@code tag} and a value length in [min, max] (6A80
     * otherwise, also when the parent has no TLV left). Returns the value length.
     */
    public short expect(short tag, short min, short max) {
        if (!next() || s[TAG] != tag || s[VLEN] < min || s[VLEN] > max) ISOException.throwIt(Sw.WRONG_DATA);
        return s[VLEN];
    }

    /** Tag of the TLV read last (one byte: 00XX; two bytes: XXYY). */
    public short tag() {
        return s[TAG];
    }

    public short length() {
        return s[VLEN];
    }

    public short valueOffset() {
        return s[VOFF];
    }

    /** Offset after everything read so far (the next TLV's start). */
    public short position() {
        return s[POS];
    }

    /** Descends into the value of the TLV read last: it becomes the parent. */
    public void enter() {
        short d = (short) (s[DEPTH] + 1);
        if ((short) (ENDS + d) >= (short) s.length) ISOException.throwIt(Sw.WRONG_DATA);
        s[DEPTH] = d;
        s[(short) (ENDS + d)] = (short) (s[VOFF] + s[VLEN]);
        s[POS] = s[VOFF];
    }

    /** Requires the current parent to be consumed exactly, then returns to its own parent. */
    public void leave() {
        if (s[DEPTH] == 0 || s[POS] != end()) ISOException.throwIt(Sw.WRONG_DATA);
        s[DEPTH]--;
    }

    /** Requires every TLV to be read: back at the top level, nothing after the last TLV. */
    public void finish() {
        if (s[DEPTH] != 0 || s[POS] != end()) ISOException.throwIt(Sw.WRONG_DATA);
    }

    // ---- writing ----------------------------------------------------------------------------

    /** Writes a one-byte tag and the length of a value of {@code len} bytes; returns the value offset. */
    public static short putHeader(byte[] out, short off, byte tag, short len) {
        out[off++] = tag;
        if (len >= 0x100) {
            out[off++] = (byte) 0x82;
            return Util.setShort(out, off, len);
        }
        if (len >= 0x80) out[off++] = (byte) 0x81;
        out[off++] = (byte) len;
        return off;
    }

    /** Writes tag || length || value; returns the offset after it. */
    public static short put(byte[] out, short off, byte tag, byte[] value, short valOff, short len) {
        off = putHeader(out, off, tag, len);
        return Util.arrayCopyNonAtomic(value, valOff, out, off, len);
    }
}
