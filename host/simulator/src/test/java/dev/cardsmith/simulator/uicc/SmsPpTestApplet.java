package dev.cardsmith.simulator.uicc;

import javacard.framework.AID;
import javacard.framework.Applet;
import javacard.framework.Shareable;
import uicc.toolkit.ToolkitInterface;
import uicc.toolkit.ToolkitRegistrySystem;
import uicc.usim.toolkit.ToolkitConstants;

/** What the runtime's test toolkit applets share: registration for SMS-PP and the toolkit interface (TS 102 241 6.2). */
public abstract class SmsPpTestApplet extends Applet implements ToolkitInterface {

    /** register() with the instance AID of the install data, then EVENT_UNFORMATTED_SMS_PP_ENV (TS 102 241 6.5). */
    protected static void registerForSmsPp(SmsPpTestApplet a, byte[] b, short off) {
        a.register(b, (short) (off + 1), b[off]);
        ToolkitRegistrySystem.getEntry().setEvent(ToolkitConstants.EVENT_UNFORMATTED_SMS_PP_ENV);
    }

    @Override
    public Shareable getShareableInterfaceObject(AID clientAID, byte parameter) {
        return clientAID == null && parameter == 1 ? this : null;
    }
}
