package dev.cardsmith.simulator.uicc;

/**
 * Implemented by a card runtime that sees the applets' memory accesses (the instrumented
 * rollback runtime): {@link UiccToolkit} tells it when a thread runs {@code processToolkit}.
 * While it does, the applet is not selected, and Java Card 3.0.5 runtime 6.1.3 / ETSI TS 102 241
 * 6.2 make its CLEAR_ON_DESELECT memory inaccessible: an access throws
 * {@code java.lang.SecurityException}, as on a UICC.
 */
public interface ToolkitContext {

    /** The current thread starts {@code processToolkit}. */
    void enterToolkit();

    /** The current thread has left {@code processToolkit} (returned or thrown). */
    void exitToolkit();
}
