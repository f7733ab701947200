package dev.cardsmith.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * What one SQLite file needs so that several threads and several processes can share it: WAL
 * (readers never block the one writer), a busy timeout, IMMEDIATE transactions (a deferred
 * read-then-write transaction gets SQLITE_BUSY at once instead of waiting), one migrator at a
 * time, and, where WAL is not available (a file system without shared memory, or a URL that
 * asks for another journal mode), one process at a time: a second one is refused when it opens
 * the database, before it touches a card.
 */
final class SqliteFile {
    private SqliteFile() {}

    private static final Object MIGRATE = new Object();
    /** Files this process holds for itself (no WAL): path -> lock, kept until the JVM exits. */
    private static final Map<Path, FileLock> EXCLUSIVE = new HashMap<>();

    /** The file of a {@code jdbc:sqlite:} URL, or null (not SQLite, in-memory, URI form). */
    static Path of(String url) {
        if (url == null || !url.startsWith("jdbc:sqlite:")) return null;
        String file = url.substring("jdbc:sqlite:".length());
        int q = file.indexOf('?');
        if (q >= 0) file = file.substring(0, q);
        if (file.isEmpty() || file.startsWith(":memory:") || file.startsWith("file:")) return null;
        return Path.of(file).toAbsolutePath().normalize();
    }

    static Properties connectionProperties(String url) {
        Properties p = new Properties();
        p.setProperty("foreign_keys", "true");
        p.setProperty("busy_timeout", String.valueOf(Database.SQLITE_BUSY_TIMEOUT_MS));
        p.setProperty("transaction_mode", "IMMEDIATE");
        if (!url.toLowerCase(Locale.ROOT).contains("journal_mode=")) p.setProperty("journal_mode", "WAL");
        // FULL: a commit is on disk (WAL fsync) before it returns, so an intent survives power loss
        if (!url.toLowerCase(Locale.ROOT).contains("synchronous=")) p.setProperty("synchronous", "FULL");
        return p;
    }

    /** Runs {@code migrate} holding {@code FILE-migrate.lock} (other processes) and a monitor (this one). */
    static void migrating(Path file, Runnable migrate) {
        synchronized (MIGRATE) {
            Path lockFile = file.resolveSibling(file.getFileName() + "-migrate.lock");
            try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                 FileLock ignored = ch.lock()) {
                migrate.run();
            } catch (IOException e) {
                throw new StoreException("cannot lock " + lockFile + " for the migration: " + e.getMessage(), e);
            }
        }
    }

    /** The journal mode the database actually runs in ("wal", "delete", ...). */
    static String journalMode(Database db) {
        try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet r = s.executeQuery("PRAGMA journal_mode")) {
            return r.next() ? r.getString(1).toLowerCase(Locale.ROOT) : "unknown";
        } catch (SQLException e) {
            throw new StoreException("cannot read the journal mode of " + db.sqliteFile() + ": " + Database.firstLine(e.getMessage()), e);
        }
    }

    /**
     * In WAL mode any number of processes share the file. Otherwise this process takes
     * {@code FILE-station.lock} for as long as it runs, and a second process is refused.
     */
    static void shareOrRefuse(Database db) {
        String mode = journalMode(db);
        if (mode.equals("wal")) return;
        Path file = db.sqliteFile();
        synchronized (EXCLUSIVE) {
            if (EXCLUSIVE.containsKey(file)) return;
            Path lockFile = file.resolveSibling(file.getFileName() + "-station.lock");
            try {
                FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                FileLock lock;
                try {
                    lock = ch.tryLock();
                } catch (OverlappingFileLockException e) {
                    lock = null;
                }
                if (lock == null) {
                    ch.close();
                    throw new StoreException("database " + file + " is in use by another cardsmith process, and in journal mode '"
                            + mode + "' one SQLite file serves one process at a time: wait for it, use WAL (the default), "
                            + "or give the stations a shared PostgreSQL database (--db jdbc:postgresql://...)");
                }
                EXCLUSIVE.put(file, lock);
            } catch (IOException e) {
                throw new StoreException("cannot lock " + lockFile + ": " + e.getMessage(), e);
            }
        }
    }
}
