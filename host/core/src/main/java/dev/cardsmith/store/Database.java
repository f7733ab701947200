package dev.cardsmith.store;

import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * A JDBC database with cardsmith's schema, migrated by Flyway from
 * {@code classpath:db/migration}. SQLite is the embedded default; every migration is written
 * in the SQL subset SQLite and PostgreSQL share (no AUTOINCREMENT/SERIAL, BLOB columns as
 * bytes via setBytes, TEXT timestamps in ISO-8601 UTC) so the same files run on both.
 */
public final class Database {

    /**
     * Which migration set a database carries. A database may carry both (each has its own
     * Flyway history table); the permanent public database carries {@link #PUBLIC} only.
     */
    public enum Schema {
        /** Every system's tables: {@code classpath:db/migration}, history {@code flyway_schema_history}. */
        ALL("db/migration", "flyway_schema_history"),
        /**
         * Public data only (the vault's permanent public database: device records and identity
         * bindings): {@code classpath:db/public}, history {@code flyway_public_history}. Its DDL
         * is idempotent, so it also applies to a database that already carries {@link #ALL}.
         */
        PUBLIC("db/public", "flyway_public_history");

        final String location;
        final String historyTable;

        Schema(String location, String historyTable) {
            this.location = location;
            this.historyTable = historyTable;
        }
    }

    /**
     * How long a SQLite connection waits for another writer (in this process or another) before
     * it gives up with SQLITE_BUSY. Writes are short (one device row), so a wait this long only
     * happens when something is stuck.
     */
    public static final int SQLITE_BUSY_TIMEOUT_MS = 30_000;

    private final String url;
    private final Path sqliteFile;
    /** Connections kept open by {@link ReusedConnections} scopes (all threads). */
    private final java.util.concurrent.atomic.AtomicInteger reused = new java.util.concurrent.atomic.AtomicInteger();

    private Database(String url, Path sqliteFile) {
        this.url = url;
        this.sqliteFile = sqliteFile;
    }

    /** Opens the database and applies pending migrations of every system ({@link Schema#ALL}). */
    public static Database open(String jdbcUrl) {
        return open(jdbcUrl, Schema.ALL);
    }

    /** Opens the database and applies the pending migrations of {@code schema} only. */
    public static Database open(String jdbcUrl, Schema schema) {
        if (jdbcUrl == null || !jdbcUrl.startsWith("jdbc:")) {
            throw new StoreException("not a JDBC URL: " + jdbcUrl);
        }
        Path sqliteFile = SqliteFile.of(jdbcUrl);
        if (sqliteFile != null) {
            Path parent = sqliteFile.toAbsolutePath().getParent();
            try {
                if (parent != null) Files.createDirectories(parent);
            } catch (java.io.IOException e) {
                throw new StoreException("cannot create database directory " + parent + ": " + e.getMessage());
            }
        }
        Database db = new Database(jdbcUrl, sqliteFile);
        db.migrate(schema);
        if (sqliteFile != null) SqliteFile.shareOrRefuse(db);
        return db;
    }

    /** Whether this is a SQLite database (one file shared by the processes of one machine). */
    public boolean sqlite() {
        return url.startsWith("jdbc:sqlite:");
    }

    /** The SQLite file, or null (PostgreSQL, in-memory). */
    public Path sqliteFile() {
        return sqliteFile;
    }

    /** Opens an existing database without creating it (read-only consumers such as recovery). */
    public static Database openExisting(String jdbcUrl) {
        return openExisting(jdbcUrl, Schema.ALL);
    }

    /** {@link #openExisting(String)} with the migrations of {@code schema} only. */
    public static Database openExisting(String jdbcUrl, Schema schema) {
        if (jdbcUrl != null && jdbcUrl.startsWith("jdbc:sqlite:")) {
            String file = jdbcUrl.substring("jdbc:sqlite:".length());
            int q = file.indexOf('?');
            if (q >= 0) file = file.substring(0, q);
            if (!file.isEmpty() && !file.startsWith(":memory:") && !Files.exists(Path.of(file))) {
                throw new StoreException("database not found: " + file);
            }
        }
        return open(jdbcUrl, schema);
    }

    public String url() {
        return url;
    }

    /** Applies the pending migrations of {@code schema} (a no-op when it is up to date). */
    public void migrate(Schema schema) {
        if (upToDate(schema)) return; // Flyway costs about a second of start-up; run it only when the schema is behind
        // several processes (or threads) may open one new SQLite file at once: one migrates, the others wait
        if (sqliteFile != null) SqliteFile.migrating(sqliteFile, () -> migrateNow(schema));
        else migrateNow(schema);
    }

