package dev.cardsmith.simulator.uicc;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The card side of ENVELOPE (SMS-PP download), 3GPP TS 31.111 7.1.1 / ETSI TS 102 223 7.1.1:
 * D1 { device identities (network -> UICC), [address], SMS TPDU }; and the reassembly of a
 * concatenated short message (TS 23.040 9.2.3.24.1 IEI 00, 9.2.3.24.8 IEI 08) sent as one ENVELOPE
 * per segment, in any order (TS 31.115 6.2: the command packet identifier IEI 70 travels in the
 * first segment only). RAM of the card's OS: cleared on reset.
 */
final class SmsPpDownload {

    /** TS 23.040 9.2.3.24 / TS 31.115 6.2 information element identifiers. */
    static final int IEI_CONCAT_8 = 0x00;
    static final int IEI_CONCAT_16 = 0x08;
    static final int IEI_CPI = 0x70;
    /** Messages being reassembled at once; the oldest is dropped beyond this. */
    static final int MAX_PENDING = 4;

    /** Thrown for an ENVELOPE that is not a well-formed SMS-PP download: the card answers 6A 80. */
    static final class Malformed extends Exception {
        Malformed(String why) {
            super(why, null, false, false);
        }
    }

    /**
     * A complete message for the applets: the SIMPLE-TLVs the envelope handler shows, the
     * TP-UDL override for a reassembled message (-1 when single), and the command packet's offset
     * inside the short message when the UDH carries a command packet identifier (else -1).
     */
    record Delivery(byte[] tlvs, int userDataLength, byte[] shortMessage, boolean commandPacket) {
        /** TAR of the command packet (TS 31.115 6.2 / TS 102 225 5.1.1: CPL 2, CHL 1, SPI 2, KIc, KID, TAR 3). */
        byte[] tar() {
            return shortMessage.length >= 10 ? Arrays.copyOfRange(shortMessage, 7, 10) : null;
        }

        /** SPI second octet (PoR requirements), never ciphered. */
        int spi2() {
            return shortMessage.length >= 5 ? shortMessage[4] & 0xFF : 0;
        }
    }

    private record Key(String address, int ref, int total) {}

    private static final class Pending {
        final byte[][] segments;
        byte[] firstTlvsBeforeTpdu;
        byte[] firstTlvsAfterTpdu;
        byte[] firstTpduHeader; // up to and including TP-UDL
        byte[] firstUdhWithoutConcat;

        Pending(int total) {
            segments = new byte[total][];
        }

        boolean complete() {
            for (byte[] s : segments) if (s == null) return false;
            return true;
        }
    }

    private final Map<Key, Pending> pending = new LinkedHashMap<>();

    void reset() {
        pending.clear();
    }

    /** One ENVELOPE's D1 value; null when it was a segment of a message that is not complete yet. */
    Delivery receive(byte[] tlvs) throws Malformed {
        TlvList list = new TlvList(tlvs.length);
        list.load(tlvs, 0, tlvs.length);
        if (!list.wellFormed()) throw new Malformed("the COMPREHENSION-TLVs are truncated");
        if (list.findTLV(uicc.toolkit.ToolkitConstants.TAG_DEVICE_IDENTITIES, (byte) 1) == 0 || list.getValueLength() != 2
                || list.getValueByte((short) 0) != uicc.toolkit.ToolkitConstants.DEV_ID_NETWORK
                || list.getValueByte((short) 1) != uicc.toolkit.ToolkitConstants.DEV_ID_UICC) {
            throw new Malformed("device identities are not network -> UICC");
        }
        if (list.findTLV(uicc.toolkit.ToolkitConstants.TAG_SMS_TPDU, (byte) 1) == 0) throw new Malformed("no SMS TPDU");
        byte[] tpdu = new byte[list.getValueLength()];
        list.copyValue((short) 0, tpdu, (short) 0, (short) tpdu.length);
        String address = "";
        if (list.findTLV(uicc.toolkit.ToolkitConstants.TAG_ADDRESS, (byte) 1) != 0) {
            byte[] a = new byte[list.getValueLength()];
            list.copyValue((short) 0, a, (short) 0, (short) a.length);
            address = java.util.HexFormat.of().formatHex(a);
        }
        SmsDeliver d = SmsDeliver.parse(tpdu, 0, tpdu.length);
        if (d == null) throw new Malformed("SMS TPDU is not an SMS-DELIVER");
        if (!d.eightBit() || !d.udhi()) return single(tlvs, tpdu, d, false);
        int udh = d.udhlOffset();
        int udhEnd = udh + 1 + (tpdu[udh] & 0xFF);
        boolean cpi = false;
        int ref = -1;
        int total = 1;
        int seq = 1;
        ByteArrayOutputStream otherIes = new ByteArrayOutputStream();
        for (int p = udh + 1; p < udhEnd; ) {
            if (p + 2 > udhEnd) throw new Malformed("user data header element runs past the header");
            int iei = tpdu[p] & 0xFF;
            int l = tpdu[p + 1] & 0xFF;
            if (p + 2 + l > udhEnd) throw new Malformed("user data header element runs past the header");
            if (iei == IEI_CONCAT_8 && l == 3) {
                ref = tpdu[p + 2] & 0xFF;
                total = tpdu[p + 3] & 0xFF;
                seq = tpdu[p + 4] & 0xFF;
            } else if (iei == IEI_CONCAT_16 && l == 4) {
                ref = ((tpdu[p + 2] & 0xFF) << 8) | (tpdu[p + 3] & 0xFF);
                total = tpdu[p + 4] & 0xFF;
                seq = tpdu[p + 5] & 0xFF;
            } else {
                if (iei == IEI_CPI) cpi = true;
                otherIes.write(tpdu, p, 2 + l);
            }
            p += 2 + l;
        }
        if (ref < 0) return single(tlvs, tpdu, d, cpi);
        // TS 23.040 9.2.3.24.1: a total of 0, a sequence number of 0 or above the total: ignore the element
        if (total == 0 || seq == 0 || seq > total) return single(tlvs, tpdu, d, cpi);
        Key key = new Key(address, ref, total);
        Pending m = pending.remove(key);
        if (m == null) {
            m = new Pending(total);
            if (pending.size() >= MAX_PENDING) {
                Iterator<Key> oldest = pending.keySet().iterator();
                oldest.next();
                oldest.remove();
            }
        }
        pending.put(key, m); // most recently used last
        m.segments[seq - 1] = Arrays.copyOfRange(tpdu, udhEnd, tpdu.length);
        if (seq == 1) {
            int tpduTlv = tpduTlvOffset(tlvs);
            m.firstTlvsBeforeTpdu = Arrays.copyOf(tlvs, tpduTlv);
            m.firstTlvsAfterTpdu = Arrays.copyOfRange(tlvs, tpduTlvEnd(tlvs, tpduTlv), tlvs.length);
            m.firstTpduHeader = Arrays.copyOf(tpdu, d.udlOffset() + 1);
            byte[] ies = otherIes.toByteArray();
            m.firstUdhWithoutConcat = ies;
        }
        if (!m.complete()) return null;
        pending.remove(key);
        return reassembled(m);
    }

