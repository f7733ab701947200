package uicc.toolkit;

/**
 * The ENVELOPE that triggered the applet (TS 102 241 clause 6.7): its SIMPLE-TLVs, without the
 * BER-TLV tag and length, which {@link #getEnvelopeTag} gives.
 */
public interface EnvelopeHandler extends ViewHandler {

    /** The BER-TLV tag of the envelope (e.g. D1 for SMS-PP download). */
    byte getEnvelopeTag() throws ToolkitException;
}
