package dev.cardsmith.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/** Issue 10: the serve commands say on stderr where they listen and log one line per request, without secrets. */
class ServeLogCliTest {

    @TempDir Path dir;

    private List<String> global(String... args) {
        List<String> a = new ArrayList<>(List.of("--dev", "--db", "jdbc:sqlite:" + dir.resolve("cs.db"),
                "--keystore", "pkcs12:" + dir.resolve("ks.p12"), "--keystore-password", "test"));
        a.addAll(Arrays.asList(args));
        return a;
    }

    private CliRun run(String... args) {
        return CliRun.of(global(args).toArray(String[]::new));
    }

    /** A serve command in a thread; its stderr as it grows. */
    private record Serving(Thread thread, StringWriter err, AtomicInteger exit) {
        int port() throws Exception {
            Pattern p = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)");
            for (int i = 0; i < 400; i++) {
                Matcher m = p.matcher(err.toString());
                if (m.find()) return Integer.parseInt(m.group(1));
                Thread.sleep(25);
            }
            throw new AssertionError("no 'listening on' line on stderr: " + err);
        }
    }

    private Serving serve(String... args) {
        StringWriter err = new StringWriter();
        AtomicInteger exit = new AtomicInteger(-1);
        String[] all = global(args).toArray(String[]::new);
        Thread t = new Thread(() -> exit.set(Main.run(all, new PrintWriter(new StringWriter(), true), new PrintWriter(err, true))));
        t.start();
        return new Serving(t, err, exit);
    }

    private static int get(int port, String path) throws Exception {
        HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + port + path).toURL().openConnection();
        try {
            return c.getResponseCode();
        } finally {
            c.disconnect();
        }
    }

    @Test
    void dbServeSaysWhereItListensAndLogsEachRequest() throws Exception {
        CliRun p = run("--card", "sim:" + dir.resolve("card.sim"), "--json", "device", "provision", "--imei", CliRun.IMEI);
        assertEquals(0, p.exit(), p.err());
        String chip = p.json().get("chipId").asText();

        Serving s = serve("db", "serve", "--port", "0");
        int port = s.port();
        assertEquals(200, get(port, "/chips/" + chip + "/backup"));
        assertEquals(404, get(port, "/nothing"));
        for (int i = 0; i < 200 && !s.err().toString().contains("/nothing"); i++) Thread.sleep(25);
        s.thread().interrupt();
        s.thread().join(10_000);
        assertEquals(0, s.exit().get(), s.err().toString());
        List<String> lines = s.err().toString().lines().toList();
        assertTrue(lines.get(0).matches("cardsmith db serve: \\S+ listening on 127\\.0\\.0\\.1:" + port), lines.get(0));
        assertEquals(1, lines.stream().filter(l -> l.endsWith(" GET /chips/" + chip + "/backup -> 200")).count(), s.err().toString());
        assertEquals(1, lines.stream().filter(l -> l.endsWith(" GET /nothing -> 404")).count(), s.err().toString());
        assertEquals(3, lines.size(), "one line per request, nothing else: " + s.err());
    }

    @Test
    void centralServeLogsEachConnectionWithoutTheMessage() throws Exception {
        assertEquals(0, run("ca", "init").exit());
        Serving s = serve("central", "serve", "--port", "0", "--count", "1");
        int port = s.port();
        // a module that was never personalized: the central system refuses it
        CliRun c = run("--card", "sim:" + dir.resolve("card.sim"), "central", "connect", "--port", String.valueOf(port),
                "--message", "pay 4242 secret-payload", "--appliance", "kiosk-7");
        assertNotEquals(0, c.exit());
        s.thread().join(30_000);
        String err = s.err().toString();
        List<String> lines = err.lines().toList();
        assertTrue(lines.get(0).matches("cardsmith central serve: \\S+ listening on 127\\.0\\.0\\.1:" + port), err);
        assertEquals(2, lines.size(), err);
        assertTrue(lines.get(1).matches("cardsmith central serve: \\S+ appliance kiosk-7: refused: .+ \\(\\d+ ms\\)"), err);
        assertFalse(err.contains("secret-payload") || err.contains("4242"), err);
    }
}
