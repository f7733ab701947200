package uicc.toolkit;

/** The TERMINAL RESPONSE to the last proactive command (TS 102 241 clause 6.10). */
public interface ProactiveResponseHandler extends ViewHandler {

    /** The general result (first byte of the Result TLV, TS 102 223 8.12). */
    byte getGeneralResult() throws ToolkitException;

    /** Length of the additional information of the Result TLV. */
    short getAdditionalInformationLength() throws ToolkitException;

    /** Copies the additional information; returns dstOffset + dstLength. */
    short copyAdditionalInformation(byte[] dstBuffer, short dstOffset, short dstLength) throws ToolkitException;
}
