package uicc.toolkit;

import javacard.framework.Shareable;

/**
 * Read access to a list of COMPREHENSION-TLVs (TS 102 241 clause 6.6; TLVs per ETSI TS 101 220
 * and TS 102 223 annex C). {@link #findTLV} selects a TLV; the value methods work on the selected
 * one. Tags are compared with the comprehension-required bit (b8) masked.
 */
public interface ViewHandler extends Shareable {

    /** Length of the TLV list in the handler. */
    short getLength() throws ToolkitException;

    /** Copies the whole TLV list; returns dstOffset + dstLength. */
    short copy(byte[] dstBuffer, short dstOffset, short dstLength) throws ToolkitException;

    /**
     * Selects the occurrence-th TLV with the tag (occurrence from 1); returns
     * {@link ToolkitConstants#TLV_NOT_FOUND}, {@link ToolkitConstants#TLV_FOUND_CR_SET} or
     * {@link ToolkitConstants#TLV_FOUND_CR_NOT_SET}.
     */
    byte findTLV(byte tag, byte occurrence) throws ToolkitException;

    /** Value length of the selected TLV; UNAVAILABLE_ELEMENT when none is selected. */
    short getValueLength() throws ToolkitException;

    /** One byte of the selected TLV's value. */
    byte getValueByte(short valueOffset) throws ToolkitException;

    /** Two bytes (big-endian) of the selected TLV's value. */
    short getValueShort(short valueOffset) throws ToolkitException;

    /** Copies part of the selected TLV's value; returns dstOffset + dstLength. */
    short copyValue(short valueOffset, byte[] dstBuffer, short dstOffset, short dstLength) throws ToolkitException;

    /** Compares part of the selected TLV's value with the buffer: 0 equal, -1 / 1 as Util.arrayCompare. */
    byte compareValue(short valueOffset, byte[] compareBuffer, short compareOffset, short compareLength) throws ToolkitException;

    /** Selects the first TLV with the tag and copies its whole value; returns dstOffset + value length. */
    short findAndCopyValue(byte tag, byte[] dstBuffer, short dstOffset) throws ToolkitException;
}
