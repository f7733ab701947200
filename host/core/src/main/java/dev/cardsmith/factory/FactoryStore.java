package dev.cardsmith.factory;

import dev.cardsmith.store.Database;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The line's records (migration V7): runs, devices, one intent per device and stage. Every
 * write is one short transaction, so several stations (threads or processes) share the
 * database; writes that belong to one moment of a device (its row and identity; a stage's
 * completion and the chip ID it read; the device done and its identity used) share one commit.
 * Nothing here is secret.
 */
public final class FactoryStore {

    public enum DeviceState { PENDING, DONE, FAILED, SET_ASIDE }

    public enum IntentState { INTENT, DONE, FAILED }

    public record Run(String id, List<String> stages, int count, String identitySource, String cardSource,
                      String station, String state, String createdAt, String updatedAt) {}

    public record Device(String runId, int slot, String card, String identity, String chipId, DeviceState state, String detail) {}

    public record Intent(String runId, int slot, String stage, IntentState state, int attempts, String detail) {}

    private final Database db;

    public FactoryStore(Database db) {
        this.db = db;
    }

    public Database database() { return db; }

    static String now() { return Instant.now().toString(); }

    public void createRun(Run run) {
        db.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO factory_run (id, stages, device_count, identity_source, card_source, "
                    + "station, state, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?)")) {
                String now = now();
                ps.setString(1, run.id());
                ps.setString(2, String.join(",", run.stages()));
                ps.setInt(3, run.count());
                ps.setString(4, run.identitySource());
                ps.setString(5, run.cardSource());
                ps.setString(6, run.station());
                ps.setString(7, run.state());
                ps.setString(8, now);
                ps.setString(9, now);
                ps.executeUpdate();
            }
            return null;
        });
    }

    public void runState(String runId, String state) {
        update("UPDATE factory_run SET state = ?, updated_at = ? WHERE id = ?", state, now(), runId);
    }

    public Optional<Run> run(String id) {
        List<Run> r = runs("WHERE id = ?", id);
        return r.isEmpty() ? Optional.empty() : Optional.of(r.get(0));
    }

    /** The newest run that is not finished (state RUNNING), for {@code --resume} without an id. */
    public Optional<Run> latestUnfinished() {
        List<Run> r = runs("WHERE state = 'RUNNING' ORDER BY created_at DESC", (Object[]) new String[0]);
        return r.isEmpty() ? Optional.empty() : Optional.of(r.get(0));
    }

    public List<Run> runs(int limit) {
        List<Run> all = runs("ORDER BY created_at DESC", (Object[]) new String[0]);
        return all.subList(0, Math.min(limit, all.size()));
    }

    private List<Run> runs(String where, Object... args) {
        return db.inTransaction(c -> {
            List<Run> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT id, stages, device_count, identity_source, card_source, station, state, "
                    + "created_at, updated_at FROM factory_run " + where)) {
                bind(ps, args);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new Run(rs.getString(1), List.of(rs.getString(2).split(",")), rs.getInt(3), rs.getString(4),
                                rs.getString(5), rs.getString(6), rs.getString(7), rs.getString(8), rs.getString(9)));
                    }
                }
            }
            return out;
        });
    }

    /**
     * The device row of a slot with its identity (may be null), written before any stage touches
     * the card, in one commit. Idempotent: an existing row only gets the identity it lacks.
     */
    public void addDevice(String runId, int slot, String card, String identity) {
        db.inTransaction(c -> {
            Optional<Device> existing = device(c, runId, slot);
            if (existing.isPresent()) {
                if (identity != null && existing.get().identity() == null) {
                    update(c, "UPDATE factory_device SET identity = ?, updated_at = ? WHERE run_id = ? AND slot = ?", identity, now(), runId, slot);
                }
                return null;
            }
            update(c, "INSERT INTO factory_device (run_id, slot, card, identity, state, updated_at) VALUES (?,?,?,?,?,?)",
                    runId, slot, card, identity, DeviceState.PENDING.name(), now());
            return null;
        });
    }

    public void deviceIdentity(String runId, int slot, String identity) {
        update("UPDATE factory_device SET identity = ?, updated_at = ? WHERE run_id = ? AND slot = ?", identity, now(), runId, slot);
    }

    public void deviceState(String runId, int slot, DeviceState state, String detail) {
        update("UPDATE factory_device SET state = ?, detail = ?, updated_at = ? WHERE run_id = ? AND slot = ?",
                state.name(), clip(detail), now(), runId, slot);
    }

    /** The device is done, and its identity (when it has one) is used for good: one commit. */
    public void deviceDone(String runId, int slot, String identity) {
        db.inTransaction(c -> {
            update(c, "UPDATE factory_device SET state = ?, detail = NULL, updated_at = ? WHERE run_id = ? AND slot = ?",
                    DeviceState.DONE.name(), now(), runId, slot);
            if (identity != null) IdentityPool.markUsed(c, identity, runId, slot);
            return null;
        });
    }

    public Optional<Device> device(String runId, int slot) {
        return db.inTransaction(c -> device(c, runId, slot));
    }

    private static Optional<Device> device(Connection c, String runId, int slot) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT run_id, slot, card, identity, chip_id, state, detail FROM factory_device "
                + "WHERE run_id = ? AND slot = ?")) {
            ps.setString(1, runId);
            ps.setInt(2, slot);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(device(rs)) : Optional.empty();
            }
        }
    }

    private static Device device(ResultSet rs) throws SQLException {
        return new Device(rs.getString(1), rs.getInt(2), rs.getString(3), rs.getString(4), rs.getString(5),
                DeviceState.valueOf(rs.getString(6)), rs.getString(7));
    }

    public List<Device> devices(String runId) {
        return db.inTransaction(c -> {
            List<Device> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT run_id, slot, card, identity, chip_id, state, detail FROM factory_device "
                    + "WHERE run_id = ? ORDER BY slot")) {
                ps.setString(1, runId);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) out.add(device(rs));
                }
            }
            return out;
        });
    }

    /** Device counts by state for a run. */
    public Map<DeviceState, Integer> deviceCounts(String runId) {
        Map<DeviceState, Integer> out = new LinkedHashMap<>();
        for (DeviceState s : DeviceState.values()) out.put(s, 0);
        for (Device d : devices(runId)) out.merge(d.state(), 1, Integer::sum);
        return out;
    }

    /** Intent before the stage writes the card: INTENT, attempts + 1. */
    public void intend(String runId, int slot, String stage) {
        db.inTransaction(c -> {
            intend(c, intent(c, runId, slot, stage), runId, slot, stage);
            return null;
        });
    }

    /**
     * {@link #intend} unless the stage is DONE already (a resumed device): false then, and nothing
     * is written. The check and the intent are one transaction.
     */
    public boolean intendUnlessDone(String runId, int slot, String stage) {
        return db.inTransaction(c -> {
            Optional<Intent> existing = intent(c, runId, slot, stage);
            if (existing.isPresent() && existing.get().state() == IntentState.DONE) return false;
            intend(c, existing, runId, slot, stage);
            return true;
        });
    }

    private static void intend(Connection c, Optional<Intent> existing, String runId, int slot, String stage) throws SQLException {
        String now = now();
        if (existing.isPresent()) {
            update(c, "UPDATE factory_intent SET state = ?, attempts = attempts + 1, updated_at = ? WHERE run_id = ? AND slot = ? AND stage = ?",
                    IntentState.INTENT.name(), now, runId, slot, stage);
        } else {
            update(c, "INSERT INTO factory_intent (run_id, slot, stage, state, attempts, created_at, updated_at) VALUES (?,?,?,?,?,?,?)",
                    runId, slot, stage, IntentState.INTENT.name(), 1, now, now);
        }
    }

    public void complete(String runId, int slot, String stage, IntentState state, String detail) {
        db.inTransaction(c -> complete(c, runId, slot, stage, state, detail));
    }

    /** The stage is DONE, and the device gets the chip ID the stage read ({@code chipId} may be null): one commit. */
    public void completeDone(String runId, int slot, String stage, String detail, String chipId) {
        db.inTransaction(c -> {
            complete(c, runId, slot, stage, IntentState.DONE, detail);
            if (chipId != null) update(c, "UPDATE factory_device SET chip_id = ?, updated_at = ? WHERE run_id = ? AND slot = ?", chipId, now(), runId, slot);
            return null;
        });
    }

    private static int complete(Connection c, String runId, int slot, String stage, IntentState state, String detail) throws SQLException {
        return update(c, "UPDATE factory_intent SET state = ?, detail = ?, updated_at = ? WHERE run_id = ? AND slot = ? AND stage = ?",
                state.name(), clip(detail), now(), runId, slot, stage);
    }

    public Optional<Intent> intent(String runId, int slot, String stage) {
        return db.inTransaction(c -> intent(c, runId, slot, stage));
    }

    private static Optional<Intent> intent(Connection c, String runId, int slot, String stage) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT run_id, slot, stage, state, attempts, detail FROM factory_intent "
                + "WHERE run_id = ? AND slot = ? AND stage = ?")) {
            bind(ps, runId, slot, stage);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(intent(rs)) : Optional.empty();
            }
        }
    }

    private static Intent intent(ResultSet rs) throws SQLException {
        return new Intent(rs.getString(1), rs.getInt(2), rs.getString(3), IntentState.valueOf(rs.getString(4)), rs.getInt(5), rs.getString(6));
    }

    /** Intents that are not DONE (open: INTENT, or FAILED and not yet retried), optionally of one run. */
    public List<Intent> openIntents(String runId) {
        return db.inTransaction(c -> {
            List<Intent> out = new ArrayList<>();
            String sql = "SELECT run_id, slot, stage, state, attempts, detail FROM factory_intent WHERE state <> 'DONE'"
                    + (runId == null ? "" : " AND run_id = ?") + " ORDER BY run_id, slot, stage";
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                if (runId != null) ps.setString(1, runId);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) out.add(intent(rs));
                }
            }
            return out;
        });
    }

    private void update(String sql, Object... args) {
        update(db, sql, args);
    }

    /** One statement in its own transaction; the number of rows it changed. */
    static int update(Database db, String sql, Object... args) {
        return db.inTransaction(c -> update(c, sql, args));
    }

    /** One statement in the caller's transaction; the number of rows it changed. */
    static int update(Connection c, String sql, Object... args) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            bind(ps, args);
            return ps.executeUpdate();
        }
    }

    /** The first column of the first row as text, empty when there is no row or it is NULL. */
    static Optional<String> first(Database db, String sql, Object... args) {
        return db.inTransaction(c -> first(c, sql, args));
    }

    /** {@link #first(Database, String, Object...)} in the caller's transaction. */
    static Optional<String> first(Connection c, String sql, Object... args) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setMaxRows(1);
            bind(ps, args);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.ofNullable(rs.getString(1)) : Optional.empty();
            }
        }
    }

    static void bind(PreparedStatement ps, Object... args) throws SQLException {
        for (int i = 0; i < args.length; i++) {
            Object a = args[i];
            if (a instanceof Integer n) ps.setInt(i + 1, n);
            else if (a instanceof Long n) ps.setLong(i + 1, n);
            else ps.setString(i + 1, (String) a);
        }
    }

    static String clip(String s) {
        return s == null || s.length() <= 1000 ? s : s.substring(0, 1000);
    }
}
