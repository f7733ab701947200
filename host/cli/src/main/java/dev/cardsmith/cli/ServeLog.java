package dev.cardsmith.cli;

import dev.cardsmith.transport.ApduRelay;

import java.io.PrintWriter;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the {@code serve} commands say on stderr: that they listen (address and port), then one
 * line per request: time, who, what, outcome, milliseconds. Never a request's payload (TANs,
 * transaction messages), only identifiers that are not secret.
 */
final class ServeLog {
    /** Held here: java.util.logging keeps only weak references to configured loggers. */
    private static final Logger JDK = Logger.getLogger("com.sun.net.httpserver");

    private final PrintWriter err;
    private final String service;

    ServeLog(PrintWriter err, String service) {
        this.err = err;
        this.service = service;
    }

    void listening(String host, int port) {
        line("listening on " + host + ":" + port);
    }

    void line(String text) {
        synchronized (err) {
            err.println("cardsmith " + service + ": " + Instant.now().truncatedTo(ChronoUnit.MILLIS) + " " + text);
            err.flush();
        }
    }

    /** A relay handler that logs each connection: the appliance id it named, the module served, the outcome. */
    ApduRelay.Handler relay(ApduRelay.Handler inner) {
        return (hello, channel) -> {
            long t0 = System.nanoTime();
            String who = "appliance " + printable(hello.get("appliance"));
            try {
                Map<String, Object> result = inner.handle(hello, channel);
                line(who + ": ok" + (result.get("module") == null ? "" : ", module " + printable(result.get("module"))) + ms(t0));
                return result;
            } catch (RuntimeException e) {
                line(who + ": refused: " + e.getMessage() + ms(t0));
                throw e;
            }
        };
    }

    /**
     * One line per HTTP request of a JDK {@code HttpServer}: method, path, status. The JDK's
     * server reports each reply (its request line and status) on its java.util.logging logger at
     * FINE; this keeps exactly those records. Returns what {@link #closeHttp} removes again.
     */
    Handler http() {
        Handler h = new Handler() {
            @Override
            public void publish(LogRecord r) {
                Matcher m = REPLY.matcher(String.valueOf(r.getMessage()));
                if (m.matches()) line(m.group(1) + " " + m.group(2) + " -> " + m.group(3));
            }

            @Override public void flush() {}

            @Override public void close() {}
        };
        h.setLevel(Level.FINE);
        JDK.setLevel(Level.FINE);
        JDK.setUseParentHandlers(false);
        JDK.addHandler(h);
        return h;
    }

    static void closeHttp(Handler h) {
        JDK.removeHandler(h);
        JDK.setLevel(null);
        JDK.setUseParentHandlers(true);
    }

    /** "GET /chips/…/backup HTTP/1.1 [200  OK] ()" as the JDK logs a reply. */
    private static final Pattern REPLY = Pattern.compile("^(\\S+) (\\S+) HTTP/\\S+ \\[(\\d{3}) .*");

    private static String printable(Object o) {
        String s = String.valueOf(o);
        s = s.replaceAll("[^\\x21-\\x7E]", "?");
        return s.length() > 64 ? s.substring(0, 64) + "…" : s;
    }

    private static String ms(long t0) {
        return " (" + (System.nanoTime() - t0) / 1_000_000 + " ms)";
    }
}
