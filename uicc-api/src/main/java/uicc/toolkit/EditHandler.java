package uicc.toolkit;

/** A {@link ViewHandler} the applet can write (TS 102 241 clause 6.6). */
public interface EditHandler extends ViewHandler {

    /** Empties the handler. */
    void clear() throws ToolkitException;

    /** Appends raw bytes (whole TLVs). */
    void appendArray(byte[] buffer, short offset, short length) throws ToolkitException;

    /** Appends a TLV with a one-byte value. */
    void appendTLV(byte tag, byte value) throws ToolkitException;

    /** Appends a TLV with a two-byte value. */
    void appendTLV(byte tag, short value) throws ToolkitException;

    /** Appends a TLV whose value is taken from the buffer. */
    void appendTLV(byte tag, byte[] value, short valueOffset, short valueLength) throws ToolkitException;
}
