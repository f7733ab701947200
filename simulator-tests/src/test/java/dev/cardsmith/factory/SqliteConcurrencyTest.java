package dev.cardsmith.factory;

import dev.cardsmith.codec.Imei;
import dev.cardsmith.hsm.SoftwareHsm;
import dev.cardsmith.simulator.SimulatorTransport;
import dev.cardsmith.store.Database;
import dev.cardsmith.support.CliProcess;
import dev.cardsmith.transport.CardSession;
import dev.cardsmith.vault.PublicDatabase;
import dev.cardsmith.vault.SecureProcessingPoint;
import dev.cardsmith.vault.VaultCard;
import dev.cardsmith.vault.VaultKeys;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Issue 16: eight provisions at once on the default SQLite database ended in
 * {@code [SQLITE_BUSY] The database file is locked} after STORE PACKAGE, leaving a card
 * PACKAGED with no database row. Every card here must end PROVISIONED with exactly one row.
 */
class SqliteConcurrencyTest {

    static final String[] IMEIS = {"490154203237518", "356938035643809", "352099001761481", "490154203237526",
            "490154203237534", "490154203237542", "490154203237559", "490154203237567"};

    @TempDir
    Path dir;

    @Test
    void eightParallelProvisionsOnSqliteLeaveNoOrphanCard() throws Exception {
        String url = "jdbc:sqlite:" + dir.resolve("public.db");
        try (SoftwareHsm hsm = SoftwareHsm.open(dir.resolve("keystore.p12"), "test".toCharArray())) {
            VaultKeys keys = new VaultKeys(hsm);
            keys.ensure();
            Database.open(url);
            ExecutorService pool = Executors.newFixedThreadPool(IMEIS.length);
            List<Future<String>> done = new ArrayList<>();
            for (int i = 0; i < IMEIS.length; i++) {
                Path card = dir.resolve("card" + i + ".sim");
                String imei = IMEIS[i];
                done.add(pool.submit(() -> {
                    // every station opens the database itself, as separate commands do
                    Database stationDb = Database.open(url);
                    SecureProcessingPoint spp = new SecureProcessingPoint(keys, new PublicDatabase(stationDb), new dev.cardsmith.store.OperationJournal(stationDb), null);
                    try (CardSession s = new CardSession(SimulatorTransport.open(card))) {
                        return spp.provision(new VaultCard(s), Imei.identityBytes(imei)).chipId();
                    }
                }));
            }
            List<String> chips = new ArrayList<>();
            for (Future<String> f : done) chips.add(f.get());
            pool.shutdown();
            assertEquals(IMEIS.length, rows(url, "SELECT COUNT(DISTINCT chip_id) FROM vault_device"));
            assertEquals(IMEIS.length, rows(url, "SELECT COUNT(*) FROM vault_device"));
            assertEquals(0, rows(url, "SELECT COUNT(*) FROM operation_journal WHERE state <> 'DONE'"));
        }
    }

    @Test
    void eightParallelProvisionProcessesOnOneSqliteLeaveNoOrphanCard() throws Exception {
        Path home = dir.resolve("home");
        // the development keys exist before the stations start (hsm init at the factory)
        CliProcess.Result first = CliProcess.run(dir, home, List.of("--dev", "--sim=card-first.sim", "device", "provision", "--imei", "490154203237575"));
        assertEquals(0, first.exit(), first.output());
        ExecutorService pool = Executors.newFixedThreadPool(IMEIS.length);
        List<Future<CliProcess.Result>> runs = new ArrayList<>();
        for (int i = 0; i < IMEIS.length; i++) {
            List<String> args = List.of("--dev", "--sim=card" + i + ".sim", "device", "provision", "--imei", IMEIS[i]);
            runs.add(pool.submit(() -> CliProcess.run(dir, home, args)));
        }
        StringBuilder failures = new StringBuilder();
        for (Future<CliProcess.Result> f : runs) {
            CliProcess.Result r = f.get();
            if (r.exit() != 0) failures.append(r.output()).append('\n');
        }
        pool.shutdown();
        assertEquals("", failures.toString());
        String url = "jdbc:sqlite:" + home.resolve("cardsmith.db");
        assertEquals(IMEIS.length + 1, rows("jdbc:sqlite:" + home.resolve("public.db"), "SELECT COUNT(DISTINCT chip_id) FROM vault_device"));
        assertEquals(0, rows(url, "SELECT COUNT(*) FROM operation_journal WHERE state <> 'DONE'"));
    }

    @Test
    void withoutWalASecondProcessIsRefusedBeforeItTouchesTheCard() throws Exception {
        Path home = dir.resolve("home");
        Path db = dir.resolve("nowal.db");
        String url = "jdbc:sqlite:" + db + "?journal_mode=DELETE";
        Path card = dir.resolve("card.sim");
        SimulatorTransport.open(card).close(); // a blank card: its file is its whole state
        byte[] before = java.nio.file.Files.readAllBytes(card);
        List<String> provision = List.of("--dev", "--db", url, "--card", "sim:" + card, "device", "provision", "--imei", IMEIS[0]);
        // another process holds the database (its station lock), as a running station does
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(dir.resolve("nowal.db-station.lock"),
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE);
             java.nio.channels.FileLock held = ch.lock()) {
            CliProcess.Result refused = CliProcess.run(dir, home, provision);
            assertEquals(5, refused.exit(), refused.output());
            org.junit.jupiter.api.Assertions.assertTrue(refused.output().contains("in use by another cardsmith process"), refused.output());
            org.junit.jupiter.api.Assertions.assertArrayEquals(before, java.nio.file.Files.readAllBytes(card), "the card was touched");
        }
        // the station is gone: the same command runs
        CliProcess.Result ok = CliProcess.run(dir, home, provision);
        assertEquals(0, ok.exit(), ok.output());
        assertEquals(1, rows("jdbc:sqlite:" + db, "SELECT COUNT(*) FROM vault_device"));
    }

    static int rows(String url, String sql) throws Exception {
        try (Connection c = java.sql.DriverManager.getConnection(url); Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            r.next();
            return r.getInt(1);
        }
    }
}
