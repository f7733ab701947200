package uicc.toolkit;

/**
 * Gives a toolkit applet its registry entry (TS 102 241 clause 6.5). On a card the CAT Runtime
 * Environment provides the object; in cardsmith's simulator it is dev.cardsmith.simulator.uicc
 * (set once per JVM, resolved per simulated card).
 */
public final class ToolkitRegistrySystem {

    private static ToolkitRegistry entry;

    private ToolkitRegistrySystem() {}

    /** The registry entry of the calling applet; REGISTRY_ERROR when no CAT runtime is present. */
    public static ToolkitRegistry getEntry() throws ToolkitException {
        if (entry == null) ToolkitException.throwIt(ToolkitException.REGISTRY_ERROR);
        return entry;
    }
}
