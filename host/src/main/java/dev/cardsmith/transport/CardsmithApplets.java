package dev.cardsmith.transport;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Every cardsmith applet with its AIDs (proprietary RID F0 43 53 4D 54, "CSMT"). The package
 * AID is RID || system number; the instance AID appends 01. docs/ and the CAP build use the
 * same values. Each system issue adds its line here.
 */
public final class CardsmithApplets {

    public static final String RID = "F043534D54";

    private CardsmithApplets() {}

    public static byte[] aid(String hex) { return HexFormat.of().parseHex(hex); }

    public static List<AppletSpec> all() {
        List<AppletSpec> list = new ArrayList<>();
        // seed 000: device key vault
        list.add(new AppletSpec("vault", aid(RID + "00"), aid(RID + "0001"), dev.cardsmith.applet.vault.VaultApplet.class, new byte[0]));
        // seed 001: personal security device; install params = development transport key (docs/psd.md)
        list.add(new AppletSpec("psd", aid(RID + "01"), aid(RID + "0101"), dev.cardsmith.applet.psd.PsdApplet.class, aid("404142434445464748494A4B4C4D4E4F")));
        // seed 002: security module (manufacturer checking key: SET CHECKING KEY via `cardsmith module enroll`)
        list.add(new AppletSpec("module", aid(RID + "02"), aid(RID + "0201"), dev.cardsmith.applet.module.ModuleApplet.class, new byte[0]));
        // seed 003: the card as cryptographic service provider (default PIN 123456, PUK 12345678)
        list.add(new AppletSpec("csp", aid(RID + "03"), aid(RID + "0301"), dev.cardsmith.applet.csp.CspApplet.class, new byte[0]));
        // seed 004: SIM trust model; params = DEV OTA key set (TEST KEYS ONLY, see docs/ota.md): KIc#1, KID#1, TAR C5D704, MSL 16
        list.add(new AppletSpec("sim", aid(RID + "04"), aid(RID + "0401"), dev.cardsmith.applet.sim.SimApplet.class, aid("01404142434445464748494A4B4C4D4E4F01505152535455565758595A5B5C5D5E5FC5D70416")));
        return list;
    }

    public static AppletSpec byName(String name) {
        for (AppletSpec s : all()) if (s.name().equals(name)) return s;
        throw new IllegalArgumentException("no applet named " + name);
    }
}
