package dev.cardsmith.ota;

import dev.cardsmith.applet.sim.Constants;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * SMS-PP bearer of the secured packets (3GPP TS 31.115 clause 6, TS 23.040, TS 102 223 / 31.111).
 * Hand-written: no maintained Java library encodes SMS TPDUs with (U)SIM data download headers.
 * <ul>
 * <li>SMS-DELIVER TPDU (TS 23.040 9.2.2.1): first octet TP-MTI 00 | TP-UDHI (0x40), TP-OA, TP-PID
 * 7F "(U)SIM data download", TP-DCS F6 (8-bit data, class 2), TP-SCTS, TP-UDL, TP-UD.</li>
 * <li>User data header: IEI 70 length 0 = command packet identifier; a packet longer than one SMS
 * (140 octets of user data) is split into concatenated SMS (IEI 00, 8-bit reference, or IEI 08,
 * 16-bit reference); only the first segment carries IEI 70 (TS 31.115 6.2).</li>
 * <li>ENVELOPE (SMS-PP download, TS 102 223 7.1.1.2): D1 { 82 02 83 81 device identities
 * (network → UICC), 86 address of the service centre, 8B SMS TPDU }.</li>
 * </ul>
 */
public final class SmsPp {
    private SmsPp() {}

    public static final int MAX_UD = 140;
    public static final byte DCS_8BIT_CLASS2 = (byte) 0xF6;

    /** SMS-DELIVER TPDUs carrying one command packet, concatenated when needed. */
    public static List<byte[]> deliver(String originator, byte[] packet, int concatRef, byte[] scts) {
        List<byte[]> out = new ArrayList<>();
        if (packet.length + 3 <= MAX_UD) {
            byte[] udh = {0x02, Constants.IEI_CPI, 0x00};
            out.add(deliverTpdu(originator, scts, CommandPacket.concat(udh, packet)));
            return out;
        }
        boolean ref16 = concatRef > 0xFF;
        int ieLen = ref16 ? 6 : 5;
        int firstRoom = MAX_UD - (1 + ieLen + 2);
        int room = MAX_UD - (1 + ieLen);
        int total = 1 + (packet.length - firstRoom + room - 1) / room;
        if (total > 255) throw new IllegalArgumentException("packet too long for concatenated SMS");
        int off = 0;
        for (int seq = 1; seq <= total; seq++) {
            int n = Math.min(seq == 1 ? firstRoom : room, packet.length - off);
            ByteArrayOutputStream ud = new ByteArrayOutputStream();
            ud.write(ieLen + (seq == 1 ? 2 : 0));
            if (ref16) ud.writeBytes(new byte[] {Constants.IEI_CONCAT_16, 4, (byte) (concatRef >> 8), (byte) concatRef, (byte) total, (byte) seq});
            else ud.writeBytes(new byte[] {Constants.IEI_CONCAT_8, 3, (byte) concatRef, (byte) total, (byte) seq});
            if (seq == 1) ud.writeBytes(new byte[] {Constants.IEI_CPI, 0x00});
            ud.write(packet, off, n);
            off += n;
            out.add(deliverTpdu(originator, scts, ud.toByteArray()));
        }
        return out;
    }

    static byte[] deliverTpdu(String originator, byte[] scts, byte[] ud) {
        if (ud.length > MAX_UD) throw new IllegalArgumentException("user data longer than 140 octets");
        if (scts.length != 7) throw new IllegalArgumentException("TP-SCTS is 7 octets");
        ByteArrayOutputStream t = new ByteArrayOutputStream();
        t.write(Constants.TP_UDHI); // TP-MTI 00 SMS-DELIVER, TP-UDHI
        t.writeBytes(address(originator));
        t.write(Constants.TP_PID_SIM_DATA_DOWNLOAD);
        t.write(DCS_8BIT_CLASS2);
        t.writeBytes(scts);
        t.write(ud.length);
        t.writeBytes(ud);
        return t.toByteArray();
    }

    /** TS 23.040 9.1.2.5 address: digit count, TON/NPI 81 (unknown, ISDN) or 91 (international), swapped BCD. */
    static byte[] address(String number) {
        boolean intl = number.startsWith("+");
        String d = intl ? number.substring(1) : number;
        if (!d.matches("[0-9]{1,20}")) throw new IllegalArgumentException("address must be 1..20 digits");
        ByteArrayOutputStream a = new ByteArrayOutputStream();
        a.write(d.length());
        a.write(intl ? 0x91 : 0x81);
        for (int i = 0; i < d.length(); i += 2) {
            int lo = d.charAt(i) - '0';
            int hi = i + 1 < d.length() ? d.charAt(i + 1) - '0' : 0xF;
            a.write((hi << 4) | lo);
        }
        return a.toByteArray();
    }

