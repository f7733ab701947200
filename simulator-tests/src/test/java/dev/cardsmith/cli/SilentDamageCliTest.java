package dev.cardsmith.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cardsmith.simulator.SimulatorTransport;
import dev.cardsmith.support.CliProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The six ways issue 10 found to end with exit code 0 and damaged or misleading state; each
 * case runs the command as written in the issue and expects a one-line error with its
 * documented exit code and no lasting effect.
 */
class SilentDamageCliTest {

    static final String IMEI = CliRun.IMEI;

    @TempDir Path dir;

    CliRun cli(String... args) {
        return CliRun.of(args);
    }

    static void oneLineError(CliRun r, int exit, String contains) {
        r.oneLineError(exit, contains);
    }

    /** db, keystore (and with dev=true development mode) in the test's directory, then the command. */
    CliRun station(boolean dev, String... cmd) {
        List<String> a = new ArrayList<>();
        if (dev) a.add("--dev");
        a.addAll(List.of("--db", "jdbc:sqlite:" + dir.resolve("public.db"), "--keystore", "pkcs12:" + dir.resolve("keystore.p12")));
        a.addAll(Arrays.asList(cmd));
        return cli(a.toArray(String[]::new));
    }

    int devices() throws Exception {
        if (!Files.exists(dir.resolve("public.db"))) return 0;
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("public.db"));
             ResultSet rs = c.createStatement().executeQuery("SELECT COUNT(*) FROM vault_device")) {
            return rs.next() ? rs.getInt(1) : 0;
        }
    }

    // 1. a command that writes lasting records must be told which card, and it must persist

    @Test
    void case1_provisionWithoutACardOrOnAThrowAwayCardIsRefused() throws Exception {
        station(true, "device", "provision", "--imei", IMEI).oneLineError(2, "no card given");
        station(true, "device", "provision", "--sim=", "--imei", IMEI).oneLineError(2, "throw-away card");
        station(true, "--card", "sim", "device", "provision", "--imei", IMEI).oneLineError(2, "throw-away card");
        station(true, "--card", "sim:" + dir.resolve("a.sim"), "--reader", "x", "device", "show").oneLineError(2, "give the card once");
        station(true, "--card", "nfc:x", "device", "show").oneLineError(2, "unknown card");
        assertEquals(0, devices(), "no public-database row for a card that does not exist");
        CliRun ok = station(true, "--card", "sim:" + dir.resolve("a.sim"), "device", "provision", "--imei", IMEI, "--json");
        assertEquals(0, ok.exit(), ok.err());
        assertEquals(1, devices());
    }

    // 2. key creation is explicit; development mode creates keys and says so

    @Test
    void case2_aMissingKeystoreIsAnErrorNotANewManufacturerKey() throws Exception {
        CliRun r = station(false, "--card", "sim:" + dir.resolve("a.sim"), "--keystore-password", "pw", "device", "provision", "--imei", IMEI);
        r.oneLineError(6, "cardsmith hsm init");
        assertFalse(Files.exists(dir.resolve("keystore.p12")));
        assertEquals(0, devices());

        CliRun init = station(false, "--keystore-password", "pw", "hsm", "init", "--json");
        assertEquals(0, init.exit(), init.err());
        assertEquals("created", init.json().get("keys").get("vault.manufacturer").asText());
        CliRun p = station(false, "--card", "sim:" + dir.resolve("a.sim"), "--keystore-password", "pw", "device", "provision", "--imei", IMEI, "--json");
        assertEquals(0, p.exit(), p.err());
        assertEquals("", p.err(), "no development notice outside development mode");

        Files.move(dir.resolve("keystore.p12"), dir.resolve("moved.p12"));
        oneLineError(station(false, "--card", "sim:" + dir.resolve("b.sim"), "--keystore-password", "pw", "device", "provision",
                "--imei", "356938035643809"), 6, "does not exist");
        assertEquals(1, devices());
    }

    @Test
    void case2_anEmptyKeystoreWithoutTheVaultKeysIsAnError() throws Exception {
        try (var h = dev.cardsmith.hsm.HsmFactory.open("pkcs12:" + dir.resolve("keystore.p12"), "pw".toCharArray())) {
            assertFalse(h.contains("vault.manufacturer"));
        }
        oneLineError(station(false, "--card", "sim:" + dir.resolve("a.sim"), "--keystore-password", "pw", "device", "provision",
                "--imei", IMEI), 6, "no manufacturer key");
        assertEquals(0, devices());
    }

    @Test
    void case2_developmentModeCreatesKeysAndSaysSoOnStderr() throws Exception {
        CliRun r = station(true, "--card", "sim:" + dir.resolve("a.sim"), "device", "provision", "--imei", IMEI, "--json");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.err().contains("development mode"), r.err());
        assertTrue(r.json().get("manufacturerKeyWritten").asBoolean());
        CliRun again = station(true, "--card", "sim:" + dir.resolve("b.sim"), "device", "provision", "--imei", "356938035643809", "--json");
        assertEquals("", again.err(), "keys exist now: nothing created, nothing said");
    }

    @Test
    void case2_theDefaultPasswordOnlyInDevelopmentMode() {
        station(false, "hsm", "init").oneLineError(2, "--dev");
        assertFalse(Files.exists(dir.resolve("keystore.p12")));
    }

    // 3. a damaged, empty or busy card file

    Path provisioned() {
        Path sim = dir.resolve("card.sim");
        CliRun r = station(true, "--card", "sim:" + sim, "device", "provision", "--imei", IMEI);
        assertEquals(0, r.exit(), r.err());
        return sim;
    }

    @Test
    void case3_aTruncatedCardFileIsAnErrorAndStaysAsItIs() throws Exception {
        Path sim = provisioned();
        byte[] all = Files.readAllBytes(sim);
        Files.write(sim, Arrays.copyOf(all, 200));
        station(true, "--card", "sim:" + sim, "device", "show").oneLineError(4, "damaged");
        assertEquals(200, Files.size(sim));
    }

    @Test
    void case3_flippedBytesInTheCardFileAreAnError() throws Exception {
        Path sim = provisioned();
        byte[] all = Files.readAllBytes(sim);
        all[100] ^= 0x20;
        all[300] ^= 0x01;
        Files.write(sim, all);
        station(true, "--card", "sim:" + sim, "device", "show").oneLineError(4, "integrity check failed");
    }

    @Test
    void case3_anEmptyCardFileIsNotANewChip() throws Exception {
        Path sim = dir.resolve("empty.sim");
        Files.createFile(sim);
        station(true, "--card", "sim:" + sim, "device", "provision", "--imei", IMEI).oneLineError(4, "is empty");
        assertEquals(0, Files.size(sim));
        assertEquals(0, devices());
    }

    @Test
    void case3_aSecondProcessWaitsForTheCardFile() throws Exception {
        Path sim = provisioned();
        CompletableFuture<CliProcess.Result> other;
        try (SimulatorTransport held = SimulatorTransport.open(sim)) {
            other = CompletableFuture.supplyAsync(() -> {
                try {
                    return CliProcess.run(dir, dir.resolve("home"), List.of("--card", "sim:" + sim, "device", "show", "--json",
                            "--db", "jdbc:sqlite:" + dir.resolve("public.db")));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            Thread.sleep(3000);
            assertFalse(other.isDone(), "the second process must wait for the lock");
        }
        CliProcess.Result r = other.get(120, TimeUnit.SECONDS);
        assertEquals(0, r.exit(), r.output());
        assertTrue(r.output().contains("PROVISIONED"), r.output());
    }

    // 4. option ranges

    @Test
    void case4_optionsOutsideTheirDocumentedRangesAreUsageErrors() {
        String sim = "sim:" + dir.resolve("card.sim");
        String iccid = "8949000000000000001";
        oneLineError(station(true, "--card", sim, "ota", "init-trust", "--sim-id", iccid, "--imei", IMEI, "--max-output", "999",
                "--expiry", "2099-06-30", "--init-key", "00112233445566778899AABBCCDDEEFF"), 2, "--max-output 999 is out of range: 0..255");
        oneLineError(station(true, "--card", sim, "ota", "init-trust", "--sim-id", iccid, "--imei", IMEI, "--max-output", "12",
                "--expiry", "2020-01-01", "--init-key", "00112233445566778899AABBCCDDEEFF"), 2, "--expiry 2020-01-01 is not after today");
        oneLineError(station(true, "--card", sim, "ota", "init-trust", "--sim-id", iccid, "--imei", IMEI, "--max-output", "12",
                "--expiry", "2027-13-45", "--init-key", "00112233445566778899AABBCCDDEEFF"), 2, "'2027-13-45' is not a date (YYYY-MM-DD)");
        station(true, "ota", "add-sim", "--sim-id", "abc", "--dev-keys").oneLineError(2, "not an ICCID");
        oneLineError(station(true, "terminal", "enrol", "--imei", IMEI, "--max-output", "256",
                "--terminal-store", dir.resolve("t.json").toString()), 2, "out of range");
        assertFalse(Files.exists(dir.resolve("t.json")));
        assertFalse(Files.exists(dir.resolve("card.sim")), "nothing is opened before the options are checked");
    }

    // 5. secret-bearing files 0600, secrets not only from argv

    @Test
    void case5_cardFilesAndTerminalStoresAreOwnerOnly() throws Exception {
        Path sim = provisioned();
        if (!Files.getFileStore(sim).supportsFileAttributeView("posix")) return;
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(sim)));
        Path ts = dir.resolve("terminal.json");
        CliRun r = station(true, "terminal", "enrol", "--imei", IMEI, "--max-output", "12", "--terminal-store", ts.toString());
        assertEquals(0, r.exit(), r.err());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(ts)));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("keystore.p12"))));
    }

    @Test
    void case5_secretsFromAFile() throws Exception {
        Path pw = dir.resolve("pw.txt");
        Files.writeString(pw, "s3cret\n");
        CliRun init = station(false, "--keystore-password", "file:" + pw, "hsm", "init", "--json");
        assertEquals(0, init.exit(), init.err());
        CliRun wrong = station(false, "--keystore-password", "other", "hsm", "init");
        wrong.oneLineError(6, "wrong password");
        CliRun again = station(false, "--keystore-password", "file:" + pw, "hsm", "init", "--json");
        assertEquals("kept", again.json().get("keys").get("vault.manufacturer").asText());
        station(false, "--keystore-password", "file:" + dir.resolve("none.txt"), "hsm", "init").oneLineError(2, "cannot read keystore password file");
        station(false, "--keystore-password", "env:CARDSMITH_TEST_UNSET_4711", "hsm", "init").oneLineError(2, "is not set");

        Path pin = dir.resolve("pin.txt");
        Files.writeString(pin, "123456\n");
        CliRun k = station(false, "--card", "sim:" + dir.resolve("csp.sim"), "csp", "keygen", "--slot", "9a", "--pin", "file:" + pin, "--json");
        assertEquals(0, k.exit(), k.err());
        station(true, "--card", "sim:" + dir.resolve("csp.sim"), "module", "personalize", "--tan", "1").oneLineError(2, "a TAN has 8 digits");
    }

    // 6. a keystore named on the command line must exist

    @Test
    void case6_verifyWithAMissingNamedKeystoreIsAnError() throws Exception {
        Path sim = provisioned();
        CliRun r = cli("--card", "sim:" + sim, "--db", "jdbc:sqlite:" + dir.resolve("public.db"), "--keystore", "pkcs12:" + dir.resolve("nothere.p12"),
                "device", "verify");
        r.oneLineError(6, "nothere.p12 does not exist");
        assertFalse(r.out().contains("verified: true"), r.out());
        assertFalse(Files.exists(dir.resolve("nothere.p12")));
    }

    // 2b. the OTA store's key-encryption key is created by hsm init or in development mode, never silently

    int otaSims() throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("public.db"));
             ResultSet rs = c.createStatement().executeQuery("SELECT COUNT(*) FROM ota_sim")) {
            return rs.next() ? rs.getInt(1) : 0;
        }
    }

    @Test
    void theOtaKeyEncryptionKeyIsNotMintedSilently() throws Exception {
        // a keystore made before the OTA store existed: vault keys only
        assertEquals(0, station(true, "--keystore-password", "pw", "--card", "sim:" + dir.resolve("a.sim"),
                "device", "provision", "--imei", IMEI).exit());
        byte[] before = Files.readAllBytes(dir.resolve("keystore.p12"));
        CliRun r = station(false, "--keystore-password", "pw", "ota", "add-sim", "--sim-id", "8949000000000000001", "--dev-keys");
        oneLineError(r, 6, "no OTA key-encryption key 'ota-kek'");
        assertTrue(r.err().contains("cardsmith hsm init"), r.err());
        assertArrayEquals(before, Files.readAllBytes(dir.resolve("keystore.p12")), "the keystore is unchanged");
        // init-trust and the other packet commands need it too
        oneLineError(station(false, "--keystore-password", "pw", "--card", "sim:" + dir.resolve("a.sim"), "ota", "status",
                "--sim-id", "8949000000000000001"), 6, "no OTA key-encryption key");

        // development mode creates it and says so
        CliRun dev = station(true, "--keystore-password", "pw", "ota", "add-sim", "--sim-id", "8949000000000000001", "--dev-keys");
        assertEquals(0, dev.exit(), dev.err());
        assertTrue(dev.err().contains("development mode: created development key ota-kek"), dev.err());
        assertEquals(1, otaSims());

        // hsm init: the explicit command; it keeps what exists
        CliRun init = station(false, "--keystore-password", "pw", "--json", "hsm", "init");
        assertEquals(0, init.exit(), init.err());
        assertEquals("kept", init.json().get("keys").get("ota-kek").asText());
        Files.delete(dir.resolve("keystore.p12"));
        init = station(false, "--keystore-password", "pw", "--json", "hsm", "init");
        assertEquals("created", init.json().get("keys").get("ota-kek").asText());
        CliRun second = station(false, "--keystore-password", "pw", "ota", "add-sim", "--sim-id", "8949000000000000002", "--dev-keys");
        assertEquals(0, second.exit(), second.err());
        assertFalse(second.err().contains("development mode"), second.err());
    }
}
