package dev.cardsmith.simulator.uicc;

/**
 * Offsets in an SMS-DELIVER TPDU (3GPP TS 23.040 9.2.2.1): TP-MTI/flags, TP-OA, TP-PID, TP-DCS,
 * TP-SCTS, TP-UDL, TP-UD with its user-data header (9.2.3.24). Only 8-bit data is read as octets
 * (SIM data download is 8-bit, TS 31.111 7.1.1 / TS 31.115 4); a 7-bit message gives
 * {@link #eightBit} false and no user-data offsets are meaningful.
 */
record SmsDeliver(int udlOffset, int udl, boolean udhi, boolean eightBit, int pid) {

    static final int MTI_MASK = 0x03;
    static final int UDHI = 0x40;

    /** Parses tpdu[off..off+len); null when it is not a well-formed SMS-DELIVER. */
    static SmsDeliver parse(byte[] b, int off, int len) {
        return parse(b, off, len, -1);
    }

    /**
     * As {@link #parse(byte[], int, int)}; a udlOverride >= 0 replaces the TP-UDL octet (a reassembled
     * concatenated message, whose length one octet cannot hold).
     */
    static SmsDeliver parse(byte[] b, int off, int len, int udlOverride) {
        int end = off + len;
        if (len < 1 || (b[off] & MTI_MASK) != 0) return null;
        int p = off + 1;
        if (p >= end) return null;
        int digits = b[p] & 0xFF;
        if (digits > 20) return null;
        p += 2 + (digits + 1) / 2; // length, TOA, semi-octets
        if (p + 10 > end) return null; // PID, DCS, SCTS(7), UDL
        int pid = b[p] & 0xFF;
        int dcs = b[p + 1] & 0xFF;
        // TS 23.038 4: general data coding 00xx with alphabet bits 01, or group F with b3 = 1
        boolean eightBit = ((dcs & 0xC0) == 0 && (dcs & 0x0C) == 0x04) || ((dcs & 0xF0) == 0xF0 && (dcs & 0x04) != 0);
        int udlOff = p + 9;
        int udl = udlOverride >= 0 ? udlOverride : b[udlOff] & 0xFF;
        if (eightBit && udlOff + 1 + udl != end) return null;
        boolean udhi = (b[off] & UDHI) != 0;
        if (udhi && eightBit && (udl < 1 || (b[udlOff + 1] & 0xFF) + 1 > udl)) return null;
        return new SmsDeliver(udlOff - off, udl, udhi, eightBit, pid);
    }

    /** Offset (from the TPDU start) of the UDH length octet; meaningful when udhi. */
    int udhlOffset() {
        return udlOffset + 1;
    }

    /** Length of the UDH including its length octet (0 without UDHI). */
    int udhTotal(byte[] b, int tpduOff) {
        return udhi ? (b[tpduOff + udhlOffset()] & 0xFF) + 1 : 0;
    }
}
