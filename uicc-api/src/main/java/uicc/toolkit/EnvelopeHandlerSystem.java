package uicc.toolkit;

/** Gives the applet the envelope handler of the current event (TS 102 241 clause 6.7). */
public final class EnvelopeHandlerSystem {

    private static EnvelopeHandler handler;

    private EnvelopeHandlerSystem() {}

    public static EnvelopeHandler getTheHandler() throws ToolkitException {
        if (handler == null) ToolkitException.throwIt(ToolkitException.HANDLER_NOT_AVAILABLE);
        return handler;
    }
}
