package uicc.toolkit;

import javacard.framework.Shareable;

/**
 * Implemented by a toolkit applet (TS 102 241 clause 6.2): the CAT Runtime Environment triggers it
 * through {@link #processToolkit} for the events it registered in its {@link ToolkitRegistry}
 * entry. The runtime obtains this object with
 * {@code Applet.getShareableInterfaceObject(null, (byte) 1)}.
 */
public interface ToolkitInterface extends Shareable {

    /** Called by the CAT Runtime Environment for a registered event. */
    void processToolkit(short event) throws ToolkitException;
}
