package dev.cardsmith.simulator;

import dev.cardsmith.transport.*;
import dev.cardsmith.transport.CardsmithAids;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Every cardsmith applet as the simulator installs it: its AIDs (from {@link CardsmithAids}, the
 * one table the host library selects by), its class, and the development install parameters a
 * simulated card gets. Those parameters hold TEST KEYS ONLY (docs/psd.md, docs/ota.md); a real
 * card gets its parameters from {@code gp --install ... --params}.
 */
public final class AppletRegistry {

    private AppletRegistry() {}

    public static byte[] aid(String hex) { return HexFormat.of().parseHex(hex); }

    public static List<AppletSpec> all() {
        List<AppletSpec> list = new ArrayList<>();
        list.add(spec(CardsmithAids.VAULT, dev.cardsmith.applet.vault.VaultApplet.class, new byte[0]));
        // install params = development transport key (docs/psd.md)
        list.add(spec(CardsmithAids.PSD, dev.cardsmith.applet.psd.PsdApplet.class, aid("404142434445464748494A4B4C4D4E4F")));
        // manufacturer checking key: SET CHECKING KEY via `cardsmith module enroll`
        list.add(spec(CardsmithAids.MODULE, dev.cardsmith.applet.module.ModuleApplet.class, new byte[0]));
        // no parameters: development defaults PIN 123456 (refused for key use until changed), PUK
        // 12345678, 3DES administration key 010203..08 x3 (docs/piv-card-edge.md "Install parameters")
        list.add(spec(CardsmithAids.PIV, dev.cardsmith.applet.piv.PivApplet.class, new byte[0]));
        // DEV OTA key set (TEST KEYS ONLY, see docs/ota.md): KIc#1, KID#1, TAR C5D704, MSL 16
        // UICC toolkit parameters (TS 102 226 'CA'): the runtime dispatches SMS-PP packets with TAR C5D704 to it
        list.add(spec(CardsmithAids.SIM, dev.cardsmith.applet.sim.SimApplet.class,
                aid("01404142434445464748494A4B4C4D4E4F01505152535455565758595A5B5C5D5E5FC5D70416"))
                .withToolkitParams(dev.cardsmith.simulator.uicc.ToolkitParams.ofTars(aid("C5D704")).encode()));
        return list;
    }

    /**
     * The applets as a factory line receives a card from its vendor: as {@link #all()}, but the sim
     * applet installed with the development SIM transport key ({@code OtaPersonalization.DEV_TRANSPORT_KEY},
     * TEST KEY ONLY) instead of a key set, so its OTA key set is still to be set by PERSONALIZE
     * (the factory line's sim stage).
     */
    public static List<AppletSpec> factoryLine() {
        List<AppletSpec> list = new ArrayList<>();
        for (AppletSpec a : all()) {
            list.add(a.name().equals(CardsmithAids.SIM.system()) ? a.withInstallParams(dev.cardsmith.ota.OtaPersonalization.DEV_TRANSPORT_KEY) : a);
        }
        return list;
    }

    private static AppletSpec spec(CardsmithAids ids, Class<? extends javacard.framework.Applet> cls, byte[] params) {
        return new AppletSpec(ids.system(), ids.packageAid(), ids.instanceAid(), cls, params);
    }

    public static AppletSpec byName(String name) {
        for (AppletSpec s : all()) if (s.name().equals(name)) return s;
        throw new IllegalArgumentException("no applet named " + name);
    }
}
