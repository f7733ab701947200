package dev.cardsmith.simulator.uicc;

import javacard.framework.APDU;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import uicc.toolkit.EnvelopeResponseHandler;
import uicc.toolkit.EnvelopeResponseHandlerSystem;
import uicc.toolkit.ProactiveHandler;
import uicc.toolkit.ProactiveHandlerSystem;
import uicc.toolkit.ProactiveResponseHandlerSystem;
import uicc.usim.toolkit.ToolkitConstants;
import uicc.usim.toolkit.USATEnvelopeHandler;
import uicc.usim.toolkit.USATEnvelopeHandlerSystem;

/**
 * A toolkit applet for the runtime's own tests: answers each SMS-PP message with its short message
 * (the bytes after the UDH); when the short message's last byte is 'P' it posts first, then sends
 * PROVIDE LOCAL INFORMATION (IMEI) and keeps the IMEI the terminal answered.
 */
public final class EchoToolkitApplet extends SmsPpTestApplet {

    static final byte ASK_IMEI = 'P';
    /** The last IMEI a terminal gave (test inspection; per instance). */
    final byte[] imei = new byte[8];
    byte result = -1;
    private final byte[] buf = new byte[512];

    public static void install(byte[] b, short off, byte len) {
        EchoToolkitApplet a = new EchoToolkitApplet();
        registerForSmsPp(a, b, off);
    }

    @Override
    public void process(APDU apdu) {
        if (selectingApplet()) return;
        ISOException.throwIt(ISO7816.SW_INS_NOT_SUPPORTED);
    }

    @Override
    public void processToolkit(short event) {
        USATEnvelopeHandler env = USATEnvelopeHandlerSystem.getTheHandler();
        short off = env.getShortMessageOffset();
        short len = env.getShortMessageLength();
        env.copyValue(off, buf, (short) 0, len);
        EnvelopeResponseHandler r = EnvelopeResponseHandlerSystem.getTheHandler();
        short n = len > r.getAvailableLength() ? r.getAvailableLength() : len;
        r.appendArray(buf, (short) 0, n);
        r.post(true);
        if (len > 0 && buf[(short) (len - 1)] == ASK_IMEI) {
            ProactiveHandler p = ProactiveHandlerSystem.getTheHandler();
            p.init(ToolkitConstants.PRO_CMD_PROVIDE_LOCAL_INFORMATION, ToolkitConstants.PLI_IMEI, ToolkitConstants.DEV_ID_TERMINAL);
            result = p.send();
            ProactiveResponseHandlerSystem.getTheHandler().findAndCopyValue(ToolkitConstants.TAG_IMEI, imei, (short) 0);
        }
    }
}