    /** ENVELOPE (SMS-PP download) value: D1 { device identities, [address], SMS TPDU }. */
    public static byte[] envelope(byte[] tpdu, String serviceCentre) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(new byte[] {(byte) 0x82, 0x02, Constants.DEVICE_NETWORK, Constants.DEVICE_UICC});
        if (serviceCentre != null) {
            byte[] addr = address(serviceCentre);
            body.write(0x86);
            body.write(addr.length - 1);
            body.write(addr, 1, addr.length - 1); // TON/NPI + BCD, without the digit count
        }
        body.write(0x80 | Constants.CTAG_SMS_TPDU);
        writeLength(body, tpdu.length);
        body.writeBytes(tpdu);
        ByteArrayOutputStream env = new ByteArrayOutputStream();
        env.write(Constants.TAG_SMS_PP_DOWNLOAD);
        writeLength(env, body.size());
        env.writeBytes(body.toByteArray());
        return env.toByteArray();
    }

    private static void writeLength(ByteArrayOutputStream o, int len) {
        if (len > 0xFF) throw new IllegalArgumentException("length > 255");
        if (len > 0x7F) o.write(0x81);
        o.write(len);
    }

    /** A parsed SMS-DELIVER: originator, PID, DCS, SCTS, user-data-header elements, payload after the UDH. */
    public record Deliver(String originator, int pid, int dcs, byte[] scts, Map<Integer, byte[]> udh, byte[] payload) {
        /**
         * TS 31.111 7.1.1 / TS 23.040 9.2.3.9: a message for the (U)SIM's data download: TP-PID 7F
         * and a class-2 (U)SIM-specific message in 8-bit data (TS 23.038 clause 4).
         */
        public boolean simDataDownload() { return pid == (Constants.TP_PID_SIM_DATA_DOWNLOAD & 0xFF) && class2EightBit(dcs); }
    }

    /** A parsed SMS-SUBMIT (TS 23.040 9.2.2.2): reference, destination, PID, DCS, user-data-header elements, payload. */
    public record Submit(int messageReference, String destination, int pid, int dcs, Map<Integer, byte[]> udh, byte[] payload, byte[] userData) {}

    /**
     * TS 23.038 clause 4: whether a data coding scheme names message class 2 with 8-bit data. Groups
     * 00xx and 01xx (general / automatic deletion) when uncompressed with the class bit set,
     * alphabet 01 and class 10 (e.g. 16, 56); group 1111 with bit 2 (8-bit) and class 10 (F6).
     */
    public static boolean class2EightBit(int dcs) {
        int group = dcs >> 4;
        if (group <= 0x7) {
            boolean compressed = (dcs & 0x20) != 0;
            boolean hasClass = (dcs & 0x10) != 0;
            return !compressed && hasClass && ((dcs >> 2) & 0x03) == 0x01 && (dcs & 0x03) == 0x02;
        }
        if (group == 0xF) return (dcs & 0x08) == 0 && (dcs & 0x04) != 0 && (dcs & 0x03) == 0x02;
        return false;
    }

    public static Deliver parseDeliver(byte[] t) {
        Reader r = new Reader(t, "SMS-DELIVER");
        int first = r.u8();
        if ((first & Constants.TP_MTI_MASK) != 0) throw new IllegalArgumentException("not an SMS-DELIVER (TP-MTI " + (first & 3) + ")");
        String oa = r.address();
        int pid = r.u8();
        int dcs = r.u8();
        byte[] scts = r.bytes(7);
        int udl = r.u8();
        if (r.remaining() != udl) throw new IllegalArgumentException("TP-UDL " + udl + " does not match " + r.remaining() + " octets");
        Map<Integer, byte[]> ies = new LinkedHashMap<>();
        byte[] payload = r.userData((first & Constants.TP_UDHI) != 0, ies);
        return new Deliver(oa, pid, dcs, scts, ies, payload);
    }

    /** Parses an SMS-SUBMIT with 8-bit user data; the validity period (any TP-VPF) is skipped. */
    public static Submit parseSubmit(byte[] t) {
        Reader r = new Reader(t, "SMS-SUBMIT");
        int first = r.u8();
        if ((first & Constants.TP_MTI_MASK) != 1) throw new IllegalArgumentException("not an SMS-SUBMIT (TP-MTI " + (first & 3) + ")");
        int mr = r.u8();
        String da = r.address();
        int pid = r.u8();
        int dcs = r.u8();
        int vpf = (first >> 3) & 0x03;
        r.bytes(vpf == 0 ? 0 : vpf == 2 ? 1 : 7);
        int udl = r.u8();
        if (r.remaining() != udl) throw new IllegalArgumentException("TP-UDL " + udl + " does not match " + r.remaining() + " octets (8-bit data expected)");
        int udStart = t.length - udl;
        Map<Integer, byte[]> ies = new LinkedHashMap<>();
        byte[] payload = r.userData((first & Constants.TP_UDHI) != 0, ies);
        return new Submit(mr, da, pid, dcs, ies, payload, Arrays.copyOfRange(t, udStart, t.length));
    }

    /** Bounds-checked reading of a TPDU: every overrun is an IllegalArgumentException naming the TPDU. */
    private static final class Reader {
        private final byte[] t;
        private final String what;
        private int p;

        Reader(byte[] t, String what) {
            this.t = t;
            this.what = what;
        }

        int remaining() { return t.length - p; }

        int u8() {
            need(1);
            return t[p++] & 0xFF;
        }

        byte[] bytes(int n) {
            need(n);
            byte[] b = Arrays.copyOfRange(t, p, p + n);
            p += n;
            return b;
        }

        private void need(int n) {
            if (n > t.length - p) throw new IllegalArgumentException(what + " truncated at octet " + p);
        }

        /** TS 23.040 9.1.2.5: semi-octet count, type of address, digits (alphanumeric addresses kept as hex). */
        String address() {
            int digits = u8();
            int ton = u8();
            byte[] v = bytes((digits + 1) / 2);
            if ((ton & 0x70) == 0x50) return "alnum:" + dev.cardsmith.crypto.Hex.of(v);
            StringBuilder num = new StringBuilder((ton & 0x70) == 0x10 ? "+" : "");
            for (int i = 0; i < digits; i++) {
                int b = v[i / 2] & 0xFF;
                int d = (i % 2 == 0) ? (b & 0x0F) : (b >> 4);
                num.append(d < 10 ? (char) ('0' + d) : "*#abc".charAt(Math.min(d - 10, 4)));
            }
            return num.toString();
        }

        /** The user data after the header; the header's information elements go to {@code ies}. */
        byte[] userData(boolean udhi, Map<Integer, byte[]> ies) {
            if (udhi) {
                int udhl = u8();
                byte[] h = bytes(udhl);
                for (int q = 0; q < h.length; ) {
                    if (q + 2 > h.length || q + 2 + (h[q + 1] & 0xFF) > h.length) throw new IllegalArgumentException(what + ": user data header element overruns the header");
                    ies.put(h[q] & 0xFF, Arrays.copyOfRange(h, q + 2, q + 2 + (h[q + 1] & 0xFF)));
                    q += 2 + (h[q + 1] & 0xFF);
                }
            }
            return bytes(remaining());
        }
    }

    /** Reassembles the command packet from the SMS-DELIVERs of one message (in order). */
    public static byte[] reassemble(List<byte[]> tpdus) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        for (byte[] t : tpdus) o.writeBytes(parseDeliver(t).payload());
        return o.toByteArray();
    }

    /** The TPDU inside an SMS-PP download envelope. */
    public static byte[] tpduOfEnvelope(byte[] env) {
        if (env[0] != Constants.TAG_SMS_PP_DOWNLOAD) throw new IllegalArgumentException("not an SMS-PP download envelope");
        int p = 1;
        int len = env[p++] & 0xFF;
        if (len == 0x81) len = env[p++] & 0xFF;
        int end = p + len;
        while (p < end) {
            int tag = env[p] & 0x7F;
            int l = env[p + 1] & 0xFF;
            p += 2;
            if (l == 0x81) l = env[p++] & 0xFF;
            if (tag == Constants.CTAG_SMS_TPDU) return Arrays.copyOfRange(env, p, p + l);
            p += l;
        }
        throw new IllegalArgumentException("no SMS TPDU in the envelope");
    }

    /**
     * SMS-SUBMIT (TS 23.040 9.2.2.2) with which a terminal forwards a response packet / notification
     * to the OTA server: 41 (TP-MTI 01, TP-UDHI), TP-MR, TP-DA, TP-PID 7F, TP-DCS F6, TP-UDL, TP-UD.
     */
    public static byte[] submit(String destination, int messageReference, byte[] responseUd) {
        ByteArrayOutputStream t = new ByteArrayOutputStream();
        t.write(0x41);
        t.write(messageReference & 0xFF);
        t.writeBytes(address(destination));
        t.write(Constants.TP_PID_SIM_DATA_DOWNLOAD);
        t.write(DCS_8BIT_CLASS2);
        t.write(responseUd.length);
        t.writeBytes(responseUd);
        return t.toByteArray();
    }
}
