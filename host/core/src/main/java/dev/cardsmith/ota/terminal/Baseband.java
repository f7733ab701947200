package dev.cardsmith.ota.terminal;

import dev.cardsmith.codec.Imei;
import dev.cardsmith.transport.ApduChannel;
import dev.cardsmith.transport.CardStatusException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.smartcardio.CommandAPDU;
import javax.smartcardio.ResponseAPDU;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The handset's own side of the card application toolkit, below any app: TERMINAL PROFILE at
 * power-up (TS 102 221 / TS 31.111 5.2), then FETCH and TERMINAL RESPONSE for every proactive
 * command the UICC announces with 91 xx (TS 102 221 7.4.2.2, TS 102 223 6.8). It answers PROVIDE
 * LOCAL INFORMATION (IMEI, TS 31.111 6.4.15) with its own IMEI and hands SEND SHORT MESSAGE
 * TPDUs (a PoR by SMS-SUBMIT) to the caller; anything else is answered "beyond terminal's
 * capabilities" (30). An app on the same handset (the trust protocol's {@link Terminal}) cannot
 * answer in its place: OMAPI gives apps no FETCH / TERMINAL RESPONSE.
 */
public final class Baseband {

    private static final Logger LOG = LoggerFactory.getLogger(Baseband.class);

    static final int CLA = 0x80;
    static final int INS_TERMINAL_PROFILE = 0x10;
    static final int INS_FETCH = 0x12;
    static final int INS_TERMINAL_RESPONSE = 0x14;
    static final int PRO_PROVIDE_LOCAL_INFORMATION = 0x26;
    static final int PRO_SEND_SHORT_MESSAGE = 0x13;
    static final int PLI_IMEI = 0x01;
    /** A terminal profile with the proactive UICC bits (TS 31.111 5.2: byte 3 PROVIDE LOCAL INFORMATION, byte 4 SEND SHORT MESSAGE). */
    static final byte[] PROFILE = {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x1F};

    private final ApduChannel card;
    private final byte[] imei;
    private final List<byte[]> sentSms = new ArrayList<>();

    /** imei: 15 digits. */
    public Baseband(ApduChannel card, String imei) {
        this.card = card;
        this.imei = Imei.mobileIdentity(imei);
    }

    /** TERMINAL PROFILE after power-up, then the proactive commands it triggers; returns the final status word. */
    public int powerOn() {
        return serve(card.transmit(new CommandAPDU(CLA, INS_TERMINAL_PROFILE, 0, 0, PROFILE)));
    }

    /**
     * Serves the proactive commands a response announces (91 xx) until the card ends with another
     * status word, which is returned (for an ENVELOPE, 90 00 with the PoR data came before).
     */
    public int serve(ResponseAPDU r) {
        int sw = r.getSW();
        for (int guard = 0; (sw >> 8) == 0x91 && guard < 16; guard++) {
            ResponseAPDU f = card.transmit(new CommandAPDU(CLA, INS_FETCH, 0, 0, sw & 0xFF));
            if (f.getSW() != 0x9000) throw new CardStatusException("FETCH", f.getSW());
            sw = card.transmit(new CommandAPDU(CLA, INS_TERMINAL_RESPONSE, 0, 0, answer(f.getData()))).getSW();
        }
        return sw;
    }

    /** The SMS-SUBMIT TPDUs the card asked this handset to send (SEND SHORT MESSAGE), oldest first; cleared by the call. */
    public List<byte[]> takeSentSms() {
        List<byte[]> out = List.copyOf(sentSms);
        sentSms.clear();
        return out;
    }

    /** TERMINAL RESPONSE for a D0 proactive command: command details, device identities, result [, IMEI]. */
    byte[] answer(byte[] d0) {
        List<byte[]> tlvs = Tlvs.simple(Tlvs.berValue(d0, 0xD0));
        byte[] details = Tlvs.find(tlvs, 0x01);
        if (details == null || details.length != 3) throw new IllegalStateException("proactive command without command details");
        ByteArrayOutputStream tr = new ByteArrayOutputStream();
        tr.writeBytes(new byte[] {(byte) 0x81, 3});
        tr.writeBytes(details);
        tr.writeBytes(new byte[] {(byte) 0x82, 2, (byte) 0x82, (byte) 0x81}); // terminal -> UICC
        int type = details[1] & 0xFF;
        if (type == PRO_PROVIDE_LOCAL_INFORMATION && (details[2] & 0xFF) == PLI_IMEI) {
            tr.writeBytes(new byte[] {(byte) 0x83, 1, 0x00});
            tr.writeBytes(new byte[] {0x14, 8});
            tr.writeBytes(imei);
        } else if (type == PRO_SEND_SHORT_MESSAGE && Tlvs.find(tlvs, 0x0B) != null) {
            sentSms.add(Tlvs.find(tlvs, 0x0B));
            tr.writeBytes(new byte[] {(byte) 0x83, 1, 0x00});
        } else {
            LOG.debug("proactive command {} not supported by this handset", Integer.toHexString(type));
            tr.writeBytes(new byte[] {(byte) 0x83, 1, 0x30});
        }
        return tr.toByteArray();
    }

    /** COMPREHENSION-TLV lists of proactive commands (TS 102 223 annex C): one-byte tags, lengths 1 byte or 81 xx. */
    static final class Tlvs {
        private Tlvs() {}

        static byte[] berValue(byte[] b, int tag) {
            if (b.length < 2 || (b[0] & 0xFF) != tag) throw new IllegalStateException("not a proactive command");
            int l = b[1] & 0xFF;
            int head = 2;
            if (l == 0x81) {
                l = b[2] & 0xFF;
                head = 3;
            }
            if (head + l != b.length) throw new IllegalStateException("proactive command length does not match");
            return Arrays.copyOfRange(b, head, b.length);
        }

        /** tag (b8 masked) and value of each TLV, in order. */
        static List<byte[]> simple(byte[] v) {
            List<byte[]> out = new ArrayList<>();
            for (int p = 0; p < v.length; ) {
                int tag = v[p] & 0x7F;
                int l = v[p + 1] & 0xFF;
                int head = 2;
                if (l == 0x81) {
                    l = v[p + 2] & 0xFF;
                    head = 3;
                }
                byte[] e = new byte[1 + l];
                e[0] = (byte) tag;
                System.arraycopy(v, p + head, e, 1, l);
                out.add(e);
                p += head + l;
            }
            return out;
        }

        static byte[] find(List<byte[]> tlvs, int tag) {
            for (byte[] e : tlvs) if (e[0] == tag) return Arrays.copyOfRange(e, 1, e.length);
            return null;
        }
    }
}
