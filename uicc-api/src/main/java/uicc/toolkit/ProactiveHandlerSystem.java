package uicc.toolkit;

/** Gives the applet the proactive handler (TS 102 241 clause 6.9). */
public final class ProactiveHandlerSystem {

    private static ProactiveHandler handler;

    private ProactiveHandlerSystem() {}

    public static ProactiveHandler getTheHandler() throws ToolkitException {
        if (handler == null) ToolkitException.throwIt(ToolkitException.HANDLER_NOT_AVAILABLE);
        return handler;
    }
}
