package uicc.toolkit;

/** Gives the applet the envelope response handler of the current event (TS 102 241 clause 6.8). */
public final class EnvelopeResponseHandlerSystem {

    private static EnvelopeResponseHandler handler;

    private EnvelopeResponseHandlerSystem() {}

    public static EnvelopeResponseHandler getTheHandler() throws ToolkitException {
        if (handler == null) ToolkitException.throwIt(ToolkitException.HANDLER_NOT_AVAILABLE);
        return handler;
    }
}
