package dev.cardsmith.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Issue 10, "Messages and exit codes": each failure the issue lists is one line a user can act
 * on, with the documented exit code, and with --json also a JSON error object on stdout.
 */
class MessagesCliTest {

    static final String IMEI = "490154203237518";

    @TempDir Path dir;

    record Run(int exit, String out, String err) {
        JsonNode json() throws Exception { return new ObjectMapper().readTree(out); }
    }

    Run cli(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    Run station(String... cmd) {
        List<String> a = new ArrayList<>(List.of("--db", "jdbc:sqlite:" + dir.resolve("public.db"), "--keystore", "pkcs12:" + dir.resolve("ks.p12"),
                "--keystore-password", "pw", "--card", "sim:" + dir.resolve("card.sim")));
        a.addAll(Arrays.asList(cmd));
        return cli(a.toArray(String[]::new));
    }

    static void oneLine(Run r, int exit, String contains) {
        assertEquals(exit, r.exit(), () -> "out: " + r.out() + "\nerr: " + r.err());
        String err = r.err().strip();
        assertEquals(1, err.lines().count(), err);
        assertTrue(err.startsWith("cardsmith: ") && err.contains(contains), err);
        assertFalse(err.contains("Exception") || err.contains(": null"), err);
    }

    byte[] keystore() throws Exception {
        assertEquals(0, station("hsm", "init").exit());
        return Files.readAllBytes(dir.resolve("ks.p12"));
    }

    @Test
    void damagedKeystoresAreNamedAsSuch() throws Exception {
        byte[] ks = keystore();
        Files.write(dir.resolve("ks.p12"), Arrays.copyOf(ks, ks.length / 2));
        oneLine(station("hsm", "init"), 6, "is damaged or not a PKCS#12 keystore");
        Files.write(dir.resolve("ks.p12"), new byte[0]);
        oneLine(station("hsm", "init"), 6, "is empty (damaged)");
        byte[] flipped = ks.clone();
        flipped[ks.length / 2] ^= 0x10;
        Files.write(dir.resolve("ks.p12"), flipped);
        Run r = station("hsm", "init");
        assertEquals(6, r.exit());
        assertTrue(r.err().contains("damaged"), r.err());
    }

    @Test
    void wipingAnEmptyCardSaysWhy() throws Exception {
        keystore();
        oneLine(station("device", "wipe"), 3, "only a provisioned card can be wiped");
    }

    @Test
    void anUnreachableServerIsExitFour() throws Exception {
        keystore();
        Run r = station("device", "recover", "--from", "http://127.0.0.1:1");
        oneLine(r, 4, "cannot reach");
    }

    @Test
    void aDatabaseNamedOnTheCommandLineMustWork() throws Exception {
        Run r = cli("--card", "sim:" + dir.resolve("card.sim"), "--db", "garbage", "device", "show");
        oneLine(r, 5, "not a JDBC URL");
    }

    @Test
    void errorsAreJsonWithJson() throws Exception {
        Run r = cli("--json", "--card", "sim:" + dir.resolve("card.sim"), "--db", "jdbc:sqlite:" + dir.resolve("p.db"),
                "--keystore", "pkcs12:" + dir.resolve("nothere.p12"), "device", "verify");
        assertEquals(6, r.exit());
        JsonNode e = r.json().get("error");
        assertEquals(6, e.get("exitCode").asInt());
        assertEquals("hsm", e.get("kind").asText());
        assertTrue(e.get("message").asText().contains("nothere.p12 does not exist"));
    }

    @Test
    void aMissingTerminalStoreIsNamed() {
        Run r = cli("--dev", "--card", "sim:" + dir.resolve("card.sim"), "--db", "jdbc:sqlite:" + dir.resolve("p.db"),
                "--keystore", "pkcs12:" + dir.resolve("ks.p12"), "ota", "init-trust", "--sim-id", "8949000000000000001", "--imei", IMEI,
                "--max-output", "12", "--expiry", "2099-01-01", "--terminal-store", dir.resolve("none.json").toString());
        oneLine(r, 2, "none.json does not exist: enrol the terminal first");
    }
}
