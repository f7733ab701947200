package dev.cardsmith.fuzz;

import java.util.List;

/**
 * One applet brought into one lifecycle state through the host library. The engine fuzzes it,
 * calls {@link #refresh()} every few cases (re-select, log in again: what a host does at the
 * start of a session) and rebuilds the fixture when {@link #lifecycle()} says a valid command
 * moved the applet out of the state.
 */
abstract class StateFixture implements AutoCloseable {

    final SimulatedCard card;

    StateFixture(SimulatedCard card) {
        this.card = card;
    }

    /** The generator for this applet (templates from the flows that built this fixture). */
    abstract CaseGenerator generator();

    /** Back to the start of a host session in this state. */
    void refresh() {
        card.select();
    }

    /** The fields that say which lifecycle state the applet is in (compared, not interpreted). */
    abstract Object lifecycle();

    /**
     * How the card refused this APDU, or null if it accepted it. Status words other than 9000,
     * 61xx and 91xx are refusals; the sim applet also reads the PoR of secured packets.
     */
    Declarations.Refusal refusal(byte[] apdu, byte[] response) {
        int sw = FuzzEngine.sw(response);
        // 91xx: normal ending, a proactive command pending (TS 102 221 10.2.1.1) - the UICC toolkit runtime's
        return sw == 0x9000 || (sw >> 8) == 0x61 || (sw >> 8) == 0x91 ? null : Declarations.Refusal.STATUS_WORD;
    }

    /** A rule of this state the APDU just broke (a sentence naming it), or null; most states have none. */
    String violation(byte[] apdu, byte[] response) {
        return null;
    }

    Object field(String path) {
        Object o = card.applet();
        for (String name : path.split("\\.")) {
            Class<?> c = o.getClass();
            while (true) {
                try {
                    o = SimulatedCard.read(c, o, name);
                    break;
                } catch (IllegalStateException e) {
                    c = c.getSuperclass();
                    if (c == null) throw e;
                }
            }
        }
        return o instanceof byte[] b ? List.of(java.util.HexFormat.of().formatHex(b)) : o;
    }

    @Override
    public void close() {
        card.close();
    }
}
