package dev.cardsmith.simulator.uicc;

import uicc.toolkit.EnvelopeResponseHandler;
import uicc.toolkit.ProactiveHandler;
import uicc.toolkit.ProactiveResponseHandler;
import uicc.toolkit.ToolkitConstants;
import uicc.toolkit.ToolkitException;
import uicc.usim.toolkit.USATEnvelopeHandler;

/** The four handlers of one simulated UICC (TS 102 241 6.7-6.10; TS 31.130 for the SMS view). */
final class Handlers {

    private Handlers() {}

    /** Capacity of the handlers that mirror one APDU's data (TS 102 241: at least 255 bytes minus the BER-TLV header). */
    static final int APDU_CAPACITY = 255;

    /**
     * The triggering ENVELOPE's SIMPLE-TLVs. For a reassembled concatenated SMS the SMS TPDU TLV
     * holds the whole message and {@link #userDataLength} overrides TP-UDL (TS 31.130: TP-UDL is
     * then meaningless).
     */
    static final class Envelope extends TlvList implements USATEnvelopeHandler {
        private byte tag;
        private int userDataLength = -1;

        Envelope() {
            super(2048);
        }

        void load(byte envelopeTag, byte[] tlvs, int userDataLengthOverride) {
            load(tlvs, 0, tlvs.length);
            tag = envelopeTag;
            userDataLength = userDataLengthOverride;
        }

        @Override
        public byte getEnvelopeTag() {
            return tag;
        }

        /** Selects the SMS TPDU TLV and parses it (UNAVAILABLE_ELEMENT when absent or not an 8-bit SMS-DELIVER). */
        private SmsDeliver sms() {
            if (findTLV(ToolkitConstants.TAG_SMS_TPDU, (byte) 1) == ToolkitConstants.TLV_NOT_FOUND) {
                ToolkitException.throwIt(ToolkitException.UNAVAILABLE_ELEMENT);
            }
            byte[] tpdu = new byte[getValueLength()];
            copyValue((short) 0, tpdu, (short) 0, (short) tpdu.length);
            SmsDeliver d = SmsDeliver.parse(tpdu, 0, tpdu.length, userDataLength);
            if (d == null || !d.eightBit()) ToolkitException.throwIt(ToolkitException.UNAVAILABLE_ELEMENT);
            return d;
        }

        @Override
        public short getTPUDLOffset() {
            return (short) sms().udlOffset();
        }

        @Override
        public short getUserDataLength() {
            return (short) sms().udl();
        }

        @Override
        public short getShortMessageOffset() {
            SmsDeliver d = sms();
            return (short) (d.udlOffset() + 1 + (d.udhi() ? (getValueByte((short) (d.udlOffset() + 1)) & 0xFF) + 1 : 0));
        }

        @Override
        public short getShortMessageLength() {
            SmsDeliver d = sms();
            return (short) (d.udl() - (d.udhi() ? (getValueByte((short) (d.udlOffset() + 1)) & 0xFF) + 1 : 0));
        }
    }

    /** The ENVELOPE's response data (TS 102 241 6.8): posted once, unavailable after the first proactive command. */
    static final class EnvelopeResponse extends TlvList implements EnvelopeResponseHandler {
        boolean posted;
        boolean warning;
        boolean closed;

        EnvelopeResponse() {
            super(APDU_CAPACITY);
        }

        void reset() {
            clear();
            posted = false;
            warning = false;
            closed = false;
        }

        private void requireOpen() {
            if (closed || posted) ToolkitException.throwIt(ToolkitException.HANDLER_NOT_AVAILABLE);
        }

        @Override
        public void post(boolean statusType) {
            requireOpen();
            posted = true;
            warning = !statusType;
        }

        @Override
        public void postAsBERTLV(byte statusType, byte tag) {
            requireOpen();
            byte[] content = bytes();
            clear();
            byte[] head = content.length > 0x7F ? new byte[] {tag, (byte) 0x81, (byte) content.length} : new byte[] {tag, (byte) content.length};
            appendArray(head, (short) 0, (short) head.length);
            appendArray(content, (short) 0, (short) content.length);
            posted = true;
            warning = statusType != (byte) 0x90;
        }

        @Override
        public void appendArray(byte[] buffer, short offset, short length) {
            if (closed || posted) ToolkitException.throwIt(ToolkitException.HANDLER_NOT_AVAILABLE);
            super.appendArray(buffer, offset, length);
        }

        @Override
        public short getAvailableLength() {
            return available();
        }
    }

    /** Builds one proactive command (TS 102 223 6.6: command details, device identities, the rest). */
    static final class Proactive extends TlvList implements ProactiveHandler {
        private final ProactiveSession session;
        private boolean initialized;

        Proactive(ProactiveSession session) {
            super(APDU_CAPACITY - 3); // the D0 BER-TLV header
            this.session = session;
        }

        @Override
        public void init(byte type, byte qualifier, byte dstDevice) {
            clear();
            // command number 01: this runtime runs one proactive command at a time (TS 102 223 6.5.1)
            appendTLV((byte) (ToolkitConstants.TAG_COMMAND_DETAILS | ToolkitConstants.TAG_SET_CR), new byte[] {1, type, qualifier}, (short) 0, (short) 3);
            appendTLV((byte) (ToolkitConstants.TAG_DEVICE_IDENTITIES | ToolkitConstants.TAG_SET_CR),
                    new byte[] {ToolkitConstants.DEV_ID_UICC, dstDevice}, (short) 0, (short) 2);
            initialized = true;
        }

        @Override
        public byte send() {
            if (!initialized) ToolkitException.throwIt(ToolkitException.UNAVAILABLE_ELEMENT);
            byte[] tlvs = bytes();
            byte[] cmd = BerTlv.wrap(ToolkitConstants.BTAG_PROACTIVE_COMMAND, tlvs);
            return session.send(cmd);
        }

        @Override
        public short getCapacity() {
            return available();
        }
    }

    /** The TERMINAL RESPONSE to the last proactive command (TS 102 223 6.8). */
    static final class ProactiveResponse extends TlvList implements ProactiveResponseHandler {
        ProactiveResponse() {
            super(APDU_CAPACITY);
        }

        private void selectResult() {
            if (findTLV(ToolkitConstants.TAG_RESULT, (byte) 1) == ToolkitConstants.TLV_NOT_FOUND || getValueLength() < 1) {
                ToolkitException.throwIt(ToolkitException.UNAVAILABLE_ELEMENT);
            }
        }

        @Override
        public byte getGeneralResult() {
            selectResult();
            return getValueByte((short) 0);
        }

        @Override
        public short getAdditionalInformationLength() {
            selectResult();
            return (short) (getValueLength() - 1);
        }

        @Override
        public short copyAdditionalInformation(byte[] dstBuffer, short dstOffset, short dstLength) {
            selectResult();
            return copyValue((short) 1, dstBuffer, dstOffset, dstLength);
        }
    }
}
