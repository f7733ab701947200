package uicc.toolkit;

/**
 * The data the UICC returns to the ENVELOPE (TS 102 241 clause 6.8). Available until the first
 * proactive command is sent; {@link #post} or {@link #postAsBERTLV} makes the content the response.
 */
public interface EnvelopeResponseHandler extends EditHandler {

    /** Posts the content as the envelope's response data; status normal ending (90 00 / 91 xx). */
    void post(boolean statusType) throws ToolkitException;

    /** Posts the content wrapped in a BER-TLV with the tag; statusType is SW1 (0x90 normal ending). */
    void postAsBERTLV(byte statusType, byte tag) throws ToolkitException;

    /** Bytes that can still be appended. */
    short getAvailableLength();
}
