package dev.cardsmith.simulator.uicc;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The UICC toolkit application specific parameters of INSTALL [for install] (tag 'CA', ETSI
 * TS 102 226 8.2.1.3.2.2.1): priority, timers, menu entries, channels, minimum security level and
 * the TAR values the runtime dispatches secured packets by. Built and parsed here; an applet never
 * sees them (GlobalPlatform hands it the 'C9' parameters only).
 */
public record ToolkitParams(int priority, byte[] minimumSecurityLevel, List<byte[]> tars) {

    /** Priority 1, no timers, menus or channels, no MSL (the applet checks its own), the given TARs. */
    public static ToolkitParams ofTars(byte[]... tars) {
        for (byte[] t : tars) if (t.length != 3) throw new IllegalArgumentException("a TAR is 3 bytes");
        return new ToolkitParams(1, new byte[0], List.of(tars));
    }

    /** The value of the 'CA' field. */
    public byte[] encode() {
        java.io.ByteArrayOutputStream o = new java.io.ByteArrayOutputStream();
        o.write(priority);
        o.write(0); // maximum number of timers
        o.write(0); // maximum text length for a menu entry
        o.write(0); // maximum number of menu entries (no position/identifier pairs follow)
        o.write(0); // maximum number of channels
        o.write(minimumSecurityLevel.length);
        o.writeBytes(minimumSecurityLevel);
        o.write(3 * tars.size());
        for (byte[] t : tars) o.writeBytes(t);
        return o.toByteArray();
    }

    /** Parses a 'CA' value; IllegalArgumentException with a one-line reason when it is malformed. */
    public static ToolkitParams parse(byte[] ca) {
        try {
            int p = 0;
            int priority = ca[p++] & 0xFF;
            p++; // timers
            p++; // menu text length
            int menus = ca[p++] & 0xFF;
            p += 2 * menus; // position / identifier pairs
            p++; // channels
            int mslLen = ca[p++] & 0xFF;
            if (p + mslLen > ca.length) throw new IllegalArgumentException("toolkit parameters: MSL runs past the field");
            byte[] msl = Arrays.copyOfRange(ca, p, p + mslLen);
            p += mslLen;
            int tarLen = ca[p++] & 0xFF;
            if (tarLen % 3 != 0 || p + tarLen > ca.length) throw new IllegalArgumentException("toolkit parameters: TAR field is not n * 3 bytes");
            List<byte[]> tars = new ArrayList<>();
            for (int i = 0; i < tarLen; i += 3) tars.add(Arrays.copyOfRange(ca, p + i, p + i + 3));
            return new ToolkitParams(priority, msl, List.copyOf(tars));
        } catch (ArrayIndexOutOfBoundsException e) {
            throw new IllegalArgumentException("toolkit parameters are truncated");
        }
    }
}
