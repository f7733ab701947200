package dev.cardsmith.postgres;

import dev.cardsmith.bench.FactoryBench;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * Several stations (separate processes, each its own factory run and card directory) on one
 * PostgreSQL database: no duplicate chip ID, PSD ID or identity, no lost row, every process
 * done. The CI size; `cardsmith bench factory --stations 8 --devices-per-station 1000` is the
 * large run. Needs CARDSMITH_TEST_PG_URL (.ci/run starts a server); skips without it unless
 * CARDSMITH_REQUIRE_PG=1.
 */
class FactoryStationsPostgresTest {

    @TempDir
    Path dir;

    @Test
    void threeStationsShareOnePostgresWithoutDuplicatesOrLostRows() throws Exception {
        String admin = System.getenv("CARDSMITH_TEST_PG_URL");
        if (!"1".equals(System.getenv("CARDSMITH_REQUIRE_PG"))) Assumptions.assumeTrue(admin != null, "CARDSMITH_TEST_PG_URL not set");
        assertNotNull(admin, "CARDSMITH_REQUIRE_PG=1 but CARDSMITH_TEST_PG_URL is not set");
        String name = "cs_factory_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        try (Connection c = DriverManager.getConnection(admin); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
            s.execute("CREATE DATABASE " + name + "_pub");
        }
        String url = admin.replaceFirst("/[^/?]+(\\?|$)", "/" + name + "$1");
        // the device records go to their own public database, as with the single-device commands
        String publicUrl = admin.replaceFirst("/[^/?]+(\\?|$)", "/" + name + "_pub$1");
        List<String> launcher = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), "dev.cardsmith.cli.Main");
        int stations = 3, devices = Integer.getInteger("factory.stationDevices", 20);
        Map<String, Object> r = FactoryBench.stations(launcher, url, publicUrl, stations, devices, 2, List.of("vault", "psd"), dir);
        String why = r.toString();
        assertEquals(List.of(0, 0, 0), r.get("exitCodes"), why);
        assertEquals(stations * devices, r.get("devicesDone"), why);
        assertEquals(0, r.get("duplicateChipIds"), why);
        assertEquals(0, r.get("duplicateIdentities"), why);
        assertEquals(0, r.get("duplicatePsdIds"), why);
        assertEquals(0, r.get("lostRows"), why);
        assertEquals(0, r.get("openIntents"), why);
        assertEquals(0, r.get("pendingJournal"), why);
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement();
             java.sql.ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM vault_device")) {
            rs.next();
            assertEquals(0, rs.getInt(1), "public records written into the line's operations store");
        }
    }
}
