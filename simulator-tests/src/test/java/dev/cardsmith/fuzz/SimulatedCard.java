package dev.cardsmith.fuzz;

import com.licel.jcardsim.base.Simulator;
import com.licel.jcardsim.base.SimulatorRuntime;
import com.licel.jcardsim.base.TransientMemory;
import com.licel.jcardsim.smartcardio.CardSimulator;
import com.licel.jcardsim.utils.AIDUtil;
import dev.cardsmith.simulator.AppletSpec;
import dev.cardsmith.simulator.SimulatorTransport;
import dev.cardsmith.transport.CardSession;
import dev.cardsmith.transport.CardTransport;
import javacard.framework.Applet;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;

/**
 * One in-memory jCardSim card with one cardsmith applet, seen from both sides: the host library
 * drives it through {@link #session()} (every APDU of those flows is recorded, so the fuzzer can
 * mutate real commands), the fuzzer sends raw bytes through {@link #transmitRaw(byte[])}, and the
 * invariants look at the applet object and the simulator's transient memory.
 */
final class SimulatedCard implements AutoCloseable {

    private final AppletSpec spec;
    private final SimulatorTransport transport;
    private final CardSimulator sim;
    private final List<byte[]> recorded = new ArrayList<>();
    private final CardSession session;
    private boolean recording = true;

    SimulatedCard(AppletSpec spec) {
        this.spec = spec;
        this.transport = dev.cardsmith.support.CardUnderTest.simulated(List.of(spec));
        this.sim = (CardSimulator) read(SimulatorTransport.class, transport, "sim");
        this.session = new CardSession(recordingTransport(0));
    }

    /** The card's transport, recorded; when {@code loseAnswerTo} is a non-zero INS, the card's answer to that command is lost once (the host sees the card removed). */
    private CardTransport recordingTransport(int loseAnswerTo) {
        boolean[] lost = {loseAnswerTo == 0};
        return new CardTransport() {
            @Override public byte[] transmit(byte[] apdu) {
                if (recording) recorded.add(apdu.clone());
                byte[] answer = transport.transmit(apdu);
                if (!lost[0] && apdu.length > 1 && (apdu[1] & 0xFF) == loseAnswerTo) {
                    lost[0] = true;
                    throw new dev.cardsmith.transport.TransportException("card removed after INS " + Integer.toHexString(loseAnswerTo));
                }
                return answer;
            }
            @Override public byte[] atr() { return transport.atr(); }
            @Override public String name() { return transport.name(); }
            @Override public void reset() { transport.reset(); }
            @Override public void close() { if (loseAnswerTo == 0) transport.close(); }
        };
    }

    /**
     * A second host session on this card that loses the card's answer to the first command with
     * this INS: a host process that died (or a card pulled) right after the card executed it.
     * Closing it leaves the card open.
     */
    CardSession losingAnswerTo(byte ins) {
        return new CardSession(recordingTransport(ins & 0xFF));
    }

    AppletSpec spec() { return spec; }

    CardSession session() { return session; }

    /** The APDUs the host library sent so far (recording stops with {@link #stopRecording()}). */
    List<byte[]> recorded() { return recorded; }

    void stopRecording() { recording = false; }

    byte[] transmitRaw(byte[] apdu) { return transport.transmit(apdu); }

    void select() { session.select(spec.instanceAid()); }

    Applet applet() {
        return runtime().lookupApplet(AIDUtil.create(spec.instanceAid())).getApplet();
    }

    TransientMemory transientMemory() { return runtime().getTransientMemory(); }

    private SimulatorRuntime runtime() {
        return (SimulatorRuntime) read(Simulator.class, sim, "runtime");
    }

    /** A big-endian counter the applet keeps in {@code holder.field} (its OTA or transaction counter), read by reflection. */
    long counter(String holder, String field) {
        Object a = applet();
        Object h = read(a.getClass(), a, holder);
        long n = 0;
        for (byte b : (byte[]) read(h.getClass(), h, field)) n = (n << 8) | (b & 0xFF);
        return n;
    }

    static Object read(Class<?> owner, Object target, String field) {
        try {
            Field f = owner.getDeclaredField(field);
            f.setAccessible(true);
            return f.get(target);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("jCardSim internals changed: " + owner.getName() + "." + field, e);
        }
    }

    @Override
    public void close() {
        session.close();
    }
}
