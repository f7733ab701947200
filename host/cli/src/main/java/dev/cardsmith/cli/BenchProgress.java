package dev.cardsmith.cli;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Progress of a benchmark on stderr (stdout keeps only the figures, JSON with --json): what runs,
 * a line every {@link #EVERY_SECONDS} s while it runs, and how long it took.
 */
final class BenchProgress {
    static final int EVERY_SECONDS = 5;

    private BenchProgress() {}

    /** The benchmark's body; what it throws passes through. */
    interface Body<T, E extends Exception> {
        T call() throws E;
    }

    static <T, E extends Exception> T run(CliContext ctx, String bench, String what, Body<T, E> body) throws E {
        long t0 = System.nanoTime();
        ctx.notice("bench " + bench + ": " + what + " ...");
        ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "bench-progress");
            t.setDaemon(true);
            return t;
        });
        ticker.scheduleAtFixedRate(() -> ctx.notice("bench " + bench + ": still running (" + seconds(t0) + " s)"),
                EVERY_SECONDS, EVERY_SECONDS, TimeUnit.SECONDS);
        try {
            T result = body.call();
            ctx.notice("bench " + bench + ": done in " + seconds(t0) + " s");
            return result;
        } finally {
            ticker.shutdownNow();
        }
    }

    private static String seconds(long t0) {
        return String.format(java.util.Locale.ROOT, "%.1f", (System.nanoTime() - t0) / 1e9);
    }
}
