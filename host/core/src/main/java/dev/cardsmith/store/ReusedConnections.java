package dev.cardsmith.store;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * A scope in which one thread's {@link Database#inTransaction transactions} reuse one connection
 * per database instead of opening a new one each time (a worker of the factory line runs about
 * twenty short transactions per device). Opening a SQLite connection costs about 0.6 ms of CPU,
 * and closing the last connection to a WAL file checkpoints the WAL into the database file and
 * deletes it, so a transaction on a fresh connection cost 2.5 ms of CPU and 12-15 ms of wall
 * time against 0.2 ms and 1-2 ms on a kept one.
 * <p>
 * What a transaction promises does not change: it still commits (with the same pragmas,
 * {@code synchronous=FULL} included) before {@code inTransaction} returns. The rules that keep
 * reuse safe:
 * <ul>
 *   <li>a kept connection belongs to the thread that opened the scope and is handed to no other
 *       thread; the scope can only be closed by that thread;</li>
 *   <li>a connection is kept only after a transaction that committed and left it idle (auto-commit
 *       mode, no transaction open, so it holds no lock between transactions); after any failure
 *       (the work threw, the commit or the rollback failed) it is closed, and the next transaction
 *       opens a new one;</li>
 *   <li>the work closes every statement and result set it opens (every caller does, with
 *       try-with-resources): one left open on a kept connection would hold its read snapshot;</li>
 *   <li>a transaction that starts while this thread's connection is already in a transaction
 *       (nested {@code inTransaction}) gets a connection of its own, as before;</li>
 *   <li>at most {@link Database#reusedConnectionLimit()} connections per database are kept by all
 *       scopes together (PostgreSQL: a few per station, so eight stations stay far below the
 *       server's connection limit); beyond it a thread opens a connection per transaction;</li>
 *   <li>closing the scope closes its connections. Outside a scope nothing is kept.</li>
 * </ul>
 */
public final class ReusedConnections implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ReusedConnections.class);
    private static final ThreadLocal<ReusedConnections> CURRENT = new ThreadLocal<>();

    private final Thread owner = Thread.currentThread();
    private final Map<Database, Held> held = new IdentityHashMap<>();
    /** Scopes opened on this thread inside this one: they share it, and only the outermost close ends it. */
    private int depth;
    private boolean closed;

    private static final class Held {
        final Connection connection;
        boolean busy;

        Held(Connection connection) {
            this.connection = connection;
        }
    }

    private ReusedConnections() {}

    /** Opens a scope on this thread (or joins the one already open on it). Close it on the same thread. */
    public static ReusedConnections open() {
        ReusedConnections current = CURRENT.get();
        if (current != null) {
            current.depth++;
            return current;
        }
        ReusedConnections scope = new ReusedConnections();
        CURRENT.set(scope);
        return scope;
    }

    /**
     * The connection this thread keeps for {@code db}, marked busy; null when there is no scope,
     * the kept one is busy (a nested transaction) or the database's limit is reached.
     */
    static Connection take(Database db) {
        ReusedConnections scope = CURRENT.get();
        if (scope == null) return null;
        Held h = scope.held.get(db);
        if (h != null) {
            if (h.busy) return null;
            h.busy = true;
            return h.connection;
        }
        if (!db.reserveReusedConnection()) return null;
        Connection c;
        try {
            c = db.connect();
        } catch (RuntimeException e) {
            db.releaseReusedConnection();
            return null; // the caller opens its own connection and reports the error from there
        }
        h = new Held(c);
        h.busy = true;
        scope.held.put(db, h);
        return c;
    }

    /**
     * Gives back what {@link #take} returned. {@code committed}: the transaction committed; the
     * connection is kept only then, and only when it is still open and back in auto-commit mode
     * (no transaction open: an idle kept connection holds no lock).
     */
    static void give(Database db, Connection c, boolean committed) {
        ReusedConnections scope = CURRENT.get();
        Held h = scope == null ? null : scope.held.get(db);
        if (h == null || h.connection != c) throw new IllegalStateException("connection given back outside its scope or thread");
        h.busy = false;
        if (committed && reusable(c)) return;
        scope.held.remove(db);
        closeQuietly(db, c);
    }

    private static boolean reusable(Connection c) {
        try {
            return !c.isClosed() && c.getAutoCommit(); // committed: no transaction open, no lock held
        } catch (SQLException e) {
            return false;
        }
    }

    /** How many connections this scope keeps now (for tests). */
    int kept() {
        return held.size();
    }

    /** Closes the connections kept by this scope (the outermost close on the owning thread). */
    @Override
    public void close() {
        if (Thread.currentThread() != owner) throw new IllegalStateException("a connection scope is closed by the thread that opened it");
        if (closed) return;
        if (depth > 0) {
            depth--;
            return;
        }
        closed = true;
        CURRENT.remove();
        for (Map.Entry<Database, Held> e : held.entrySet()) closeQuietly(e.getKey(), e.getValue().connection);
        held.clear();
    }

    private static void closeQuietly(Database db, Connection c) {
        db.releaseReusedConnection();
        try {
            c.close();
        } catch (SQLException e) {
            LOG.debug("closing a kept connection to {}: {}", Database.redact(db.url()), Database.firstLine(e.getMessage()));
        }
    }
}
