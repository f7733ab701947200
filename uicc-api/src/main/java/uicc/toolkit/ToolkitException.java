package uicc.toolkit;

import javacard.framework.CardRuntimeException;

/**
 * Exception of the toolkit API (ETSI TS 102 241 clause 8, uicc.toolkit.ToolkitException) with the
 * reason codes of the specification.
 */
public class ToolkitException extends CardRuntimeException {

    /** Data do not fit the handler. */
    public static final short HANDLER_OVERFLOW = (short) 1;
    /** The handler is not available (busy, or after the first proactive command for the envelope response handler). */
    public static final short HANDLER_NOT_AVAILABLE = (short) 2;
    /** The element is not in the handler. */
    public static final short UNAVAILABLE_ELEMENT = (short) 3;
    public static final short MENU_ENTRY_NOT_FOUND = (short) 4;
    public static final short REGISTRY_ERROR = (short) 5;
    /** The event is not supported by the CAT Runtime Environment. */
    public static final short EVENT_NOT_SUPPORTED = (short) 6;
    public static final short EVENT_ALREADY_REGISTERED = (short) 7;
    /** Offset or length outside the selected TLV. */
    public static final short OUT_OF_TLV_BOUNDARIES = (short) 8;
    public static final short TERMINAL_PROFILE_NOT_AVAILABLE = (short) 9;
    public static final short ALLOWED_LENGTH_EXCEEDED = (short) 10;
    public static final short NO_TIMER_AVAILABLE = (short) 11;
    public static final short INVALID_TIMER_ID = (short) 12;
    public static final short EVENT_NOT_ALLOWED = (short) 13;
    public static final short BAD_INPUT_PARAMETER = (short) 14;
    /** The proactive command is not allowed by the CAT Runtime Environment. */
    public static final short COMMAND_NOT_ALLOWED = (short) 15;
    public static final short NO_SERVICE_ID_AVAILABLE = (short) 16;
    public static final short INVALID_SERVICE_ID = (short) 17;
    /** No TAR is defined for the applet instance. */
    public static final short TAR_NOT_DEFINED = (short) 18;

    public ToolkitException(short reason) {
        super(reason);
    }

    /** Throws a ToolkitException with the reason (on a card: the runtime's one instance). */
    public static void throwIt(short reason) throws ToolkitException {
        throw new ToolkitException(reason);
    }
}
