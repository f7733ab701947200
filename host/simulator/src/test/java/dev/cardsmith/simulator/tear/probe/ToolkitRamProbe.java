package dev.cardsmith.simulator.tear.probe;

import javacard.framework.APDU;
import javacard.framework.JCSystem;
import uicc.toolkit.EnvelopeResponseHandler;
import uicc.toolkit.EnvelopeResponseHandlerSystem;
import uicc.usim.toolkit.USATEnvelopeHandler;
import uicc.usim.toolkit.USATEnvelopeHandlerSystem;

/**
 * A toolkit applet with RAM of both kinds, for the toolkit-context check of the rollback runtime:
 * the last byte of the short message picks what processToolkit touches - 'D' its CLEAR_ON_DESELECT
 * array (read), 'W' the same array (write), 'U' it through Util, anything else its CLEAR_ON_RESET
 * array - and it posts one byte. process() (selected) uses the CLEAR_ON_DESELECT array freely.
 */
public final class ToolkitRamProbe extends dev.cardsmith.simulator.uicc.SmsPpTestApplet {

    private final byte[] deselect = JCSystem.makeTransientByteArray((short) 4, JCSystem.CLEAR_ON_DESELECT);
    private final byte[] reset = JCSystem.makeTransientByteArray((short) 4, JCSystem.CLEAR_ON_RESET);
    private final byte[] sm = new byte[64];

    public static void install(byte[] b, short off, byte len) {
        ToolkitRamProbe a = new ToolkitRamProbe();
        registerForSmsPp(a, b, off);
    }

    @Override
    public void process(APDU apdu) {
        if (selectingApplet()) return;
        byte[] buf = apdu.getBuffer();
        deselect[0]++;
        buf[0] = deselect[0];
        apdu.setOutgoingAndSend((short) 0, (short) 1);
    }

    @Override
    public void processToolkit(short event) {
        USATEnvelopeHandler env = USATEnvelopeHandlerSystem.getTheHandler();
        short len = env.getShortMessageLength();
        env.copyValue(env.getShortMessageOffset(), sm, (short) 0, len);
        byte what = sm[(short) (len - 1)];
        byte v;
        if (what == 'D') {
            v = deselect[0];
        } else if (what == 'W') {
            deselect[1] = 1;
            v = 1;
        } else if (what == 'U') {
            javacard.framework.Util.arrayCopyNonAtomic(sm, (short) 0, deselect, (short) 0, (short) 1);
            v = 2;
        } else {
            reset[0]++;
            v = reset[0];
        }
        EnvelopeResponseHandler r = EnvelopeResponseHandlerSystem.getTheHandler();
        r.appendArray(new byte[] {v}, (short) 0, (short) 1);
        r.post(true);
    }
}
