package uicc.usim.toolkit;

import uicc.toolkit.EnvelopeHandler;
import uicc.toolkit.ToolkitException;

/**
 * SMS access to the envelope (3GPP TS 31.130): offsets are in the SMS TPDU TLV's value. For a
 * concatenated message the runtime presents the reassembled message; TP-UDL is then meaningless
 * and {@link #getUserDataLength} gives the length.
 */
public interface USATEnvelopeHandler extends EnvelopeHandler {

    /** Offset of TP-UDL in the first SMS TPDU TLV's value (selects that TLV). */
    short getTPUDLOffset() throws ToolkitException;

    /** Length of the user data (with the UDH), also for a concatenated message. */
    short getUserDataLength() throws ToolkitException;

    /** Offset of the short message: the first user-data byte after the UDH. */
    short getShortMessageOffset() throws ToolkitException;

    /** Length of the short message without the UDH. */
    short getShortMessageLength() throws ToolkitException;
}
