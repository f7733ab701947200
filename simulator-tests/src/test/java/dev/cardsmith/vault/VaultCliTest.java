package dev.cardsmith.vault;

import dev.cardsmith.crypto.EcP256;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cardsmith.cli.Main;
import dev.cardsmith.hsm.SoftwareHsm;
import dev.cardsmith.store.Database;
import dev.cardsmith.transport.CardSession;
import dev.cardsmith.transport.CardTransports;
import org.junit.jupiter.api.BeforeEach;
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
 * Seed 000 through the CLI (Main.run in-process) with a persistent simulated card (--sim=FILE),
 * so every command is a separate "invocation" as in the README session.
 */
class VaultCliTest {

    @TempDir
    Path dir;
    String sim;
    String db;
    String keystore;
    String secureDb;

    record Result(int exit, String out, String err) {
        JsonNode json() {
            try {
                return new ObjectMapper().readTree(out);
            } catch (Exception e) {
                throw new AssertionError("not JSON: " + out + err, e);
            }
        }
    }

    @BeforeEach
    void setUp() {
        sim = dir.resolve("card.sim").toString();
        db = "jdbc:sqlite:" + dir.resolve("public.db");
        keystore = "pkcs12:" + dir.resolve("keystore.p12");
        secureDb = "jdbc:sqlite:" + dir.resolve("secure.db");
    }

