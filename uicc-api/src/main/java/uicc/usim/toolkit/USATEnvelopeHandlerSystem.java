package uicc.usim.toolkit;

import uicc.toolkit.ToolkitException;

/** Gives the applet the SMS view of the current envelope (3GPP TS 31.130). */
public final class USATEnvelopeHandlerSystem {

    private static USATEnvelopeHandler handler;

    private USATEnvelopeHandlerSystem() {}

    public static USATEnvelopeHandler getTheHandler() throws ToolkitException {
        if (handler == null) ToolkitException.throwIt(ToolkitException.HANDLER_NOT_AVAILABLE);
        return handler;
    }
}