    private void migrateNow(Schema schema) {
        if (upToDate(schema)) return; // another process did it while this one waited
        try {
            Flyway.configure()
                    .dataSource(url, null, null)
                    .locations("classpath:" + schema.location)
                    .table(schema.historyTable)
                    // a second schema in a database that already has tables (PUBLIC next to ALL)
                    .baselineOnMigrate(schema != Schema.ALL)
                    .baselineVersion("0")
                    .loggers("slf4j")
                    .load()
                    .migrate();
        } catch (FlywayException e) {
            throw new StoreException("cannot migrate database " + redact(url) + ": " + firstLine(e.getMessage()), e);
        }
    }

    /**
     * Whether the database already has every migration on the class path applied: the set of
     * versions in {@code db/migration} equals the set of successful versions in Flyway's
     * history. Anything else (no history table, a missing or failed version, a listing that
     * cannot be read) lets Flyway decide.
     */
    private boolean upToDate(Schema schema) {
        java.util.Set<String> available = MigrationIndex.versions(schema.location);
        if (available.isEmpty()) return false;
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement();
             java.sql.ResultSet r = s.executeQuery("SELECT version FROM " + schema.historyTable
                     + " WHERE success = TRUE AND version IS NOT NULL AND type <> 'BASELINE'")) {
            java.util.Set<String> applied = new java.util.HashSet<>();
            while (r.next()) applied.add(r.getString(1));
            return applied.equals(available);
        } catch (SQLException | RuntimeException e) {
            return false;
        }
    }

    /**
     * A new connection; the caller closes it. SQLite connections enforce foreign keys, wait up to
     * {@link #SQLITE_BUSY_TIMEOUT_MS} for another writer, run in WAL mode (readers never block
     * the writer), and start every transaction IMMEDIATE: a deferred transaction that reads and
     * then writes cannot wait for the write lock (SQLite answers SQLITE_BUSY at once to avoid a
     * deadlock), which is how eight parallel provisions lost their database row after STORE PACKAGE.
     */
    public Connection connect() {
        try {
            if (sqlite()) return DriverManager.getConnection(url, SqliteFile.connectionProperties(url));
            return DriverManager.getConnection(url);
        } catch (SQLException e) {
            throw new StoreException("cannot open database " + redact(url) + ": " + firstLine(e.getMessage()), e);
        }
    }

    /**
     * Runs {@code work} in one transaction; commits on success, rolls back on any exception. Inside
     * a {@link ReusedConnections} scope the thread's kept connection runs it (a new one after a
     * failure); elsewhere a new connection is opened and closed.
     */
    public <T> T inTransaction(SqlWork<T> work) {
        Connection kept = ReusedConnections.take(this);
        if (kept != null) {
            boolean committed = false;
            try {
                T result = transaction(kept, work);
                committed = true;
                return result;
            } finally {
                ReusedConnections.give(this, kept, committed);
            }
        }
        try (Connection c = connect()) {
            return transaction(c, work);
        } catch (SQLException e) {
            throw new StoreException("database error: " + firstLine(e.getMessage()), e);
        }
    }

    private static <T> T transaction(Connection c, SqlWork<T> work) {
        try {
            c.setAutoCommit(false);
            try {
                T result = work.run(c);
                // commits (switching auto-commit on commits the open transaction, JDBC and both drivers);
                // unlike commit(), sqlite-jdbc then does not BEGIN IMMEDIATE the next transaction at once,
                // which would hold the write lock while the connection sits idle (or wait for it after the commit)
                c.setAutoCommit(true);
                return result;
            } catch (SQLException | RuntimeException e) {
                try {
                    c.rollback();
                } catch (SQLException r) {
                    e.addSuppressed(r);
                }
                if (e instanceof RuntimeException re) throw re;
                throw new StoreException("database error: " + firstLine(e.getMessage()), e);
            }
        } catch (SQLException e) {
            throw new StoreException("database error: " + firstLine(e.getMessage()), e);
        }
    }

    /**
     * How many connections to this database {@link ReusedConnections} scopes may keep open
     * together: SQLite 64 (file handles of this process only), a server database 4 (each station
     * holds them while it runs, and the server's slots are shared by every station).
     */
    public int reusedConnectionLimit() {
        return sqlite() ? 64 : 4;
    }

    boolean reserveReusedConnection() {
        while (true) {
            int n = reused.get();
            if (n >= reusedConnectionLimit()) return false;
            if (reused.compareAndSet(n, n + 1)) return true;
        }
    }

    void releaseReusedConnection() {
        reused.decrementAndGet();
    }

    @FunctionalInterface
    public interface SqlWork<T> {
        T run(Connection c) throws SQLException;
    }

    static String redact(String url) {
        return url.replaceAll("(?i)(password=)[^&;]*", "$1***");
    }

    static String firstLine(String s) {
        if (s == null) return "";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
