package dev.cardsmith.store;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every migration of every system must run on PostgreSQL too (shared multi-station use).
 * Needs CARDSMITH_TEST_PG_URL, a JDBC URL of a server where it may create databases
 * (.ci/run starts a throw-away cluster); skips without it unless CARDSMITH_REQUIRE_PG=1.
 */
class PostgresPortabilityTest {

    @Test
    void allMigrationsApplyOnPostgresAndTheJournalWorks() throws Exception {
        String admin = System.getenv("CARDSMITH_TEST_PG_URL");
        if (!"1".equals(System.getenv("CARDSMITH_REQUIRE_PG"))) {
            Assumptions.assumeTrue(admin != null, "CARDSMITH_TEST_PG_URL not set");
        }
        assertNotNull(admin, "CARDSMITH_REQUIRE_PG=1 but CARDSMITH_TEST_PG_URL is not set");
        withNewDatabase(admin, url -> {
            Database db = Database.open(url);
            OperationJournal j = new OperationJournal(db);
            String id = j.begin("vault", "CHIP", "provision", null);
            assertEquals(1, j.pending("vault", "CHIP").size());
            j.finish(id, OperationJournal.State.DONE, "ok");
            assertTrue(j.pending("vault", "CHIP").isEmpty());
            int applied = db.inTransaction(c -> {
                try (Statement s = c.createStatement();
                     ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM flyway_schema_history WHERE success")) {
                    rs.next();
                    return rs.getInt(1);
                }
            });
            int onClasspath = countMigrations();
            assertEquals(onClasspath, applied, "every migration on the classpath applied on PostgreSQL");
        });
    }

    interface UrlTest {
        void run(String url) throws Exception;
    }

    /** Runs {@code test} on a new database of the server {@code admin} points at, dropped afterwards. */
    private static void withNewDatabase(String admin, UrlTest test) throws Exception {
        String name = "cs_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        try (Connection c = DriverManager.getConnection(admin); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        }
        try {
            test.run(admin.replaceFirst("/[^/?]+(\\?|$)", "/" + name + "$1"));
        } finally {
            try (Connection c = DriverManager.getConnection(admin); Statement s = c.createStatement()) {
                s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
            }
        }
    }

    /** A kept PostgreSQL connection sits idle between transactions (no open transaction, no row locks), and few are kept. */
    @Test
    void keptConnectionsOnPostgresAreIdleBetweenTransactions() throws Exception {
        String admin = System.getenv("CARDSMITH_TEST_PG_URL");
        Assumptions.assumeTrue(admin != null, "CARDSMITH_TEST_PG_URL not set");
        withNewDatabase(admin, url -> {
            Database db = Database.open(url);
            assertEquals(4, db.reusedConnectionLimit());
            try (ReusedConnections scope = ReusedConnections.open()) {
                OperationJournal j = new OperationJournal(db);
                String id = j.begin("vault", "CHIP", "provision", null);
                Connection kept = db.inTransaction(c -> c);
                j.finish(id, OperationJournal.State.DONE, "ok");
                assertTrue(kept == db.inTransaction(c -> c), "one connection for the scope's transactions");
                assertEquals(1, scope.kept());
                try (Connection other = DriverManager.getConnection(url); Statement s = other.createStatement();
                     ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() "
                             + "AND pid <> pg_backend_pid() AND state <> 'idle'")) {
                    rs.next();
                    assertEquals(0, rs.getInt(1), "the kept connection is idle, not idle in transaction");
                    s.execute("SET lock_timeout = '2s'");
                    assertEquals(1, s.executeUpdate("UPDATE operation_journal SET detail = 'other' WHERE id = '" + id + "'"));
                }
            }
        });
    }

    private static int countMigrations() throws Exception {
        java.net.URL dir = PostgresPortabilityTest.class.getClassLoader().getResource("db/migration");
        assertNotNull(dir);
        try (var files = java.nio.file.Files.list(java.nio.file.Path.of(dir.toURI()))) {
            return (int) files.filter(p -> p.getFileName().toString().matches("V\\d+__.*\\.sql")).count();
        }
    }
}
