package dev.cardsmith.simulator;

import dev.cardsmith.transport.*;
import javacard.framework.Applet;

/**
 * One cardsmith applet as a card issuer installs it: package and instance AID, class, and the
 * application-specific install parameters (the value of GlobalPlatform tag C9, what
 * {@code gp --install x.cap --params HEX} sends).
 */
public record AppletSpec(String name, byte[] packageAid, byte[] instanceAid,
                         Class<? extends Applet> appletClass, byte[] installParams, byte[] toolkitParams) {

    /** An applet that is no UICC toolkit applet. */
    public AppletSpec(String name, byte[] packageAid, byte[] instanceAid, Class<? extends Applet> appletClass, byte[] installParams) {
        this(name, packageAid, instanceAid, appletClass, installParams, null);
    }

    /**
     * The install() argument a GlobalPlatform card builds from INSTALL [for install]:
     * LV(instance AID) || LV(privileges) || LV(application-specific parameters).
     */
    public byte[] globalPlatformInstallData() {
        byte[] params = installParams == null ? new byte[0] : installParams;
        byte[] out = new byte[1 + instanceAid.length + 2 + 1 + params.length];
        int o = 0;
        out[o++] = (byte) instanceAid.length;
        System.arraycopy(instanceAid, 0, out, o, instanceAid.length);
        o += instanceAid.length;
        out[o++] = 1;
        out[o++] = 0x00; // privileges: none
        out[o++] = (byte) params.length;
        System.arraycopy(params, 0, out, o, params.length);
        return out;
    }

    public AppletSpec withInstallParams(byte[] params) {
        return new AppletSpec(name, packageAid, instanceAid, appletClass, params, toolkitParams);
    }

    /**
     * With the UICC toolkit application specific parameters (the 'CA' field of the install
     * parameters, ETSI TS 102 226 8.2.1.3.2.2.1; dev.cardsmith.simulator.uicc.ToolkitParams): the
     * card's toolkit runtime takes the TARs from them. GlobalPlatform does not hand them to the applet.
     */
    public AppletSpec withToolkitParams(byte[] ca) {
        return new AppletSpec(name, packageAid, instanceAid, appletClass, installParams, ca);
    }
}
