package dev.cardsmith.tear;

import dev.cardsmith.simulator.tear.TearingSimulator;
import dev.cardsmith.transport.CardTransport;
import dev.cardsmith.transport.TransportException;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Cuts the power at every tear point of one host flow, one fresh card per point, and hands the
 * torn card to the flow's check (old or new, counters, keys), reconcile or re-run, and final
 * invariants. Tear points of each command: after every {@link #STRIDE}-th persistent write
 * (k = 0 is before the first one), after its last write, and after the command completed
 * with its response lost. Rerun with every write: {@code -Dcardsmith.tear.stride=1}.
 */
final class TearSweep {

    /** Write stride; 1 tears at every persistent write (docs/robustness.md has the CI budget). */
    static final int STRIDE = Integer.getInteger("cardsmith.tear.stride", 2);
    /** A tear after the command completed, the response lost. */
    static final int AFTER_RESPONSE = -1;

    private TearSweep() {}

    /** One host flow on a fresh card. */
    interface Flow {
        /** A fresh card, brought (through the host library) to where the flow starts. */
        TearingSimulator start();

        /** The flow under test, over the given transport; it throws when the card is torn. */
        void run(CardTransport transport);

        /**
         * The torn (already power-cycled) card: check what it holds against {@code before} (its
         * persistent state just before the torn command), then reconcile or re-run through the
         * host library and check the end state. Throws AssertionError on a broken invariant.
         */
        void recover(TearingSimulator card, Point point, Map<String, String> before);
    }

    /** Where the power was cut: the n-th APDU of the flow (from 1), after k persistent writes or after its response. */
    record Point(int apdu, int ins, int afterWrites) {
        @Override
        public String toString() {
            return "APDU " + apdu + " (INS " + String.format("%02X", ins) + ") "
                    + (afterWrites == AFTER_RESPONSE ? "after its response" : "after write " + afterWrites);
        }
    }

    record Result(String flow, List<Integer> writesPerApdu, int tested, List<String> notFired, List<String> failures) {
        String summary() {
            int writes = writesPerApdu.stream().mapToInt(Integer::intValue).sum();
            return String.format("tear sweep %-15s %2d APDUs, %3d write points, %3d tear points tested (stride %d), %d broken, writes per APDU %s%s",
                    flow, writesPerApdu.size(), writes, tested, STRIDE, failures.size(), writesPerApdu,
                    notFired.isEmpty() ? "" : ", not reached: " + notFired);
        }
    }

    /** Every planned point was reached, at least {@code minTested} of them, and no invariant broke. */
    static void assertNothingBroken(Result r, int minTested) {
        assertEquals(List.of(), r.failures());
        assertEquals(List.of(), r.notFired());
        assertTrue(r.tested() >= minTested, r.summary());
    }

    static Result sweep(String name, String applet, Flow flow) {
        Recorder rec = new Recorder(flow.start());
        flow.run(rec);
        List<Point> points = new ArrayList<>();
        for (int i = 0; i < rec.writes.size(); i++) {
            int n = rec.writes.get(i);
            for (int k = 0; k < n; k += STRIDE) points.add(new Point(i + 1, rec.ins.get(i), k));
            if (n > 0) points.add(new Point(i + 1, rec.ins.get(i), n));
            points.add(new Point(i + 1, rec.ins.get(i), AFTER_RESPONSE));
        }
        List<String> notFired = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        int tested = 0;
        for (Point p : points) {
            Cutter cut = new Cutter(flow.start(), p, applet);
            try {
                flow.run(cut);
            } catch (RuntimeException expected) {
                // the tear surfaces as a transport error in the host flow
            }
            if (!cut.fired) {
                notFired.add(p.toString());
                continue;
            }
            tested++;
            try {
                flow.recover(cut.card, p, cut.before);
            } catch (AssertionError | RuntimeException e) {
                failures.add(name + " torn at " + p + ": " + e);
            }
        }
        Result r = new Result(name, rec.writes, tested, notFired, failures);
        System.out.println(r.summary());
        failures.forEach(f -> System.out.println("  " + f));
        return r;
    }

    /** Counts the persistent writes of every command of an untorn run. */
    private static final class Recorder implements CardTransport {
        final TearingSimulator card;
        final List<Integer> writes = new ArrayList<>();
        final List<Integer> ins = new ArrayList<>();

        Recorder(TearingSimulator card) { this.card = card; }

        @Override
        public byte[] transmit(byte[] apdu) {
            byte[] r = card.transmit(apdu);
            writes.add(card.writesInLastCommand());
            ins.add(apdu[1] & 0xFF);
            return r;
        }

        @Override public byte[] atr() { return card.atr(); }
        @Override public String name() { return "recording " + card.name(); }
        @Override public void reset() { card.reset(); }
        @Override public void close() { card.close(); }
    }

    /** Passes APDUs to the card and cuts the power at one point. */
    private static final class Cutter implements CardTransport {
        final TearingSimulator card;
        final Point point;
        final String applet;
        int n;
        boolean fired;
        Map<String, String> before;

        Cutter(TearingSimulator card, Point point, String applet) {
            this.card = card;
            this.point = point;
            this.applet = applet;
        }

        @Override
        public byte[] transmit(byte[] apdu) {
            if (fired) throw new TransportException("card torn");
            if (++n != point.apdu()) return card.transmit(apdu);
            before = card.persistentState(applet);
            if (point.afterWrites() == AFTER_RESPONSE) {
                card.transmit(apdu);
                card.powerCycle();
                fired = true;
                throw new TransportException("card torn after " + point);
            }
            card.armTearAfterWrites(point.afterWrites());
            try {
                return card.transmit(apdu); // completes when the command has fewer writes: point not reached
            } catch (TransportException torn) {
                fired = card.lastCommandTorn();
                throw torn;
            }
        }

        @Override public byte[] atr() { return card.atr(); }
        @Override public String name() { return "cutting " + card.name(); }
        @Override public void reset() { card.reset(); }
        @Override public void close() { card.close(); }
    }
}
