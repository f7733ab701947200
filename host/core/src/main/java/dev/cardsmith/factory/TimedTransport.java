package dev.cardsmith.factory;

import dev.cardsmith.transport.CardTransport;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * Counts the time spent inside the card transport (for a simulated card: the card's own work
 * and the persisting of its file), so the line can tell host overhead from card time. The
 * counters belong to the one thread that drives the card.
 */
final class TimedTransport implements CardTransport {
    static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private final CardTransport inner;
    long cardNanos;
    long cardCpuNanos;

    TimedTransport(CardTransport inner) {
        this.inner = inner;
    }

    static long cpuNow() {
        return THREADS.isCurrentThreadCpuTimeSupported() ? THREADS.getCurrentThreadCpuTime() : 0;
    }

    @Override
    public byte[] transmit(byte[] commandApdu) {
        long t0 = System.nanoTime();
        long c0 = cpuNow();
        try {
            return inner.transmit(commandApdu);
        } finally {
            counted(t0, c0);
        }
    }

    private void counted(long t0, long c0) {
        cardCpuNanos += cpuNow() - c0;
        cardNanos += System.nanoTime() - t0;
    }

    @Override public byte[] atr() { return inner.atr(); }

    @Override public String name() { return inner.name(); }

    @Override
    public void reset() {
        timed(inner::reset);
    }

    /** Card time too: a simulated card saves its state (a snapshot of its file) when it is closed, as a real card needs no host for. */
    @Override
    public void close() {
        timed(inner::close);
    }

    private void timed(Runnable cardWork) {
        long t0 = System.nanoTime();
        long c0 = cpuNow();
        try {
            cardWork.run();
        } finally {
            counted(t0, c0);
        }
    }
}
