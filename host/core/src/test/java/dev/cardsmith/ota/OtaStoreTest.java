package dev.cardsmith.ota;

import dev.cardsmith.crypto.Hex;
import dev.cardsmith.hsm.SoftwareHsm;
import dev.cardsmith.store.Database;
import dev.cardsmith.store.StoreException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.LocalDate;

import static org.junit.jupiter.api.Assertions.*;

/** The OTA server's store: wrapped keys, counters reserved before sending, events de-duplicated. */
class OtaStoreTest {

    @TempDir
    Path dir;

    @Test
    void keysAreWrapped_countersIncreaseAndPersist_eventsDeduplicated() throws Exception {
        Database db = Database.open("jdbc:sqlite:" + dir.resolve("o.db"));
        try (SoftwareHsm hsm = SoftwareHsm.open(dir.resolve("h.p12"), "pw".toCharArray())) {
            OtaStore store = new OtaStore(db, hsm);
            StoreException noKek = assertThrows(StoreException.class, () -> store.register("sim1", DevKeys.keys(), Spi.CounterMode.HIGHER),
                    "no KEK is minted silently by a registration");
            assertTrue(noKek.getMessage().contains("holds no OTA key-encryption key"), noKek.getMessage());
            assertFalse(hsm.contains(OtaStore.KEK_LABEL));
            assertThrows(StoreException.class, () -> store.require("sim1"), "nothing registered");
            assertTrue(OtaStore.createKek(hsm));
            assertFalse(OtaStore.createKek(hsm), "created once");
            store.register("sim1", DevKeys.keys(), Spi.CounterMode.HIGHER);
            assertThrows(StoreException.class, () -> store.register("sim1", DevKeys.keys(), Spi.CounterMode.HIGHER));
            assertEquals(DevKeys.keys(), store.require("sim1").keys());
            try (Connection c = db.connect(); ResultSet rs = c.createStatement().executeQuery("SELECT keys_wrapped FROM ota_sim")) {
                assertTrue(rs.next());
                String w = rs.getString(1);
                assertFalse(w.contains(Hex.of(DevKeys.KIC)) || w.contains(Hex.of(DevKeys.KID)), "no key in clear in the database");
            }
            String dbText = new String(Files.readAllBytes(dir.resolve("o.db")), java.nio.charset.StandardCharsets.ISO_8859_1);
            assertFalse(dbText.contains(Hex.of(DevKeys.KIC)));
            OtaServer server = new OtaServer(store);
            OtaServer.OtaMessage a = server.status("sim1", LocalDate.of(2026, 1, 1));
            OtaServer.OtaMessage b = server.revoke("sim1");
            assertEquals(1, a.counter());
            assertEquals(2, b.counter());
            assertEquals(2, new OtaStore(db, hsm).require("sim1").counter(), "the counter is persisted");
            assertEquals(1, CommandPacket.decode(DevKeys.keys(), a.packet()).counter());
            SimStatus.Event e = new SimStatus.Event(1, 1, LocalDate.of(2026, 1, 1), 5);
            assertTrue(store.recordEvent("sim1", e));
            assertFalse(store.recordEvent("sim1", e));
            assertThrows(StoreException.class, () -> store.require("nope"));
        }
        // another HSM (other KEK) cannot unwrap
        try (SoftwareHsm other = SoftwareHsm.open(dir.resolve("other.p12"), "pw".toCharArray())) {
            other.generateAesKey(OtaStore.KEK_LABEL, 256);
            assertThrows(StoreException.class, () -> new OtaStore(db, other).require("sim1"));
        }
    }

