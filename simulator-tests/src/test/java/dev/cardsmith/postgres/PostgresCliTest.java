package dev.cardsmith.postgres;

import dev.cardsmith.support.CliProcess;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every system's store on PostgreSQL (the shared multi-station set-up), through the CLI as a
 * factory would run it: `--db jdbc:postgresql://…`. Needs CARDSMITH_TEST_PG_URL (a server where
 * it may create databases; .ci/run starts one on loopback); skips without it unless
 * CARDSMITH_REQUIRE_PG=1.
 */
class PostgresCliTest {

    @TempDir
    Path dir;
    String pub;
    String secure;

    @Test
    void allSystemsRunOnPostgres() throws Exception {
        String admin = System.getenv("CARDSMITH_TEST_PG_URL");
        if (!"1".equals(System.getenv("CARDSMITH_REQUIRE_PG"))) {
            Assumptions.assumeTrue(admin != null, "CARDSMITH_TEST_PG_URL not set");
        }
        assertNotNull(admin, "CARDSMITH_REQUIRE_PG=1 but CARDSMITH_TEST_PG_URL is not set");
        String suffix = UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        String pubDb = "cs_pub_" + suffix;
        String secDb = "cs_sec_" + suffix;
        sql(admin, "CREATE DATABASE " + pubDb, "CREATE DATABASE " + secDb);
        pub = admin.replaceFirst("/[^/?]+(\\?|$)", "/" + pubDb + "$1");
        secure = admin.replaceFirst("/[^/?]+(\\?|$)", "/" + secDb + "$1");
        try {
            // seed 000: provision two devices (one from the key pool), wipe, recover, verify
            ok("device", "pool", "generate", "--count", "2", "--secure-db", secure);
            ok("--sim=card.sim", "device", "provision", "--imei", "490154203237518", "--secure-db", secure);
            ok("--sim=card2.sim", "device", "provision", "--imei", "356938035643809", "--pool", "--secure-db", secure);
            ok("--sim=card.sim", "device", "wipe");
            ok("--sim=card.sim", "device", "recover");
            ok("--sim=card.sim", "device", "verify");
            // seed 001: issue, rotate, replace, reconcile
            ok("kms", "init");
            ok("kms", "import-transport-key");
            ok("kms", "transfer", "--with-private-key");
            ok("--sim=psd.sim", "psd", "issue");
            ok("kms", "rotate-mk");
            ok("kms", "transfer", "--with-private-key");
            ok("--sim=psd.sim", "psd", "replace-master-key");
            ok("--sim=psd.sim", "psd", "reconcile");
            // seed 002: CA, enrollment, TAN, personalization
            ok("ca", "init");
            String module = find("M[0-9A-F]{8}", ok("--sim=mod.sim", "module", "enroll"));
            String tan = find("\\b\\d{8}\\b", ok("perso", "tan", "--module", module));
            ok("--sim=mod.sim", "module", "personalize", "--tan", tan);
            // seed 004: OTA key set, terminal, trust init, authentication
            ok("--sim=sim.sim", "ota", "add-sim", "--sim-id", "8949000000000000001", "--dev-keys");
            ok("--sim=sim.sim", "terminal", "enrol", "--imei", "490154203237518", "--max-output", "12");
            ok("--sim=sim.sim", "ota", "init-trust", "--sim-id", "8949000000000000001", "--imei", "490154203237518",
                    "--max-output", "12", "--expiry", java.time.LocalDate.now().plusYears(1).toString(), "--terminal-store", dir.resolve("home/terminal.json").toString());
            ok("--sim=sim.sim", "terminal", "authenticate");
            assertTrue(ok("--sim=sim.sim", "ota", "status", "--sim-id", "8949000000000000001").contains("TRUSTED"));

            assertEquals(2, count(pub, "SELECT COUNT(*) FROM vault_device"));
            assertEquals(1, count(secure, "SELECT COUNT(*) FROM vault_key_pool"), "claim 7: the pool entry used is deleted, the other stays");
            assertFalse(Files.exists(dir.resolve("home/cardsmith.db")), "nothing may fall back to the embedded SQLite database");
        } finally {
            sql(admin, "DROP DATABASE IF EXISTS " + pubDb + " WITH (FORCE)", "DROP DATABASE IF EXISTS " + secDb + " WITH (FORCE)");
        }
    }

    String ok(String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of("--dev", "--db", pub));
        all.addAll(List.of(args));
        CliProcess.Result r = CliProcess.run(dir, dir.resolve("home"), all);
        assertEquals(0, r.exit(), "cardsmith " + String.join(" ", args) + "\n" + r.output());
        return r.output();
    }

    static String find(String regex, String text) {
        Matcher m = Pattern.compile(regex).matcher(text);
        assertTrue(m.find(), regex + " not in:\n" + text);
        return m.group();
    }

    static void sql(String url, String... statements) throws Exception {
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
            for (String st : statements) s.execute(st);
        }
    }

    static int count(String url, String query) throws Exception {
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(query)) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
