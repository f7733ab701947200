package dev.cardsmith.module;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cardsmith.cli.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The README flow through the CLI: ca init, enroll, TAN, personalize (local and remote), central session, reset. */
class ModuleCliTest {

    @TempDir
    Path dir;

    private record Run(int exit, String out, String err) {
        JsonNode json() {
            try {
                return new ObjectMapper().readTree(out);
            } catch (Exception e) {
                throw new AssertionError("not JSON: " + out + " / " + err, e);
            }
        }
    }

    private List<String> global() {
        return List.of("--dev", "--card", "sim:" + dir.resolve("card.sim"), "--db", "jdbc:sqlite:" + dir.resolve("cs.db"),
                "--keystore", "pkcs12:" + dir.resolve("ks.p12"), "--keystore-password", "test", "--json");
    }

    private Run run(String... args) {
        List<String> all = new ArrayList<>(global());
        all.addAll(Arrays.asList(args));
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(all.toArray(String[]::new), new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) { return s.getLocalPort(); }
    }

    /** Runs a blocking serve command (one connection) in a thread; waits until it listens. */
    private Thread serve(AtomicInteger exit, String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of("--db", "jdbc:sqlite:" + dir.resolve("cs.db"),
                "--keystore", "pkcs12:" + dir.resolve("ks.p12"), "--keystore-password", "test"));
        all.addAll(Arrays.asList(args));
        StringWriter out = new StringWriter();
        Thread t = new Thread(() -> exit.set(Main.run(all.toArray(String[]::new), new PrintWriter(out, true), new PrintWriter(new StringWriter(), true))));
        t.start();
        for (int i = 0; i < 200 && !out.toString().contains("listening"); i++) Thread.sleep(25);
        assertTrue(out.toString().contains("listening"), "server did not start");
        return t;
    }

    @Test
    void readmeFlow() throws Exception {
        Run init = run("ca", "init");
        assertEquals(0, init.exit(), init.err());
        assertEquals(130, init.json().get("checkingKey").asText().length());

        Run enroll = run("module", "enroll");
        assertEquals(0, enroll.exit(), enroll.err());
        String module = enroll.json().get("module").asText();

        Run wrong = run("module", "personalize", "--tan", "00000000");
        assertEquals(7, wrong.exit(), wrong.out() + wrong.err());

        String tan = run("perso", "tan", "--module", module, "--count", "2").json().get("tans").get(0).asText();
        Run perso = run("module", "personalize", "--tan", tan);
        assertEquals(0, perso.exit(), perso.err());
        assertEquals(4, perso.json().get("card").get("apdus").asInt());
        assertEquals("operating", run("module", "status").json().get("state").asText());

        int port = freePort();
        AtomicInteger serveExit = new AtomicInteger(-1);
        Thread central = serve(serveExit, "central", "serve", "--port", String.valueOf(port), "--count", "1");
        Run connect = run("central", "connect", "--port", String.valueOf(port), "--message", "pay 42");
        central.join(30_000);
        assertEquals(0, connect.exit(), connect.err());
        assertTrue(connect.json().get("authenticated").asBoolean());
        assertEquals(0, serveExit.get());

        Run reset = run("module", "reset");
        assertEquals(0, reset.exit(), reset.err());
        Run status = run("module", "status");
        assertEquals("personalization", status.json().get("state").asText());
        assertEquals(false, status.json().get("moduleKey").asBoolean());

        // remote personalization through the CLI client, with the second TAN
        String tan2 = run("perso", "tan", "--module", module).json().get("tans").get(0).asText();
        int port2 = freePort();
        AtomicInteger persoExit = new AtomicInteger(-1);
        // the appliance's key (its keystore), registered with the perso unit (claim 14: no self-declared ids)
        String applianceKey = run("perso", "appliance-key", "--appliance", "kiosk-1").json().get("publicKey").asText();
        Run register = run("perso", "register-appliance", "--appliance", "kiosk-1", "--public-key", applianceKey);
        assertEquals(0, register.exit(), register.err());
        Thread persoServer = serve(persoExit, "perso", "serve", "--port", String.valueOf(port2), "--count", "1", "--allow-appliance", "kiosk-1");
        Run remote = run("perso", "connect", "--port", String.valueOf(port2), "--tan", tan2, "--appliance", "kiosk-1");
        persoServer.join(30_000);
        assertEquals(0, remote.exit(), remote.err());
        assertEquals(module, remote.json().get("module").asText());
        assertEquals("operating", run("module", "status").json().get("state").asText());

        Run list = run("ca", "list");
        assertEquals(0, list.exit(), list.err());
        assertTrue(list.json().get("certificates").size() >= 7);
    }
}
