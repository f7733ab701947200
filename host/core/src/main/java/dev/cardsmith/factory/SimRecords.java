package dev.cardsmith.factory;

import dev.cardsmith.ota.SimIssuance;
import dev.cardsmith.store.Database;

import java.util.Optional;

/** The sim stage's record of one device (table {@code factory_sim}, V12): the SIM ID its OTA key set is registered under. */
public final class SimRecords implements SimIssuance.Records {

    private final Database db;
    private final String runId;
    private final int slot;

    public SimRecords(Database db, String runId, int slot) {
        this.db = db;
        this.runId = runId;
        this.slot = slot;
    }

    @Override
    public Optional<SimIssuance.Record> find() {
        return row(db, runId, slot).map(r -> new SimIssuance.Record(r[0], r[1]));
    }

    @Override
    public void registered(String simId) {
        FactoryStore.update(db, "INSERT INTO factory_sim (run_id, slot, sim_id, state, updated_at) VALUES (?,?,?,'REGISTERED',?)",
                runId, slot, simId, FactoryStore.now());
    }

    @Override
    public void done() {
        state("DONE", null);
    }

    @Override
    public void setAside(String reason) {
        state("SET_ASIDE", reason);
    }

    private void state(String state, String detail) {
        if (FactoryStore.update(db, "UPDATE factory_sim SET state = ?, detail = ?, updated_at = ? WHERE run_id = ? AND slot = ?",
                state, FactoryStore.clip(detail), FactoryStore.now(), runId, slot) != 1) {
            throw new FactoryException(FactoryException.Kind.FAILURE, "no sim record for run " + runId + " slot " + slot);
        }
    }

    /** {sim_id, state, detail} of one device, if it has a row. */
    public static Optional<String[]> row(Database db, String runId, int slot) {
        return db.inTransaction(c -> {
            try (var ps = c.prepareStatement("SELECT sim_id, state, detail FROM factory_sim WHERE run_id = ? AND slot = ?")) {
                FactoryStore.bind(ps, runId, slot);
                try (var rs = ps.executeQuery()) {
                    if (!rs.next()) return Optional.<String[]>empty();
                    return Optional.of(new String[] {rs.getString(1), rs.getString(2), rs.getString(3)});
                }
            }
        });
    }
}