    Result cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(code, out.toString(), err.toString());
    }

    /** The global options (accepted anywhere) followed by the command. */
    Result device(String... cmd) {
        List<String> a = new ArrayList<>(Arrays.asList(cmd));
        a.addAll(List.of("--dev", "--card", "sim:" + sim, "--db", db, "--keystore", keystore, "--json"));
        return cli(a.toArray(String[]::new));
    }

    static void ok(Result r) {
        assertEquals(0, r.exit(), () -> "exit " + r.exit() + "\nout: " + r.out() + "\nerr: " + r.err());
    }

    static void oneLineError(Result r, int expectedExit) {
        assertEquals(expectedExit, r.exit(), () -> "out: " + r.out() + "\nerr: " + r.err());
        String err = r.err().strip();
        assertFalse(err.isEmpty());
        assertEquals(1, err.lines().count(), err);
        assertTrue(err.startsWith("cardsmith: "), err);
    }

    byte[] proveChannelKeyOnSimFile(byte[] challenge) {
        try (CardSession s = new CardSession(CardTransports.open("sim:" + sim))) {
            VaultCard card = new VaultCard(s);
            card.select();
            return card.proveChannelKey(challenge);
        }
    }

    @Test
    void claim17_provisionWipeRecoverThroughTheCli() throws Exception {
        Result p = device("device", "provision", "--imei", VaultFixture.IMEI);
        ok(p);
        JsonNode j = p.json();
        String chip = j.get("chipId").asText();
        assertEquals(1, j.get("databaseVersion").asInt());
        // SELECT + SET MANUFACTURER KEY (fresh chip) + GET CHALLENGE + STORE PACKAGE + STORE CERTIFICATE
        assertEquals(5, j.get("card").get("apdus").asInt(), p.out());
        assertTrue(j.get("card").get("bytesSent").asInt() > 0);

        ok(device("device", "verify"));
        byte[] challenge = "cli challenge".getBytes();
        byte[] before = proveChannelKeyOnSimFile(challenge);

        Result w = device("device", "wipe");
        ok(w);
        assertEquals("PROVISIONED", w.json().get("previousState").asText());
        assertEquals("EMPTY", device("device", "show").json().get("card").get("state").asText());

        Result r = device("device", "recover");
        ok(r);
        assertEquals(chip, r.json().get("chipId").asText());
        assertEquals(3, r.json().get("card").get("apdus").asInt(), r.out());
        assertArrayEquals(before, proveChannelKeyOnSimFile(challenge));
        Result v = device("device", "verify");
        ok(v);
        assertTrue(v.json().get("verified").asBoolean());

        // recovery from the HTTP service, on a "machine" with no keystore and no local DB
        ok(device("device", "wipe"));
        try (PublicDbHttpServer server = PublicDbHttpServer.start(new PublicDatabase(Database.openExisting(db)), 0)) {
            Result h = cli("device", "recover", "--from", server.url(), "--sim=" + sim,
                    "--db", "jdbc:sqlite:" + dir.resolve("nowhere.db"), "--keystore", "pkcs12:" + dir.resolve("none.p12"), "--json");
            ok(h);
            assertEquals(chip, h.json().get("chipId").asText());
        }
        assertFalse(Files.exists(dir.resolve("none.p12")), "recovery must not need the HSM");
        assertArrayEquals(before, proveChannelKeyOnSimFile(challenge));
        assertEquals("PROVISIONED", device("device", "show").json().get("card").get("state").asText());
    }

    /**
     * verify pins the manufacturer key from this station's HSM when it has one: a card whose
     * write-once key is another manufacturer's fails (exit 7), and a station without a keystore
     * (repair shop) falls back to the card's key without creating a keystore.
     */
    @Test
    void claim2_verifyPinsTheManufacturerKeyFromTheHsm() throws Exception {
        ok(device("device", "provision", "--imei", VaultFixture.IMEI));
        Result v = device("device", "verify");
        ok(v);
        assertEquals("ok (matches the pinned key)", v.json().get("checks").get("manufacturer key on card").asText());

        String otherKeystore = "pkcs12:" + dir.resolve("other-manufacturer.p12");
        try (dev.cardsmith.hsm.Hsm other = dev.cardsmith.hsm.HsmFactory.open(otherKeystore, "cardsmith".toCharArray())) {
            new VaultKeys(other).ensure();
        }
        Result foreign = cli("device", "verify", "--sim=" + sim, "--db", db, "--keystore", otherKeystore, "--keystore-password", "cardsmith", "--json");
        assertEquals(7, foreign.exit(), foreign.out() + foreign.err());
        assertEquals("FAILED (differs from the pinned key)", foreign.json().get("checks").get("manufacturer key on card").asText());

        // a repair shop: no keystore in its CARDSMITH_HOME and none named
        dev.cardsmith.support.CliProcess.Result shop = dev.cardsmith.support.CliProcess.run(dir, dir.resolve("shop-home"),
                List.of("device", "verify", "--card", "sim:" + sim, "--db", db, "--json"));
        assertEquals(7, shop.exit(), shop.output());
        assertEquals("ok (present (trusted as is))", jsonOf(shop.output()).get("checks").get("manufacturer key on card").asText());
        assertFalse(Files.exists(dir.resolve("shop-home/keystore.p12")), "verify must not create a keystore");
    }

    /** The first JSON object of a merged stdout/stderr (the result; the error object follows it). */
    static JsonNode jsonOf(String output) throws Exception {
        return new ObjectMapper().readerFor(JsonNode.class).readValues(output.substring(output.indexOf('{'))).next() instanceof JsonNode n ? n : null;
    }

    /**
     * Attack: a forged card reports the forger's key as "the manufacturer key", and verify
     * trusted it. Without a pinned key the result is "unverified" and exit 7; "verified: true"
     * only with a pinned key that verifies (docs/vault.md, README exit codes).
     */
    @Test
    void forgedCardSelfVouching_verifyWithoutPinnedKeyIsUnverifiedExit7() throws Exception {
        ok(device("device", "provision", "--imei", VaultFixture.IMEI));
        dev.cardsmith.support.CliProcess.Result shop = dev.cardsmith.support.CliProcess.run(dir, dir.resolve("shop-home"),
                List.of("device", "verify", "--card", "sim:" + sim, "--db", db, "--json"));
        assertEquals(7, shop.exit(), "verify trusted the key the card reports: " + shop.output());
        assertEquals("unverified", jsonOf(shop.output()).get("verified").asText(), shop.output());
        assertTrue(shop.output().contains("unverified: no pinned manufacturer key"), shop.output());

        String pinned;
        try (SoftwareHsm hsm = SoftwareHsm.open(dir.resolve("keystore.p12"), "cardsmith".toCharArray())) {
            pinned = dev.cardsmith.crypto.Hex.of(new VaultKeys(hsm).manufacturerPoint());
        }
        dev.cardsmith.support.CliProcess.Result good = dev.cardsmith.support.CliProcess.run(dir, dir.resolve("shop-home"),
                List.of("device", "verify", "--card", "sim:" + sim, "--db", db, "--manufacturer-key", pinned));
        assertEquals(0, good.exit(), good.output());
        assertTrue(good.output().contains("verified: true"), good.output());
    }

    /** Attack: one IMEI provisioned on several chips. The second chip is refused with exit 7 until 'device reassign'. */
    @Test
    void identityCloning_cliRefusesTheSecondChipUntilReassign() {
        Result first = device("device", "provision", "--imei", VaultFixture.IMEI);
        ok(first);
        String firstChip = first.json().get("chipId").asText();
        String otherSim = dir.resolve("clone.sim").toString();
        Result clone = cli("device", "provision", "--imei", VaultFixture.IMEI, "--dev", "--card", "sim:" + otherSim, "--db", db,
                "--keystore", keystore, "--json");
        oneLineError(clone, 7);
        assertTrue(clone.err().contains("already bound to chip " + firstChip), clone.err());
        String cloneChip = cli("device", "show", "--card", "sim:" + otherSim, "--db", db, "--json").json().get("card").get("chipId").asText();

        Result moved = device("device", "reassign", "--imei", VaultFixture.IMEI, "--to", cloneChip, "--reason", "chip replaced");
        ok(moved);
        assertEquals(firstChip, moved.json().get("from").asText());
        assertEquals(2, moved.json().get("history").size(), moved.out());
        ok(cli("device", "provision", "--imei", VaultFixture.IMEI, "--dev", "--card", "sim:" + otherSim, "--db", db,
                "--keystore", keystore, "--json"));
        oneLineError(device("device", "reassign", "--imei", VaultFixture.IMEI, "--to", cloneChip, "--reason", "again"), 2);
    }

    /**
     * Attack: an insider (or anyone) with read access to the "public" database reads the
     * operation journal, TAN hashes and PSD cryptograms from it. With the default locations the
     * database that holds the device records holds public tables only.
     */
    @Test
    void insiderReadsPrivateRecords_publicDatabaseHoldsOnlyPublicTables() throws Exception {
        Path home = dir.resolve("home");
        dev.cardsmith.support.CliProcess.Result p = dev.cardsmith.support.CliProcess.run(dir, home,
                List.of("--dev", "--card", "sim:" + sim, "device", "provision", "--imei", VaultFixture.IMEI));
        assertEquals(0, p.exit(), p.output());
        java.util.Set<String> publicTables = java.util.Set.of("vault_device", "vault_identity", "vault_identity_history",
                "vault_chip", "flyway_public_history");
        int withDevices = 0;
        try (var files = Files.list(home)) {
            for (Path file : files.filter(x -> x.toString().endsWith(".db")).toList()) {
                java.util.Set<String> tables = new java.util.TreeSet<>();
                int devices = 0;
                try (var c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + file)) {
                    try (var rs = c.createStatement().executeQuery("SELECT name FROM sqlite_master WHERE type = 'table'")) {
                        while (rs.next()) tables.add(rs.getString(1));
                    }
                    if (tables.contains("vault_device")) {
                        try (var rs = c.createStatement().executeQuery("SELECT COUNT(*) FROM vault_device")) {
                            devices = rs.next() ? rs.getInt(1) : 0;
                        }
                    }
                }
                if (devices == 0) continue;
                withDevices++;
                java.util.Set<String> extra = new java.util.TreeSet<>(tables);
                extra.removeAll(publicTables);
                assertEquals(java.util.Set.of(), extra, "non-public tables in the public database " + file.getFileName());
            }
        }
        assertEquals(1, withDevices, "exactly one database holds device records");
        assertTrue(Files.exists(home.resolve("public.db")), "the public database is named public.db (README)");
        try (var c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + home.resolve("cardsmith.db"));
             var rs = c.createStatement().executeQuery("SELECT COUNT(*) FROM operation_journal WHERE system = 'vault'")) {
            assertTrue(rs.next() && rs.getInt(1) == 1, "the journal is in the operations store");
        }
    }

    @Test
    void claim7_provisionFromPoolDeletesPoolEntryAndReprovisionAppendsVersion() {
        Result g = device("device", "pool", "generate", "--count", "2", "--secure-db", secureDb);
        ok(g);
        assertEquals(2, g.json().get("available").asInt());
        Result p = device("device", "provision", "--imei", VaultFixture.IMEI, "--pool", "--secure-db", secureDb);
        ok(p);
        String entry = p.json().get("keyPair").asText().substring("pool ".length());
        try (SoftwareHsm hsm = SoftwareHsm.open(dir.resolve("keystore.p12"), "cardsmith".toCharArray())) {
            KeyPool pool = new KeyPool(Database.open(secureDb), hsm);
            assertFalse(pool.contains(entry), "claim 7: pool entry deleted after the backup arrived");
            assertEquals(1, pool.available());
        }
        // re-provision (after an authorized wipe) appends version 2, version 1 stays
        ok(device("device", "wipe"));
        Result p2 = device("device", "provision", "--imei", VaultFixture.IMEI2, "--pool", "--secure-db", secureDb);
        ok(p2);
        assertEquals(2, p2.json().get("databaseVersion").asInt());
        assertEquals(2, p2.json().get("packageVersion").asInt());
        List<DeviceRecord> history = new PublicDatabase(Database.openExisting(db)).history(p2.json().get("chipId").asText());
        assertEquals(2, history.size());
        assertEquals(VaultFixture.IMEI, history.get(0).identity());
        assertEquals(VaultFixture.IMEI2, history.get(1).identity());
        oneLineError(device("device", "provision", "--imei", VaultFixture.IMEI, "--pool", "--secure-db", secureDb), 1);
    }

    @Test
    void poolRefusesThePublicDatabase() {
        oneLineError(device("device", "pool", "generate", "--count", "1", "--secure-db", db), 2);
    }

    @Test
    void claim8_badImeiIsOneLineAndUsageExit() {
        Result r = device("device", "provision", "--imei", "490154203237517");
        oneLineError(r, 2);
        assertTrue(r.err().contains("Luhn"), r.err());
        oneLineError(device("device", "provision", "--imei", "12345"), 2);
        assertFalse(Files.exists(Path.of(sim)), "a bad IMEI is refused before the card is touched");
    }

    @Test
    void unknownReaderIsOneLineError() {
        Result r = cli("device", "show", "--reader", "No Such Reader 4711", "--db", db);
        assertNotEquals(0, r.exit());
        oneLineError(r, r.exit());
    }

    @Test
    void missingDatabaseIsOneLineError() {
        Result r = cli("device", "recover", "--sim=" + sim, "--db", "jdbc:sqlite:" + dir.resolve("missing.db"));
        oneLineError(r, 5);
        assertTrue(r.err().contains("database not found"), r.err());
    }

    @Test
    void recoverWithoutBackupAndProvisionTwiceAreOneLineErrors() {
        ok(device("device", "show"));
        Database.open(db); // an empty public database
        oneLineError(device("device", "recover"), 1);
        ok(device("device", "provision", "--imei", VaultFixture.IMEI));
        oneLineError(device("device", "provision", "--imei", VaultFixture.IMEI), 1);
        oneLineError(device("device", "recover"), 1);
    }

    @Test
    void verifyFailsWithExit7AgainstAnotherManufacturerKey() {
        ok(device("device", "provision", "--imei", VaultFixture.IMEI));
        String other = dev.cardsmith.crypto.Hex.of(EcP256.encode(EcP256.generate().getPublic()));
        Result r = device("device", "verify", "--manufacturer-key", other);
        assertEquals(7, r.exit(), r.out() + r.err());
        assertFalse(r.json().get("verified").asBoolean());
    }
}