    private static Delivery single(byte[] tlvs, byte[] tpdu, SmsDeliver d, boolean cpi) {
        int sm = d.eightBit() ? d.udlOffset() + 1 + d.udhTotal(tpdu, 0) : tpdu.length;
        return new Delivery(tlvs, -1, Arrays.copyOfRange(tpdu, Math.min(sm, tpdu.length), tpdu.length), cpi);
    }

    /** One message: the first segment's TLVs and TPDU header, its UDH without the concatenation element, every segment's short message in order. */
    private static Delivery reassembled(Pending m) throws Malformed {
        ByteArrayOutputStream sm = new ByteArrayOutputStream();
        for (byte[] s : m.segments) sm.writeBytes(s);
        byte[] shortMessage = sm.toByteArray();
        ByteArrayOutputStream tpdu = new ByteArrayOutputStream();
        byte[] header = m.firstTpduHeader.clone();
        byte[] ies = m.firstUdhWithoutConcat;
        int udl = (ies.length > 0 ? 1 + ies.length : 0) + shortMessage.length;
        if (ies.length == 0) header[0] &= (byte) ~SmsDeliver.UDHI;
        header[header.length - 1] = (byte) Math.min(udl, 255); // meaningless when longer (TS 31.130 getTPUDLOffset)
        tpdu.writeBytes(header);
        if (ies.length > 0) {
            tpdu.write(ies.length);
            tpdu.writeBytes(ies);
        }
        tpdu.writeBytes(shortMessage);
        byte[] t = tpdu.toByteArray();
        ByteArrayOutputStream tlvs = new ByteArrayOutputStream();
        tlvs.writeBytes(m.firstTlvsBeforeTpdu);
        tlvs.write(uicc.toolkit.ToolkitConstants.TAG_SMS_TPDU | uicc.toolkit.ToolkitConstants.TAG_SET_CR);
        if (t.length > 255) {
            tlvs.write(0x82);
            tlvs.write(t.length >> 8);
            tlvs.write(t.length);
        } else if (t.length > 127) {
            tlvs.write(0x81);
            tlvs.write(t.length);
        } else {
            tlvs.write(t.length);
        }
        tlvs.writeBytes(t);
        tlvs.writeBytes(m.firstTlvsAfterTpdu);
        boolean cpi = false;
        for (int p = 0; p + 1 < ies.length; p += 2 + (ies[p + 1] & 0xFF)) if ((ies[p] & 0xFF) == IEI_CPI) cpi = true;
        return new Delivery(tlvs.toByteArray(), udl, shortMessage, cpi);
    }

    /** Offset of the SMS TPDU TLV's tag in the list. */
    private static int tpduTlvOffset(byte[] tlvs) throws Malformed {
        for (int p = 0; p < tlvs.length; p = tpduTlvEnd(tlvs, p)) {
            if ((tlvs[p] & 0x7F) == uicc.toolkit.ToolkitConstants.TAG_SMS_TPDU) return p;
        }
        throw new Malformed("no SMS TPDU");
    }

    /** End of the TLV whose tag is at p (one-byte tags, lengths 1 byte or 81 xx). */
    private static int tpduTlvEnd(byte[] tlvs, int p) throws Malformed {
        if (p + 1 >= tlvs.length) throw new Malformed("truncated TLV");
        int l = tlvs[p + 1] & 0xFF;
        int head = 2;
        if (l == 0x81) {
            if (p + 2 >= tlvs.length) throw new Malformed("truncated TLV");
            l = tlvs[p + 2] & 0xFF;
            head = 3;
        }
        return p + head + l;
    }
}
