package dev.cardsmith.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReusedConnectionsTest {

    private static Database db(Path dir) {
        return Database.open("jdbc:sqlite:" + dir.resolve("r.db"));
    }

    private static Connection used(Database db) {
        return db.inTransaction(c -> c);
    }

    private static void insert(Database db, String id) {
        db.inTransaction(c -> {
            try (Statement s = c.createStatement()) {
                s.executeUpdate("INSERT INTO operation_journal VALUES ('" + id + "','s','sub','op','PENDING',NULL,'t','t')");
            }
            return null;
        });
    }

    @Test
    void aScopeReusesOneConnectionAndClosesItAtTheEnd(@TempDir Path dir) throws SQLException {
        Database db = db(dir);
        assertNotSame(used(db), used(db), "outside a scope every transaction has its own connection");
        Connection first;
        try (ReusedConnections scope = ReusedConnections.open()) {
            first = used(db);
            assertSame(first, used(db));
            insert(db, "a");
            assertSame(first, used(db));
            assertEquals(1, scope.kept());
            try (ReusedConnections inner = ReusedConnections.open()) {
                assertSame(scope, inner, "a scope opened inside one joins it");
            }
            assertFalse(first.isClosed(), "only the outermost close ends the scope");
        }
        assertTrue(first.isClosed());
        assertNotSame(first, used(db));
    }

    @Test
    void aConnectionWhoseTransactionFailedIsNotReused(@TempDir Path dir) throws SQLException {
        Database db = db(dir);
        try (ReusedConnections scope = ReusedConnections.open()) {
            insert(db, "committed");
            Connection first = used(db);
            assertThrows(IllegalStateException.class, () -> db.inTransaction(c -> {
                try (Statement s = c.createStatement()) {
                    s.executeUpdate("INSERT INTO operation_journal VALUES ('x','s','sub','op','PENDING',NULL,'t','t')");
                }
                throw new IllegalStateException("boom");
            }));
            assertTrue(first.isClosed(), "the connection of a failed transaction is closed");
            Connection second = used(db);
            assertNotSame(first, second);
            // a transaction whose statement fails (duplicate key) on the kept connection: also not kept
            assertThrows(StoreException.class, () -> insert(db, "committed"));
            assertTrue(second.isClosed());
            // a connection that broke in the middle of the work (closed under it)
            Connection third = used(db);
            assertThrows(StoreException.class, () -> db.inTransaction(c -> {
                c.close();
                return null;
            }));
            assertNotSame(third, used(db));
            assertEquals(1, scope.kept());
        }
        List<OperationJournal.Entry> rows = new OperationJournal(db).pending("s", "sub");
        assertEquals(List.of("committed"), rows.stream().map(OperationJournal.Entry::id).toList(), "the failed insert was rolled back");
    }

    /** A transaction started inside another on the same database (on SQLite it would wait for the outer one's lock) is not given the busy connection. */
    @Test
    void theKeptConnectionIsNotHandedOutWhileItsTransactionRuns(@TempDir Path dir) {
        Database db = db(dir);
        Database other = Database.open("jdbc:sqlite:" + dir.resolve("other.db"));
        try (ReusedConnections ignored = ReusedConnections.open()) {
            Connection outer = used(db);
            Connection otherKept = used(other);
            db.inTransaction(c -> {
                assertSame(outer, c);
                assertNull(ReusedConnections.take(db), "busy: a nested transaction opens its own");
                assertSame(otherKept, used(other), "another database's kept connection is free");
                return null;
            });
            assertSame(outer, used(db));
        }
    }

    /** sqlite-jdbc's commit() begins the next IMMEDIATE transaction at once: a kept connection must not sit on the write lock. */
    @Test
    void anIdleKeptConnectionHoldsNoLock(@TempDir Path dir) throws Exception {
        Database db = db(dir);
        try (ReusedConnections ignored = ReusedConnections.open()) {
            insert(db, "kept");
            Properties p = new Properties();
            p.setProperty("busy_timeout", "200");
            try (Connection other = DriverManager.getConnection(db.url(), p); Statement s = other.createStatement()) {
                other.setAutoCommit(false);
                s.executeUpdate("INSERT INTO operation_journal VALUES ('other','s','sub','op','PENDING',NULL,'t','t')");
                other.commit();
            }
            insert(db, "kept again");
        }
        assertEquals(3, new OperationJournal(db).pending("s", "sub").size());
    }

    @Test
    void aConnectionIsNeverUsedByTwoThreadsAtOnce(@TempDir Path dir) throws Exception {
        Database db = db(dir);
        int threads = 6;
        Map<Connection, Thread> inUse = new ConcurrentHashMap<>();
        Map<Connection, Thread> owner = new ConcurrentHashMap<>();
        AtomicInteger violations = new AtomicInteger();
        List<Thread> ts = new ArrayList<>();
        List<Throwable> errors = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int me = t;
            Thread th = new Thread(() -> {
                try (ReusedConnections ignored = ReusedConnections.open()) {
                    for (int i = 0; i < 40; i++) {
                        int n = i;
                        db.inTransaction(c -> {
                            if (inUse.putIfAbsent(c, Thread.currentThread()) != null) violations.incrementAndGet();
                            Thread first = owner.putIfAbsent(c, Thread.currentThread());
                            if (first != null && first != Thread.currentThread()) violations.incrementAndGet();
                            try (Statement s = c.createStatement()) {
                                s.executeUpdate("INSERT INTO operation_journal VALUES ('t" + me + "-" + n + "','s','sub','op','PENDING',NULL,'t','t')");
                            }
                            inUse.remove(c);
                            return null;
                        });
                    }
                } catch (Throwable e) {
                    synchronized (errors) {
                        errors.add(e);
                    }
                }
            });
            ts.add(th);
            th.start();
        }
        for (Thread th : ts) th.join(TimeUnit.MINUTES.toMillis(2));
        assertTrue(errors.isEmpty(), errors.toString());
        assertEquals(0, violations.get());
        assertEquals(threads, Set.copyOf(owner.keySet()).size(), "one kept connection per thread");
        assertEquals(threads * 40, new OperationJournal(db).pending("s", "sub").size());
    }

    @Test
    void aScopeIsClosedOnlyByItsThreadAndDoesNotReachOtherThreads(@TempDir Path dir) throws Exception {
        Database db = db(dir);
        try (ReusedConnections scope = ReusedConnections.open()) {
            Connection mine = used(db);
            AtomicReference<Throwable> closeError = new AtomicReference<>();
            AtomicReference<Connection> theirs = new AtomicReference<>();
            Thread other = new Thread(() -> {
                theirs.set(used(db)); // no scope on this thread: its own connection
                try {
                    scope.close();
                } catch (Throwable e) {
                    closeError.set(e);
                }
            });
            other.start();
            other.join();
            assertTrue(closeError.get() instanceof IllegalStateException);
            assertNotSame(mine, theirs.get());
            assertTrue(theirs.get().isClosed());
            assertSame(mine, used(db));
        }
    }

    @Test
    void keptConnectionsPerDatabaseAreLimited(@TempDir Path dir) throws Exception {
        Database db = db(dir);
        int limit = db.reusedConnectionLimit();
        int threads = limit + 3;
        CountDownLatch used = new CountDownLatch(threads);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger kept = new AtomicInteger();
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread th = new Thread(() -> {
                try (ReusedConnections scope = ReusedConnections.open()) {
                    used(db);
                    kept.addAndGet(scope.kept());
                    used.countDown();
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            ts.add(th);
            th.start();
        }
        assertTrue(used.await(2, TimeUnit.MINUTES));
        assertEquals(limit, kept.get());
        release.countDown();
        for (Thread th : ts) th.join();
        try (ReusedConnections scope = ReusedConnections.open()) {
            used(db);
            assertEquals(1, scope.kept(), "closed scopes gave their places back");
        }
    }
}
