package dev.cardsmith.psd;

import dev.cardsmith.applet.psd.PsdProtocol;
import dev.cardsmith.crypto.Hex;

import java.util.Arrays;

/** The PSD's public status (SELECT response, GET DATA 00DF). */
public record PsdStatus(int state, int executive, int mkVersion, int krkVersion, int krkTriesLeft, byte[] id) {

    public static PsdStatus parse(byte[] d) {
        if (d.length < PsdProtocol.STATUS_FIXED_LEN) throw new PsdException("PSD status too short (" + d.length + " bytes)");
        int idLen = d[5] & 0xFF;
        if (d.length != PsdProtocol.STATUS_FIXED_LEN + idLen || idLen < PsdProtocol.ID_MIN || idLen > PsdProtocol.ID_MAX) {
            throw new PsdException("malformed PSD status (" + d.length + " bytes, ID length " + idLen + ")");
        }
        return new PsdStatus(d[0] & 0xFF, d[1] & 0xFF, d[2] & 0xFF, d[3] & 0xFF, d[4] & 0xFF,
                Arrays.copyOfRange(d, PsdProtocol.STATUS_FIXED_LEN, PsdProtocol.STATUS_FIXED_LEN + idLen));
    }

    /**
     * The status inside the SELECT response, an ISO 7816-4 FCI: 6F L { 84 L AID, 85 L status }
     * (single-byte lengths; other data objects inside the template are skipped).
     */
    public static PsdStatus fromSelect(byte[] fci) {
        if (fci.length < 2 || fci[0] != PsdProtocol.TAG_FCI || (fci[1] & 0xFF) != fci.length - 2) {
            throw new PsdException("SELECT response is not an FCI template (" + fci.length + " bytes)");
        }
        int o = 2;
        while (o + 2 <= fci.length) {
            int tag = fci[o] & 0xFF;
            int len = fci[o + 1] & 0xFF;
            if (len > 0x7F || o + 2 + len > fci.length) throw new PsdException("malformed FCI in the SELECT response");
            if (tag == (PsdProtocol.TAG_PROPRIETARY & 0xFF)) return parse(Arrays.copyOfRange(fci, o + 2, o + 2 + len));
            o += 2 + len;
        }
        throw new PsdException("SELECT response carries no PSD status (tag 85)");
    }

    public String idHex() { return Hex.of(id); }

    public boolean issued() { return state == (PsdProtocol.STATE_ISSUED & 0xFF); }

    public String stateName() {
        if (state == (PsdProtocol.STATE_INSTALLED & 0xFF)) return "INSTALLED";
        if (state == (PsdProtocol.STATE_ISSUED & 0xFF)) return "ISSUED";
        return "UNKNOWN(" + state + ")";
    }

    public String executiveName() {
        return switch (executive) {
            case PsdProtocol.EXEC_LOCKED -> "LOCKED";
            case PsdProtocol.EXEC_UNLOCKED -> "UNLOCKED";
            case PsdProtocol.EXEC_BLOCKED -> "BLOCKED";
            default -> "UNKNOWN(" + executive + ")";
        };
    }
}
