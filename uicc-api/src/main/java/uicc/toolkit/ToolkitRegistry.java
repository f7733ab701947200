package uicc.toolkit;

import javacard.framework.Shareable;

/**
 * The applet's entry in the toolkit registry (TS 102 241 clause 6.5): the events it is triggered
 * for. Subset: event registration only (no menus, timers, polling or channels).
 */
public interface ToolkitRegistry extends Shareable {

    /** Registers the applet for an event; EVENT_NOT_SUPPORTED when the runtime does not know it. */
    void setEvent(short event) throws ToolkitException;

    /** Clears the registration to an event. */
    void clearEvent(short event) throws ToolkitException;

    /** True when the applet is registered for the event. */
    boolean isEventSet(short event);
}
