package dev.cardsmith.applet.sim;

import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.Util;
import uicc.toolkit.EnvelopeResponseHandler;
import uicc.toolkit.EnvelopeResponseHandlerSystem;
import uicc.toolkit.ProactiveHandler;
import uicc.toolkit.ProactiveHandlerSystem;
import uicc.toolkit.ProactiveResponseHandler;
import uicc.toolkit.ProactiveResponseHandlerSystem;
import uicc.toolkit.ToolkitException;
import uicc.usim.toolkit.ToolkitConstants;
import uicc.usim.toolkit.USATEnvelopeHandler;
import uicc.usim.toolkit.USATEnvelopeHandlerSystem;

/**
 * The applet's side of the UICC toolkit (ETSI TS 102 241, 3GPP TS 31.130):
 * <ul>
 * <li>EVENT_UNFORMATTED_SMS_PP_ENV: the runtime has reassembled the message and dispatched it by
 * the TAR this applet's install parameters gave it; the user-data header must carry a command
 * packet identifier (TS 31.115 6.2, IEI 70); the command packet goes to {@link OtaReceiver}; the
 * PoR goes back in the ENVELOPE response (TS 31.111 7.1.1.2, SMS-DELIVER-REPORT) or, when SPI2
 * asks for SMS-SUBMIT (TS 31.115 5.1.1 b6), in SEND SHORT MESSAGE (TS 31.111 6.4.10).</li>
 * <li>EVENT_PROFILE_DOWNLOAD (the handset's TERMINAL PROFILE after power-up): PROVIDE LOCAL
 * INFORMATION, qualifier 01 (TS 31.111 6.4.15), reads the handset's IMEI, which the terminal
 * protocol compares with the IMEI the network provisioned - the terminal's own claim adds nothing.
 * A trusted SIM that finds itself in a handset with another IMEI revokes (EVENT_REVOKED_BY_SIM).</li>
 * </ul>
 * Depends on OtaReceiver, State, Transients; nothing calls back into it.
 */
final class ToolkitEvents {

    private final State st;
    private final Transients tr;
    private final OtaReceiver ota;

    ToolkitEvents(State st, Transients tr, OtaReceiver ota) {
        this.st = st;
        this.tr = tr;
        this.ota = ota;
    }

    void process(short event) {
        if (event == ToolkitConstants.EVENT_UNFORMATTED_SMS_PP_ENV) {
            smsPp();
        } else if (event == ToolkitConstants.EVENT_PROFILE_DOWNLOAD) {
            readImei();
        }
    }

    private void smsPp() {
        if (!st.otaPersonalized) return; // no key set yet: nothing can be checked or answered
        USATEnvelopeHandler env = USATEnvelopeHandlerSystem.getTheHandler();
        short udl = env.getTPUDLOffset(); // selects the SMS TPDU TLV
        // SIM data download only (TS 23.040 9.2.3.9: TP-PID 7F, nine octets before TP-UDL), with a
        // user-data header carrying the command packet identifier
        if (env.getValueByte((short) (udl - 9)) != Constants.TP_PID_SIM_DATA_DOWNLOAD) return;
        if ((env.getValueByte((short) 0) & Constants.TP_UDHI) == 0 || !hasCommandPacketId(env, udl)) return;
        short sm = env.getShortMessageOffset();
        short len = env.getShortMessageLength();
        if (len < (short) (Constants.CHL_BASE + 3) || len > Transients.RX_LEN) return; // no header to answer, or too long
        env.copyValue(sm, tr.rx, (short) 0, len);
        byte spi2 = tr.rx[4]; // SPI octet 2 is never ciphered
        // the originating address, for a PoR by SMS-SUBMIT: TP-OA right after the first octet
        short oaLen = (short) (2 + ((short) ((short) (env.getValueByte((short) 1) & 0xFF) + 1) >> 1));
        short n;
        try {
            n = ota.securedPacket(len);
        } catch (ISOException e) {
            return; // not even a command packet (CPL): nothing to answer
        }
        if (n == 0) return;
        if ((spi2 & Constants.SPI2_POR_VIA_SUBMIT) != 0) {
            sendPor(env, oaLen, n);
        } else {
            EnvelopeResponseHandler r = EnvelopeResponseHandlerSystem.getTheHandler();
            r.appendArray(tr.out, (short) 0, n);
            r.post(true);
        }
    }

