package dev.cardsmith.cli;

import dev.cardsmith.factory.RunSummary;

import java.util.Locale;
import java.util.function.Consumer;

/** The factory line's live progress on a terminal (stderr, one rewritten line); nothing when stderr is not a terminal or with --json. */
final class ProgressBar {
    private static final int WIDTH = 30;

    private ProgressBar() {}

    static Consumer<RunSummary.Progress> forTerminal(CliContext ctx) {
        if (ctx.json() || System.console() == null) return null;
        return p -> {
            synchronized (ctx) {
                ctx.err().print("\r" + line(p));
                ctx.err().flush();
            }
        };
    }

    static void end(CliContext ctx, Consumer<RunSummary.Progress> bar) {
        if (bar == null) return;
        ctx.err().println();
        ctx.err().flush();
    }

    /** {@code [#########.....] 12/20 done 11, failed 1, set aside 0, 3,600/h, ETA 5 s} */
    static String line(RunSummary.Progress p) {
        int filled = p.total() == 0 ? WIDTH : (int) ((long) p.finished() * WIDTH / p.total());
        double rate = p.perHour();
        int left = p.total() - p.finished();
        String eta = rate <= 0 ? "?" : String.format(Locale.ROOT, "%.0f s", left * 3600 / rate);
        return "[" + "#".repeat(filled) + ".".repeat(WIDTH - filled) + "] " + p.finished() + "/" + p.total()
                + String.format(Locale.ROOT, "  done %d, failed %d, set aside %d, %,.0f/h, ETA %s ", p.done(), p.failed(), p.setAside(), rate, eta);
    }
}
