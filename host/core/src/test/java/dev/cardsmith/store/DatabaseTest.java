package dev.cardsmith.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DatabaseTest {

    @Test
    void migratesOnceAndJournalRecordsIntentThenCompletion(@TempDir Path dir) {
        String url = "jdbc:sqlite:" + dir.resolve("sub/dir/test.db");
        Database db = Database.open(url);
        Database again = Database.open(url); // second open: nothing pending, no error
        OperationJournal j = new OperationJournal(again);
        String id = j.begin("vault", "CHIP01", "provision", "version 1");
        List<OperationJournal.Entry> pending = j.pending("vault", "CHIP01");
        assertEquals(1, pending.size());
        assertEquals("provision", pending.get(0).operation());
        j.finish(id, OperationJournal.State.DONE, null);
        assertTrue(j.pending("vault", "CHIP01").isEmpty());
        int migrations = db.inTransaction(c -> {
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM flyway_schema_history WHERE success = 1")) {
                rs.next();
                return rs.getInt(1);
            }
        });
        assertTrue(migrations >= 1);
    }

    @Test
    void transactionRollsBackOnFailure(@TempDir Path dir) {
        Database db = Database.open("jdbc:sqlite:" + dir.resolve("t.db"));
        assertThrows(IllegalStateException.class, () -> db.inTransaction(c -> {
            try (Statement s = c.createStatement()) {
                s.executeUpdate("INSERT INTO operation_journal VALUES ('x','s','sub','op','PENDING',NULL,'t','t')");
            }
            throw new IllegalStateException("boom");
        }));
        assertTrue(new OperationJournal(db).pending("s", "sub").isEmpty(), "the insert must have been rolled back");
    }

    @Test
    void badUrlsAreOneLineErrors(@TempDir Path dir) {
        StoreException a = assertThrows(StoreException.class, () -> Database.open("postgres://nope"));
        assertEquals("not a JDBC URL: postgres://nope", a.getMessage());
        StoreException b = assertThrows(StoreException.class, () -> Database.openExisting("jdbc:sqlite:" + dir.resolve("missing.db")));
        assertTrue(b.getMessage().startsWith("database not found: "));
    }
}
