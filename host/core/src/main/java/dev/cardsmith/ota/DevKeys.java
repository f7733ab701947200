package dev.cardsmith.ota;

import dev.cardsmith.crypto.Hex;

/**
 * The simulator's OTA key set, installed by the simulator's applet registry as the sim applet's default
 * install parameters. TEST KEYS ONLY: they are published in the source and docs; a real SIM gets
 * its own KIc/KID at personalization ({@code gp --install ... --params}) or via PERSONALIZE.
 */
public final class DevKeys {
    private DevKeys() {}

    public static final byte[] KIC = Hex.parse("404142434445464748494A4B4C4D4E4F");
    public static final byte[] KID = Hex.parse("505152535455565758595A5B5C5D5E5F");
    public static final int KIC_INDEX = 1;
    public static final int KID_INDEX = 1;
    public static final byte[] TAR = Hex.parse("C5D704");
    /** Minimum security level: CC, ciphering, counter must be higher (TS 102 226 MSL, SPI octet 1 coding). */
    public static final int MSL = 0x16;

    public static OtaKeys keys() { return OtaKeys.aes(KIC_INDEX, KIC, KID_INDEX, KID, TAR); }
}
