package dev.cardsmith.simulator.uicc;

import uicc.toolkit.EditHandler;
import uicc.toolkit.ToolkitConstants;
import uicc.toolkit.ToolkitException;

import java.util.Arrays;

/**
 * A list of COMPREHENSION-TLVs (ETSI TS 101 220 7.1.1; TS 102 223 annex C) behind the toolkit
 * handlers (TS 102 241 6.6): the one place that reads and writes them. Tags compare with the
 * comprehension-required bit (b8) masked; lengths are 1 byte, 81 xx or 82 xx xx (the last only
 * for a reassembled concatenated message, which has no 255-byte ENVELOPE limit inside the card).
 */
class TlvList implements EditHandler {

    private final byte[] buf;
    private int len;
    /** Value offset and length of the selected TLV; -1 when none is selected. */
    private int selOff = -1;
    private int selLen;

    TlvList(int capacity) {
        buf = new byte[capacity];
    }

    /** Replaces the content (no TLV selected). */
    void load(byte[] src, int off, int length) {
        if (length > buf.length) ToolkitException.throwIt(ToolkitException.HANDLER_OVERFLOW);
        System.arraycopy(src, off, buf, 0, length);
        len = length;
        selOff = -1;
    }

    byte[] bytes() {
        return Arrays.copyOf(buf, len);
    }

    /** Selects the TLV whose tag byte is at tagOff; returns the index after it, or -1 when malformed. */
    private int parseAt(int tagOff) {
        int p = tagOff;
        if (p >= len) return -1;
        if ((buf[p] & 0x7F) == 0x7F) p += 3; // three-byte tag format (TS 101 220 7.1.1.2)
        else p += 1;
        if (p >= len) return -1;
        int l = buf[p] & 0xFF;
        if (l == 0x81) {
            if (p + 1 >= len) return -1;
            l = buf[p + 1] & 0xFF;
            p += 2;
        } else if (l == 0x82) {
            if (p + 2 >= len) return -1;
            l = ((buf[p + 1] & 0xFF) << 8) | (buf[p + 2] & 0xFF);
            p += 3;
        } else if (l > 0x7F) {
            return -1;
        } else {
            p += 1;
        }
        if (p + l > len) return -1;
        selOff = p;
        selLen = l;
        return p + l;
    }

    /** True when the content is a sequence of whole TLVs (nothing truncated, nothing after the last). */
    boolean wellFormed() {
        int keepOff = selOff;
        int keepLen = selLen;
        int p = 0;
        while (p < len && p >= 0) p = parseAt(p);
        selOff = keepOff;
        selLen = keepLen;
        return p == len;
    }

    private void requireSelected() {
        if (selOff < 0) ToolkitException.throwIt(ToolkitException.UNAVAILABLE_ELEMENT);
    }

    private void requireInValue(int valueOffset, int length) {
        if (valueOffset < 0 || length < 0 || valueOffset + length > selLen) {
            ToolkitException.throwIt(ToolkitException.OUT_OF_TLV_BOUNDARIES);
        }
    }

    // ------------------------------------------------------------------ ViewHandler

    @Override
    public short getLength() {
        return (short) len;
    }

    @Override
    public short copy(byte[] dstBuffer, short dstOffset, short dstLength) {
        if (dstLength < 0 || dstLength > len) ToolkitException.throwIt(ToolkitException.OUT_OF_TLV_BOUNDARIES);
        System.arraycopy(buf, 0, dstBuffer, dstOffset, dstLength);
        return (short) (dstOffset + dstLength);
    }

    @Override
    public byte findTLV(byte tag, byte occurrence) {
        if (occurrence < 1) ToolkitException.throwIt(ToolkitException.BAD_INPUT_PARAMETER);
        int seen = 0;
        int p = 0;
        int keepOff = selOff;
        int keepLen = selLen;
        while (p < len) {
            int next = parseAt(p);
            if (next < 0) break;
            if ((buf[p] & 0x7F) == (tag & 0x7F) && ++seen == occurrence) {
                return (buf[p] & 0x80) != 0 ? ToolkitConstants.TLV_FOUND_CR_SET : ToolkitConstants.TLV_FOUND_CR_NOT_SET;
            }
            p = next;
        }
        selOff = keepOff; // not found: the selection stays what it was
        selLen = keepLen;
        return ToolkitConstants.TLV_NOT_FOUND;
    }

    @Override
    public short getValueLength() {
        requireSelected();
        return (short) selLen;
    }

    @Override
    public byte getValueByte(short valueOffset) {
        requireSelected();
        requireInValue(valueOffset, 1);
        return buf[selOff + valueOffset];
    }

    @Override
    public short getValueShort(short valueOffset) {
        requireSelected();
        requireInValue(valueOffset, 2);
        return (short) (((buf[selOff + valueOffset] & 0xFF) << 8) | (buf[selOff + valueOffset + 1] & 0xFF));
    }

    @Override
    public short copyValue(short valueOffset, byte[] dstBuffer, short dstOffset, short dstLength) {
        requireSelected();
        requireInValue(valueOffset, dstLength);
        System.arraycopy(buf, selOff + valueOffset, dstBuffer, dstOffset, dstLength);
        return (short) (dstOffset + dstLength);
    }

    @Override
    public byte compareValue(short valueOffset, byte[] compareBuffer, short compareOffset, short compareLength) {
        requireSelected();
        requireInValue(valueOffset, compareLength);
        for (int i = 0; i < compareLength; i++) {
            int a = buf[selOff + valueOffset + i] & 0xFF;
            int b = compareBuffer[compareOffset + i] & 0xFF;
            if (a != b) return (byte) (a < b ? -1 : 1);
        }
        return 0;
    }

    @Override
    public short findAndCopyValue(byte tag, byte[] dstBuffer, short dstOffset) {
        if (findTLV(tag, (byte) 1) == ToolkitConstants.TLV_NOT_FOUND) ToolkitException.throwIt(ToolkitException.UNAVAILABLE_ELEMENT);
        return copyValue((short) 0, dstBuffer, dstOffset, (short) selLen);
    }

    // ------------------------------------------------------------------ EditHandler

    @Override
    public void clear() {
        len = 0;
        selOff = -1;
    }

    @Override
    public void appendArray(byte[] buffer, short offset, short length) {
        if (length < 0 || len + length > buf.length) ToolkitException.throwIt(ToolkitException.HANDLER_OVERFLOW);
        System.arraycopy(buffer, offset, buf, len, length);
        len += length;
    }

    @Override
    public void appendTLV(byte tag, byte value) {
        appendTLV(tag, new byte[] {value}, (short) 0, (short) 1);
    }

    @Override
    public void appendTLV(byte tag, short value) {
        appendTLV(tag, new byte[] {(byte) (value >> 8), (byte) value}, (short) 0, (short) 2);
    }

    @Override
    public void appendTLV(byte tag, byte[] value, short valueOffset, short valueLength) {
        if (valueLength < 0 || valueLength > 255) ToolkitException.throwIt(ToolkitException.BAD_INPUT_PARAMETER);
        int head = valueLength > 0x7F ? 3 : 2;
        if (len + head + valueLength > buf.length) ToolkitException.throwIt(ToolkitException.HANDLER_OVERFLOW);
        buf[len++] = tag;
        if (head == 3) buf[len++] = (byte) 0x81;
        buf[len++] = (byte) valueLength;
        System.arraycopy(value, valueOffset, buf, len, valueLength);
        len += valueLength;
    }

    /** Capacity left. */
    short available() {
        return (short) (buf.length - len);
    }
}
