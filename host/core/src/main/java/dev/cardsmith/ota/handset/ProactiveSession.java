package dev.cardsmith.ota.handset;

import dev.cardsmith.transport.ApduChannel;
import dev.cardsmith.transport.CardStatusException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.smartcardio.CommandAPDU;
import javax.smartcardio.ResponseAPDU;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The terminal's side of proactive UICC commands (ETSI TS 102 223 clause 6, TS 102 221 7.4.2,
 * TS 31.111 for the 3GPP ones): after a status word 91xx the terminal FETCHes the pending command,
 * carries it out and answers with TERMINAL RESPONSE, until the card ends with 9000. This model
 * answers PROVIDE LOCAL INFORMATION (IMEI) with its own IMEI, captures SEND SHORT MESSAGE (the
 * SMS-SUBMIT goes to {@link #submitted()}), grants MORE TIME, and reports every other command as
 * beyond its capabilities (result 30).
 */
final class ProactiveSession {

    private static final Logger LOG = LoggerFactory.getLogger(ProactiveSession.class);

    static final int CLA = 0x80;
    static final int INS_FETCH = 0x12;
    static final int INS_TERMINAL_RESPONSE = 0x14;
    /** TS 102 223 9.4 type of command. */
    static final int MORE_TIME = 0x02;
    static final int SEND_SHORT_MESSAGE = 0x13;
    static final int PROVIDE_LOCAL_INFORMATION = 0x26;
    /** PROVIDE LOCAL INFORMATION qualifier 01: IMEI of the terminal. */
    static final int PLI_IMEI = 0x01;
    /** TS 102 223 8.12 general results. */
    static final int RESULT_OK = 0x00;
    static final int RESULT_BEYOND_CAPABILITIES = 0x30;
    static final int RESULT_NOT_UNDERSTOOD = 0x32;
    /** Tags (TS 102 223 9.3, with the comprehension-required bit where the terminal sets it). */
    static final int TAG_PROACTIVE_COMMAND = 0xD0;
    static final int TAG_COMMAND_DETAILS = 0x01;
    static final int TAG_DEVICE_IDENTITIES = 0x02;
    static final int TAG_RESULT = 0x03;
    static final int TAG_SMS_TPDU = 0x0B;
    static final int TAG_IMEI = 0x14;
    static final int DEVICE_TERMINAL = 0x82;
    static final int DEVICE_UICC = 0x81;
    /** A card that keeps asking is cut off: a real terminal would also stop at some point. */
    static final int MAX_COMMANDS = 16;

    private final ApduChannel card;
    private final byte[] imei;
    private final List<byte[]> submitted = new ArrayList<>();
    private final List<Integer> commandTypes = new ArrayList<>();

    ProactiveSession(ApduChannel card, byte[] imei) {
        this.card = card;
        this.imei = imei.clone();
    }

    List<byte[]> submitted() { return submitted; }

    /** The types of the proactive commands seen, in order. */
    List<Integer> commandTypes() { return commandTypes; }

    /** Runs the FETCH / TERMINAL RESPONSE loop that a status word 91xx started; returns the final status word. */
    int run(int sw) {
        int n = 0;
        while ((sw >> 8) == 0x91) {
            if (++n > MAX_COMMANDS) throw new IllegalStateException("the card kept issuing proactive commands (" + MAX_COMMANDS + " answered)");
            int len = sw & 0xFF;
            ResponseAPDU f = card.transmit(new CommandAPDU(CLA, INS_FETCH, 0, 0, len == 0 ? 256 : len));
            if (f.getSW() != 0x9000) throw new CardStatusException("FETCH", f.getSW());
            ResponseAPDU t = card.transmit(new CommandAPDU(CLA, INS_TERMINAL_RESPONSE, 0, 0, answer(f.getData())));
            sw = t.getSW();
            if (sw != 0x9000 && (sw >> 8) != 0x91) throw new CardStatusException("TERMINAL RESPONSE", sw);
        }
        return sw;
    }

    /** Carries out one proactive command; returns the TERMINAL RESPONSE data. */
    byte[] answer(byte[] command) {
        byte[] details;
        Map<Integer, byte[]> tlvs;
        try {
            int[] v = Ctlv.outer(command, TAG_PROACTIVE_COMMAND);
            tlvs = Ctlv.parse(command, v[0], v[1]);
            details = tlvs.get(TAG_COMMAND_DETAILS);
            if (details == null || details.length != 3) throw new IllegalArgumentException("no command details");
        } catch (IllegalArgumentException e) {
            LOG.warn("proactive command not understood: {}", e.getMessage());
            return response(new byte[] {0, 0, 0}, RESULT_NOT_UNDERSTOOD, null);
        }
        int type = details[1] & 0xFF;
        int qualifier = details[2] & 0xFF;
        commandTypes.add(type);
        LOG.debug("proactive command type {} qualifier {}", Integer.toHexString(type), Integer.toHexString(qualifier));
        return switch (type) {
            case PROVIDE_LOCAL_INFORMATION -> qualifier == PLI_IMEI
                    ? response(details, RESULT_OK, tlv(TAG_IMEI | 0x80, imei))
                    : response(details, RESULT_BEYOND_CAPABILITIES, null);
            case SEND_SHORT_MESSAGE -> {
                byte[] tpdu = tlvs.get(TAG_SMS_TPDU);
                if (tpdu == null) yield response(details, RESULT_NOT_UNDERSTOOD, null);
                submitted.add(tpdu);
                yield response(details, RESULT_OK, null);
            }
            case MORE_TIME -> response(details, RESULT_OK, null);
            default -> response(details, RESULT_BEYOND_CAPABILITIES, null);
        };
    }

    private static byte[] response(byte[] details, int result, byte[] extra) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        Ctlv.write(o, TAG_COMMAND_DETAILS | 0x80, details);
        Ctlv.write(o, TAG_DEVICE_IDENTITIES | 0x80, new byte[] {(byte) DEVICE_TERMINAL, (byte) DEVICE_UICC});
        Ctlv.write(o, TAG_RESULT | 0x80, new byte[] {(byte) result});
        if (extra != null) o.writeBytes(extra);
        return o.toByteArray();
    }

    private static byte[] tlv(int tag, byte[] value) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        Ctlv.write(o, tag, value);
        return o.toByteArray();
    }
}
