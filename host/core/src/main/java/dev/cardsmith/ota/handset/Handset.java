package dev.cardsmith.ota.handset;

import dev.cardsmith.codec.Imei;
import dev.cardsmith.ota.SmsBearer;
import dev.cardsmith.ota.SmsPp;
import dev.cardsmith.transport.ApduChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.smartcardio.CommandAPDU;
import javax.smartcardio.ResponseAPDU;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A handset in front of a UICC, at the APDU level: what a phone does with the short messages the
 * network delivers to it.
 * <ul>
 * <li>An SMS-DELIVER (TS 23.040 9.2.2.1) with TP-PID 7F "(U)SIM data download" and a class-2
 * 8-bit data coding (TS 23.038 4) goes to the card as ENVELOPE (SMS-PP download, TS 31.111 7.1.1 /
 * TS 102 223 7.1.1.2): D1 { 82 02 83 81, [86 service-centre address], 8B TPDU }. Concatenated
 * segments are not reassembled by the terminal: one ENVELOPE each, in the order received.</li>
 * <li>Any other SMS stays in the handset ({@link #inbox()}); it never reaches a toolkit applet.</li>
 * <li>The card's answer becomes the SMS-DELIVER-REPORT: 9000 / 91xx is RP-ACK, 62xx / 63xx
 * RP-ERROR (data download error), both carrying the response data (the PoR) as TP-User-Data;
 * 9300 (toolkit busy) is retried.</li>
 * <li>91xx starts the proactive session ({@link ProactiveSession}): PROVIDE LOCAL INFORMATION is
 * answered with this handset's IMEI, SEND SHORT MESSAGE is captured as the SMS-SUBMIT it would
 * send ({@link #submitted()}).</li>
 * </ul>
 * The same model runs over a simulated card and over a PC/SC reader: it only needs an
 * {@link ApduChannel}.
 */
public final class Handset implements SmsBearer {

    private static final Logger LOG = LoggerFactory.getLogger(Handset.class);

    static final int CLA = ProactiveSession.CLA;
    static final int INS_ENVELOPE = 0xC2;
    static final int INS_TERMINAL_PROFILE = 0x10;
    static final int SW_TOOLKIT_BUSY = 0x9300;
    static final int BUSY_RETRIES = 3;
    /**
     * TERMINAL PROFILE (TS 102 223 5.2) as we read it: byte 1 profile download + SMS-PP data
     * download, byte 2 command result, byte 3 MORE TIME, byte 4 SEND SHORT MESSAGE and PROVIDE
     * LOCAL INFORMATION (IMEI ...).
     */
    static final byte[] TERMINAL_PROFILE = {0x03, 0x01, 0x08, 0x42};

    /** How one SMS-DELIVER was handled. */
    public enum Route { SIM_DATA_DOWNLOAD, ORDINARY }

    /**
     * The result of one SMS-DELIVER: its route; for a data download the card's final status word,
     * whether the network gets RP-ACK (else RP-ERROR), and the SMS-DELIVER-REPORT user data.
     */
    public record Reception(Route route, int sw, boolean rpAck, byte[] reportData) {
        @Override public byte[] reportData() { return reportData.clone(); }
    }

    private final ApduChannel card;
    private final String imei;
    private final String serviceCentre;
    private final ProactiveSession proactive;
    private final List<byte[]> inbox = new ArrayList<>();
    private final List<byte[]> envelopes = new ArrayList<>();

    /** A handset with this IMEI (15 digits, check digit right); {@code serviceCentre} may be null (no 86 object). */
    public Handset(ApduChannel card, String imei, String serviceCentre) {
        this.card = card;
        this.imei = Imei.validate(imei);
        this.serviceCentre = serviceCentre;
        this.proactive = new ProactiveSession(card, Imei.mobileIdentity(this.imei));
    }

    public Handset(ApduChannel card, String imei) { this(card, imei, null); }

    public String imei() { return imei; }

    /** Sends TERMINAL PROFILE, as a handset does after the UICC's ATR; answers the proactive commands it may trigger. */
    public int powerOn() {
        ResponseAPDU r = card.transmit(new CommandAPDU(CLA, INS_TERMINAL_PROFILE, 0, 0, TERMINAL_PROFILE));
        int sw = r.getSW();
        if ((sw >> 8) == 0x91) sw = proactive.run(sw);
        if (sw != 0x9000) LOG.warn("TERMINAL PROFILE answered {}", String.format("%04X", sw));
        return sw;
    }

    /** Handles one SMS-DELIVER TPDU as a handset would. */
    public Reception receive(byte[] tpdu) {
        SmsPp.Deliver d = SmsPp.parseDeliver(tpdu);
        if (!d.simDataDownload()) {
            inbox.add(tpdu.clone());
            LOG.info("SMS (PID {}, DCS {}) kept in the handset", String.format("%02X", d.pid()), String.format("%02X", d.dcs()));
            return new Reception(Route.ORDINARY, 0x9000, true, new byte[0]);
        }
        byte[] envelope = SmsPp.envelope(tpdu, serviceCentre);
        envelopes.add(envelope);
        ResponseAPDU r = card.transmit(new CommandAPDU(CLA, INS_ENVELOPE, 0, 0, envelope, 256));
        for (int i = 0; i < BUSY_RETRIES && r.getSW() == SW_TOOLKIT_BUSY; i++) {
            r = card.transmit(new CommandAPDU(CLA, INS_ENVELOPE, 0, 0, envelope, 256));
        }
        int sw = r.getSW();
        byte[] data = r.getData();
        if ((sw >> 8) == 0x91) sw = proactive.run(sw);
        boolean ack = sw == 0x9000;
        boolean downloadError = (sw >> 8) == 0x62 || (sw >> 8) == 0x63;
        LOG.info("SMS-PP download: {} bytes of TPDU, card {} -> {}, {} bytes of report data", tpdu.length,
                String.format("%04X", r.getSW()), ack ? "RP-ACK" : "RP-ERROR", data.length);
        return new Reception(Route.SIM_DATA_DOWNLOAD, sw, ack, ack || downloadError ? data : new byte[0]);
    }

    /** {@link SmsBearer}: receives the segments in order; the report is that of the last segment that carried data. */
    @Override
    public Delivery deliver(List<byte[]> tpdus) {
        int before = proactive.submitted().size();
        byte[] report = new byte[0];
        for (byte[] t : tpdus) {
            Reception r = receive(t);
            if (r.reportData().length > 0) report = r.reportData();
        }
        List<byte[]> subs = proactive.submitted();
        return new Delivery(report, new ArrayList<>(subs.subList(before, subs.size())));
    }

    /** Ordinary SMS the handset kept (never passed to the card). */
    public List<byte[]> inbox() { return Collections.unmodifiableList(inbox); }

    /** The ENVELOPE values sent to the card, in order. */
    public List<byte[]> envelopes() { return Collections.unmodifiableList(envelopes); }

    /** SMS-SUBMIT TPDUs the card asked this handset to send (SEND SHORT MESSAGE). */
    public List<byte[]> submitted() { return Collections.unmodifiableList(proactive.submitted()); }

    /** The proactive command types the card issued, in order (TS 102 223 9.4). */
    public List<Integer> proactiveCommands() { return Collections.unmodifiableList(proactive.commandTypes()); }
}