    /** Does the user-data header (TS 23.040 9.2.3.24) hold IEI 70? */
    private static boolean hasCommandPacketId(USATEnvelopeHandler env, short udl) {
        short p = (short) (udl + 2);
        short end = (short) (p + (short) (env.getValueByte((short) (udl + 1)) & 0xFF));
        while (p < end) {
            if (env.getValueByte(p) == Constants.IEI_CPI) return true;
            p = (short) (p + 2 + (short) (env.getValueByte((short) (p + 1)) & 0xFF));
        }
        return false;
    }

    /**
     * SEND SHORT MESSAGE to the sender: SMS-SUBMIT (TS 23.040 9.2.2.2) with TP-DA = the command's
     * TP-OA, TP-PID 7F, TP-DCS F6 (class 2, 8-bit), the response packet as user data (UDHI set:
     * it starts with the IEI 71 header). Built in rx (free again) from tr.out[0..n).
     */
    private void sendPor(USATEnvelopeHandler env, short oaLen, short n) {
        byte[] b = tr.rx;
        short o = 0;
        b[o++] = Constants.TP_MTI_SUBMIT_UDHI;
        b[o++] = 0; // TP-MR: the terminal sets it
        o = env.copyValue((short) 1, b, o, oaLen);
        b[o++] = Constants.TP_PID_SIM_DATA_DOWNLOAD;
        b[o++] = Constants.TP_DCS_CLASS2_8BIT;
        b[o++] = (byte) n;
        o = Util.arrayCopyNonAtomic(tr.out, (short) 0, b, o, n);
        ProactiveHandler ph = ProactiveHandlerSystem.getTheHandler();
        ph.init(ToolkitConstants.PRO_CMD_SEND_SHORT_MESSAGE, ToolkitConstants.SSM_PACKING_NOT_REQUIRED, ToolkitConstants.DEV_ID_NETWORK);
        ph.appendTLV((byte) (ToolkitConstants.TAG_SMS_TPDU | ToolkitConstants.TAG_SET_CR), b, (short) 0, o);
        Util.arrayFillNonAtomic(b, (short) 0, o, (byte) 0);
        ph.send(); // the result is the terminal's; the server repeats the command when no PoR arrives
    }

    /** PROVIDE LOCAL INFORMATION (IMEI): the handset answers for itself, whatever app talks to the SIM later. */
    private void readImei() {
        tr.ota[Transients.O_IMEI_VALID] = 0;
        ProactiveHandler ph = ProactiveHandlerSystem.getTheHandler();
        ph.init(ToolkitConstants.PRO_CMD_PROVIDE_LOCAL_INFORMATION, ToolkitConstants.PLI_IMEI, ToolkitConstants.DEV_ID_TERMINAL);
        if (ph.send() != ToolkitConstants.RES_CMD_PERF) return;
        ProactiveResponseHandler r = ProactiveResponseHandlerSystem.getTheHandler();
        try {
            if (r.findTLV(ToolkitConstants.TAG_IMEI, (byte) 1) == ToolkitConstants.TLV_NOT_FOUND
                    || r.getValueLength() != Constants.IMEI_LEN) return;
            r.copyValue((short) 0, tr.imei, (short) 0, Constants.IMEI_LEN);
        } catch (ToolkitException e) {
            return;
        }
        // not an IMEI in the TS 24.008 coding (8.20): no IMEI at all, so no terminal characteristic
        // can be controlled - and no revocation on an answer that may be a coding slip of the handset
        if (!State.isImei(tr.imei, (short) 0)) return;
        tr.ota[Transients.O_IMEI_VALID] = 1;
        // revocation on the SIM's initiative (seed 004): the trusted terminal's characteristics
        // changed - the SIM is in another handset. Only the handset answers PLI, no app can.
        if (st.trustState == Constants.STATE_TRUSTED
                && Util.arrayCompare(tr.imei, (short) 0, st.imei, (short) 0, Constants.IMEI_LEN) != 0) {
            JCSystem.beginTransaction();
            st.revoke(Constants.EVENT_REVOKED_BY_SIM);
            JCSystem.commitTransaction();
            st.finishClear();
        }
    }
}
