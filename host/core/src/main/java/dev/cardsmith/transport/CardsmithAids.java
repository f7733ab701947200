package dev.cardsmith.transport;

import java.util.HexFormat;
import java.util.List;

/**
 * The AIDs of every cardsmith applet (proprietary RID F0 43 53 4D 54, "CSMT"): package AID =
 * RID || system number, instance AID = package AID || 01; the PIV applet has the standard PIV AIDs. The host library selects by these;
 * docs/, the CAP build (applet/cap-build.xml) and the simulator's applet registry use the same
 * values. No applet class and no key lives here: that is the simulator's business.
 */
public enum CardsmithAids {
    /** seed 000: device key vault */
    VAULT("vault", 0x00),
    /** seed 001: personal security device */
    PSD("psd", 0x01),
    /** seed 002: security module */
    MODULE("module", 0x02),
    /** seed 004: SIM trust model */
    SIM("sim", 0x04),
    /**
     * seed 003, the card as cryptographic service provider, on the standard card edge: the PIV Card Application (NIST SP 800-73-4 Part 1, 2.2),
     * under the PIV AIDs rather than the cardsmith RID, so OpenSC and every PIV middleware find it.
     */
    PIV("piv", "A00000030800001000", "A000000308000010000100");

    public static final String RID = "F043534D54";

    private final String system;
    private final String packageHex;
    private final String instanceHex;

    CardsmithAids(String system, int number) {
        this(system, RID + String.format("%02X", number), RID + String.format("%02X01", number));
    }

    CardsmithAids(String system, String packageHex, String instanceHex) {
        this.system = system;
        this.packageHex = packageHex;
        this.instanceHex = instanceHex;
    }

    /** The system's short name: vault, psd, module, sim, piv. */
    public String system() { return system; }

    public byte[] packageAid() { return HexFormat.of().parseHex(packageHex); }

    public byte[] instanceAid() { return HexFormat.of().parseHex(instanceHex); }

    public static CardsmithAids bySystem(String name) {
        for (CardsmithAids a : values()) if (a.system.equals(name)) return a;
        throw new IllegalArgumentException("no cardsmith applet named " + name + " (one of " + List.of(values()) + ")");
    }
}