    /**
     * Review finding: the counter was read, then written, so two stations sending to one SIM at
     * the same moment could both take the same counter (the card then refuses one as a replay).
     * Eight threads reserve 25 counters each; every counter must be handed out exactly once.
     * Runs on SQLite, and on PostgreSQL too when CARDSMITH_TEST_PG_URL is set.
     */
    @Test
    void concurrentStationsNeverShareACounter() throws Exception {
        java.util.List<String> urls = new java.util.ArrayList<>(java.util.List.of("jdbc:sqlite:" + dir.resolve("c.db")));
        String pg = System.getenv("CARDSMITH_TEST_PG_URL");
        String pgDb = "cs_ota_" + java.util.UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        if (pg != null) {
            try (Connection c = java.sql.DriverManager.getConnection(pg)) { c.createStatement().execute("CREATE DATABASE " + pgDb); }
            urls.add(pg.replaceFirst("/[^/?]+(\\?|$)", "/" + pgDb + "$1"));
        }
        try {
            for (String url : urls) {
                Database db = Database.open(url);
                try (SoftwareHsm hsm = SoftwareHsm.open(dir.resolve("conc.p12"), "pw".toCharArray())) {
                    OtaStore.createKek(hsm);
                    new OtaStore(db, hsm).register("simC", DevKeys.keys(), Spi.CounterMode.HIGHER);
                    java.util.Set<Long> seen = java.util.concurrent.ConcurrentHashMap.newKeySet();
                    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
                    java.util.List<java.util.concurrent.Future<?>> done = new java.util.ArrayList<>();
                    for (int t = 0; t < 8; t++) {
                        done.add(pool.submit(() -> {
                            OtaStore store = new OtaStore(db, hsm);
                            for (int i = 0; i < 25; i++) {
                                long n = store.reserveCounter("simC", "STATUS", java.util.UUID.randomUUID().toString());
                                assertTrue(seen.add(n), "counter " + n + " handed out twice on " + url);
                            }
                            return null;
                        }));
                    }
                    for (java.util.concurrent.Future<?> f : done) f.get();
                    pool.shutdown();
                    assertEquals(200, seen.size());
                    assertEquals(200, new OtaStore(db, hsm).require("simC").counter());
                }
            }
        } finally {
            if (pg != null) {
                try (Connection c = java.sql.DriverManager.getConnection(pg)) { c.createStatement().execute("DROP DATABASE IF EXISTS " + pgDb + " WITH (FORCE)"); }
            }
        }
    }

    @Test
    void bytesPerOtaCommand() {
        Database db = Database.open("jdbc:sqlite:" + dir.resolve("b.db"));
        try (SoftwareHsm hsm = SoftwareHsm.open(dir.resolve("b.p12"), "pw".toCharArray())) {
            OtaStore.createKek(hsm);
            OtaServer s = new OtaServer(new OtaStore(db, hsm));
            s.store().register("sim", DevKeys.keys(), Spi.CounterMode.HIGHER);
            LocalDate d = LocalDate.of(2026, 11, 24);
            byte[] ec = new byte[65];
            ec[0] = 4;
            OtaServer.OtaMessage[] ms = {
                    s.initTrustSymmetric("sim", new byte[16], "490154203237518", 12, d.plusDays(30), 90, d),
                    s.initTrustEc("sim", ec, "490154203237518", 12, d.plusDays(30), 90, d),
                    s.update("sim", d), s.revoke("sim"), s.license("sim", 7, new byte[16], 3, d, d.plusDays(9)), s.status("sim", d)};
            int[] expectPacket = {90, 138, 42, 42, 58, 42};
            int[] expectSms = {1, 2, 1, 1, 1, 1}; // the EC init (65-byte key) exceeds 137 bytes: concatenated SMS
            for (int i = 0; i < ms.length; i++) {
                OtaServer.OtaMessage m = ms[i];
                System.out.printf("%-10s secured data %3d, packet %3d, SMS %d, TPDU %3d, envelope %3d bytes%n", m.command(),
                        CommandPacket.decode(DevKeys.keys(), m.packet()).data().length, m.packet().length, m.tpdus().size(),
                        m.tpdus().stream().mapToInt(t -> t.length).sum(), m.envelopes().stream().mapToInt(t -> t.length).sum());
                assertEquals(expectPacket[i], m.packet().length, m.command());
                assertEquals(expectSms[i], m.tpdus().size(), m.command());
            }
        }
    }
}
