package dev.cardsmith.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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

    static final String IMEI = CliRun.IMEI;

    @TempDir Path dir;

    CliRun cli(String... args) {
        return CliRun.of(args);
    }

    CliRun station(String... cmd) {
        List<String> a = new ArrayList<>(List.of("--db", "jdbc:sqlite:" + dir.resolve("public.db"), "--keystore", "pkcs12:" + dir.resolve("ks.p12"),
                "--keystore-password", "pw", "--card", "sim:" + dir.resolve("card.sim")));
        a.addAll(Arrays.asList(cmd));
        return cli(a.toArray(String[]::new));
    }

    byte[] keystore() throws Exception {
        assertEquals(0, station("hsm", "init").exit());
        return Files.readAllBytes(dir.resolve("ks.p12"));
    }

    @Test
    void damagedKeystoresAreNamedAsSuch() throws Exception {
        byte[] ks = keystore();
        Files.write(dir.resolve("ks.p12"), Arrays.copyOf(ks, ks.length / 2));
        station("hsm", "init").oneLineError(6, "is damaged or not a PKCS#12 keystore");
        Files.write(dir.resolve("ks.p12"), new byte[0]);
        station("hsm", "init").oneLineError(6, "is empty (damaged)");
        byte[] flipped = ks.clone();
        flipped[ks.length / 2] ^= 0x10;
        Files.write(dir.resolve("ks.p12"), flipped);
        CliRun r = station("hsm", "init");
        assertEquals(6, r.exit());
        assertTrue(r.err().contains("damaged"), r.err());
    }

    /** device provision opens the keystore on a second thread (start-up): its errors still reach the user as one line, exit 6, and nothing is written. */
    @Test
    void keystoreOpenedAheadReportsItsErrorsInOrder() throws Exception {
        byte[] ks = keystore();
        List<String> a = new ArrayList<>(List.of("--db", "jdbc:sqlite:" + dir.resolve("public.db"), "--keystore", "pkcs12:" + dir.resolve("ks.p12"),
                "--keystore-password", "not-the-password", "--card", "sim:" + dir.resolve("card.sim"), "device", "provision", "--imei", "490154203237518"));
        cli(a.toArray(String[]::new)).oneLineError(6, "wrong password, or the file is damaged");
        byte[] flipped = ks.clone();
        flipped[ks.length / 2] ^= 0x10;
        Files.write(dir.resolve("ks.p12"), flipped);
        CliRun r = station("device", "provision", "--imei", "490154203237518");
        assertEquals(6, r.exit(), r.err());
        assertTrue(r.err().contains("damaged"), r.err());
        Files.write(dir.resolve("ks.p12"), ks);
        assertEquals(0, station("device", "provision", "--imei", "490154203237518").exit(), "the card was left untouched by the failed attempts");
    }

    @Test
    void wipingAnEmptyCardSaysWhy() throws Exception {
        keystore();
        station("device", "wipe").oneLineError(3, "only a provisioned card can be wiped");
    }

    @Test
    void anUnreachableServerIsExitFour() throws Exception {
        keystore();
        CliRun r = station("device", "recover", "--from", "http://127.0.0.1:1");
        r.oneLineError(4, "cannot reach");
    }

    @Test
    void aDatabaseNamedOnTheCommandLineMustWork() throws Exception {
        CliRun r = cli("--card", "sim:" + dir.resolve("card.sim"), "--db", "garbage", "device", "show");
        r.oneLineError(5, "not a JDBC URL");
    }

    @Test
    void errorsAreJsonWithJson() throws Exception {
        CliRun r = cli("--json", "--card", "sim:" + dir.resolve("card.sim"), "--db", "jdbc:sqlite:" + dir.resolve("p.db"),
                "--keystore", "pkcs12:" + dir.resolve("nothere.p12"), "device", "verify");
        assertEquals(6, r.exit());
        JsonNode e = r.json().get("error");
        assertEquals(6, e.get("exitCode").asInt());
        assertEquals("hsm", e.get("kind").asText());
        assertTrue(e.get("message").asText().contains("nothere.p12 does not exist"));
    }

    @Test
    void aMissingTerminalStoreIsNamed() {
        CliRun r = cli("--dev", "--card", "sim:" + dir.resolve("card.sim"), "--db", "jdbc:sqlite:" + dir.resolve("p.db"),
                "--keystore", "pkcs12:" + dir.resolve("ks.p12"), "ota", "init-trust", "--sim-id", "8949000000000000001", "--imei", IMEI,
                "--max-output", "12", "--expiry", "2099-01-01", "--terminal-store", dir.resolve("none.json").toString());
        r.oneLineError(2, "none.json does not exist: enrol the terminal first");
    }

    /** Every --imei has one rule and one message, checked before any store, database or card is touched. */
    @Test
    void everyImeiOptionHasOneRuleAndOneMessage() throws Exception {
        for (String bad : List.of("490154203237519", "4901542032375")) {
            List<CliRun> runs = List.of(
                    cli("--dev", "--card", "sim:" + dir.resolve("card.sim"), "--db", "jdbc:sqlite:" + dir.resolve("p.db"),
                            "--keystore", "pkcs12:" + dir.resolve("ks.p12"), "device", "provision", "--imei", bad),
                    cli("--dev", "terminal", "enrol", "--terminal-store", dir.resolve("t.json").toString(), "--max-output", "12",
                            "--imei", bad),
                    cli("--dev", "--card", "sim:" + dir.resolve("card.sim"), "--db", "jdbc:sqlite:" + dir.resolve("p.db"),
                            "--keystore", "pkcs12:" + dir.resolve("ks.p12"), "ota", "init-trust", "--sim-id", "8949000000000000001",
                            "--imei", bad, "--max-output", "12", "--expiry", "2099-01-01", "--init-key", "00".repeat(16)));
            String first = runs.get(0).err().strip();
            assertTrue(first.startsWith("cardsmith: invalid IMEI '" + bad + "': "), first);
            for (CliRun r : runs) {
                r.oneLineError(2, "invalid IMEI");
                assertEquals(first, r.err().strip(), "one message for every --imei");
            }
        }
        try (var files = Files.list(dir)) {
            assertEquals(List.of(), files.map(p -> p.getFileName().toString()).toList(), "nothing was created");
        }
        // 14 digits get their check digit everywhere, the device identity too
        CliRun ok = cli("--dev", "--json", "--card", "sim:" + dir.resolve("card.sim"), "--db", "jdbc:sqlite:" + dir.resolve("p.db"),
                "--keystore", "pkcs12:" + dir.resolve("ks.p12"), "device", "provision", "--imei", IMEI.substring(0, 14));
        assertEquals(0, ok.exit(), ok.err());
        assertEquals(IMEI, ok.json().get("identity").asText());
    }
}
