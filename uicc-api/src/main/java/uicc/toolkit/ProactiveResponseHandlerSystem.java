package uicc.toolkit;

/** Gives the applet the proactive response handler (TS 102 241 clause 6.10). */
public final class ProactiveResponseHandlerSystem {

    private static ProactiveResponseHandler handler;

    private ProactiveResponseHandlerSystem() {}

    public static ProactiveResponseHandler getTheHandler() throws ToolkitException {
        if (handler == null) ToolkitException.throwIt(ToolkitException.HANDLER_NOT_AVAILABLE);
        return handler;
    }
}
