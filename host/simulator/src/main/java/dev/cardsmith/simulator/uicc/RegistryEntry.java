package dev.cardsmith.simulator.uicc;

import javacard.framework.AID;
import uicc.toolkit.ToolkitException;
import uicc.toolkit.ToolkitInterface;
import uicc.toolkit.ToolkitRegistry;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** One toolkit applet's registry entry (TS 102 241 6.5): its events and the TARs its install parameters gave it. */
final class RegistryEntry implements ToolkitRegistry {

    /** Events this runtime can raise. */
    static final Set<Short> SUPPORTED = Set.of(UiccToolkit.EVENT_PROFILE_DOWNLOAD, UiccToolkit.EVENT_UNFORMATTED_SMS_PP_ENV);

    final AID aid;
    final List<byte[]> tars;
    private final Set<Short> events = new TreeSet<>();
    /** Resolved at the first trigger (Applet.getShareableInterfaceObject(null, 1), TS 102 241 6.2). */
    ToolkitInterface target;

    RegistryEntry(AID aid, List<byte[]> tars) {
        this.aid = aid;
        this.tars = new ArrayList<>(tars);
    }

    /** An applet that registered for an event or was given toolkit parameters. */
    boolean toolkitApplet() {
        return !events.isEmpty() || !tars.isEmpty();
    }

    boolean hasTar(byte[] b, int off) {
        for (byte[] t : tars) if (Arrays.equals(t, 0, 3, b, off, off + 3)) return true;
        return false;
    }

    @Override
    public void setEvent(short event) {
        if (!SUPPORTED.contains(event)) ToolkitException.throwIt(ToolkitException.EVENT_NOT_SUPPORTED);
        events.add(event);
    }

    @Override
    public void clearEvent(short event) {
        if (!SUPPORTED.contains(event)) ToolkitException.throwIt(ToolkitException.EVENT_NOT_SUPPORTED);
        events.remove(event);
    }

    @Override
    public boolean isEventSet(short event) {
        return events.contains(event);
    }
}
