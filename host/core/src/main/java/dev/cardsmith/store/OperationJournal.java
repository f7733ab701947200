package dev.cardsmith.store;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Intent before the card is written, completion after (DESIGN: every host flow is safe to
 * re-run after a tear or crash). A PENDING row that outlives its process is what a
 * reconcile command looks for.
 */
public final class OperationJournal {

    public enum State { PENDING, DONE, FAILED }

    public record Entry(String id, String system, String subject, String operation, State state,
                        String detail, String createdAt, String updatedAt) {}

    private final Database db;

    public OperationJournal(Database db) {
        this.db = db;
    }

    /** Records intent; returns the operation id. {@code detail} must never hold a secret. */
    public String begin(String system, String subject, String operation, String detail) {
        String id = UUID.randomUUID().toString();
        String now = Instant.now().toString();
        db.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO operation_journal (id, system, subject, operation, state, detail, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?)")) {
                ps.setString(1, id);
                ps.setString(2, system);
                ps.setString(3, subject);
                ps.setString(4, operation);
                ps.setString(5, State.PENDING.name());
                ps.setString(6, detail);
                ps.setString(7, now);
                ps.setString(8, now);
                ps.executeUpdate();
            }
            return null;
        });
        return id;
    }

    public void finish(String id, State state, String detail) {
        db.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "UPDATE operation_journal SET state = ?, detail = COALESCE(?, detail), updated_at = ? WHERE id = ?")) {
                ps.setString(1, state.name());
                ps.setString(2, detail);
                ps.setString(3, Instant.now().toString());
                ps.setString(4, id);
                ps.executeUpdate();
            }
            return null;
        });
    }

    /**
     * Closes every PENDING entry of {@code subject} except {@code keep} (may be null): a re-run
     * that finished the subject's work settles what earlier, interrupted runs left open, so no
     * entry stays PENDING after a successful re-run. Returns how many were closed.
     */
    public int settle(String system, String subject, String keep, State state, String detail) {
        int n = 0;
        for (Entry e : pending(system, subject)) {
            if (e.id().equals(keep)) continue;
            finish(e.id(), state, detail);
            n++;
        }
        return n;
    }

    public List<Entry> pending(String system, String subject) {
        return db.inTransaction(c -> {
            List<Entry> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT id, system, subject, operation, state, detail, created_at, updated_at FROM operation_journal "
                            + "WHERE system = ? AND subject = ? AND state = 'PENDING' ORDER BY created_at")) {
                ps.setString(1, system);
                ps.setString(2, subject);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new Entry(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                                State.valueOf(rs.getString(5)), rs.getString(6), rs.getString(7), rs.getString(8)));
                    }
                }
            }
            return out;
        });
    }
}
