package dev.cardsmith.psd;

import dev.cardsmith.store.Database;
import dev.cardsmith.transport.CardSession;
import dev.cardsmith.support.CardTest;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Statement;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Issue, tear, reconcile and replace with the store on PostgreSQL: runs when
 * CARDSMITH_TEST_PG_URL is set (e.g. jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres),
 * skips otherwise. The schema is dropped and re-created by Flyway.
 */
@CardTest
class PsdPostgresTest {
    @TempDir Path dir;

    @Test
    void flowsOnPostgres() throws Exception {
        String url = System.getenv("CARDSMITH_TEST_PG_URL");
        Assumptions.assumeTrue(url != null && !url.isBlank(), "CARDSMITH_TEST_PG_URL not set");
        try (var c = java.sql.DriverManager.getConnection(url); Statement s = c.createStatement()) {
            s.execute("DROP SCHEMA public CASCADE");
            s.execute("CREATE SCHEMA public");
        }
        Database db = Database.open(url);
        try (PsdWorld w = PsdWorld.with(dir, db)) {
            CardSession card = PsdWorld.newCard();
            // torn after INJECT was processed: the store says ISSUING, the card is issued
            CardSession torn = new CardSession(new TearingTransport(card.transport(), 2, true));
            assertThrows(dev.cardsmith.transport.TransportException.class, () -> w.access.issue(torn));
            assertEquals("issuance completed on the card; store marked issued", w.access.reconcile(card).action());
            w.rotate();
            w.access.replaceMasterKey(card);
            PsdStatus st = w.access.select(card);
            assertEquals(2, st.mkVersion());
            assertEquals(2, w.store.find(st.idHex()).orElseThrow().mkVersion());
            assertEquals("consistent", w.access.reconcile(card).action());
        }
    }
}
