package dev.cardsmith.factory;

import dev.cardsmith.store.Database;
import dev.cardsmith.store.ReusedConnections;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The line's merged writes: each commits all of its rows or none, and a DONE stage is never intended again. */
class FactoryStoreTest {

    @Test
    void mergedWritesOfOneDevice(@TempDir Path dir) {
        Database db = Database.open("jdbc:sqlite:" + dir.resolve("f.db"));
        FactoryStore store = new FactoryStore(db);
        IdentityPool pool = IdentityPool.imeiRange(db, null, "00102000000000-00102000000009");
        store.createRun(new FactoryStore.Run("run-1", List.of("vault", "psd"), 2, pool.name(), "test", "t", "RUNNING", null, null));
        try (ReusedConnections ignored = ReusedConnections.open()) {
            String id = pool.allocate("run-1", 0);
            assertEquals(id, pool.allocate("run-1", 0), "a resumed slot keeps its identity");
            assertNotEquals(id, pool.allocate("run-1", 1));

            store.addDevice("run-1", 0, "card-0", id);
            store.addDevice("run-1", 0, "card-0", "other"); // idempotent: the row keeps its identity
            assertEquals(id, store.device("run-1", 0).orElseThrow().identity());

            assertTrue(store.intendUnlessDone("run-1", 0, "vault"));
            assertTrue(store.intendUnlessDone("run-1", 0, "vault"), "an open intent is intended again");
            assertEquals(2, store.intent("run-1", 0, "vault").orElseThrow().attempts());
            store.completeDone("run-1", 0, "vault", "ok", "CHIP0");
            assertEquals(FactoryStore.IntentState.DONE, store.intent("run-1", 0, "vault").orElseThrow().state());
            assertEquals("CHIP0", store.device("run-1", 0).orElseThrow().chipId());
            assertFalse(store.intendUnlessDone("run-1", 0, "vault"), "a DONE stage is skipped");
            assertEquals(FactoryStore.IntentState.DONE, store.intent("run-1", 0, "vault").orElseThrow().state());
            assertEquals(2, store.intent("run-1", 0, "vault").orElseThrow().attempts());

            store.deviceDone("run-1", 0, id);
            assertEquals(FactoryStore.DeviceState.DONE, store.device("run-1", 0).orElseThrow().state());
            assertEquals("USED", FactoryStore.first(db, "SELECT state FROM factory_identity WHERE identity = ?", id).orElseThrow());
            assertEquals("ALLOCATED", FactoryStore.first(db, "SELECT state FROM factory_identity WHERE run_id = 'run-1' AND slot = 1").orElseThrow());
        }
    }

    @Test
    void aFailedMergedWriteLeavesNoneOfItsRows(@TempDir Path dir) {
        Database db = Database.open("jdbc:sqlite:" + dir.resolve("f.db"));
        FactoryStore store = new FactoryStore(db);
        store.createRun(new FactoryStore.Run("run-1", List.of("vault"), 1, null, "test", "t", "RUNNING", null, null));
        store.addDevice("run-1", 0, "card-0", null);
        store.intendUnlessDone("run-1", 0, "vault");
        // the chip column is the second statement: make it fail after the intent's update ran
        FactoryStore.update(db, "CREATE TRIGGER no_chip BEFORE UPDATE OF chip_id ON factory_device BEGIN SELECT RAISE(ABORT, 'no chip'); END");
        assertThrows(RuntimeException.class, () -> store.completeDone("run-1", 0, "vault", "ok", "CHIP0"));
        assertEquals(FactoryStore.IntentState.INTENT, store.intent("run-1", 0, "vault").orElseThrow().state(), "the completion rolled back with the chip");
    }
}
