package dev.cardsmith.psd;

import dev.cardsmith.transport.CardSession;
import dev.cardsmith.support.CardTest;
import dev.cardsmith.support.CardUnderTest;
import dev.cardsmith.transport.CardTransport;
import dev.cardsmith.transport.TransportException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Tear tests at every APDU boundary of issue and of replace: the card is power-cycled after the
 * k-th command was processed (response lost) or before it arrived; then reconcile, check that
 * the PSD holds exactly one working MK and the store agrees, re-run the flow and check again.
 * (jCardSim does not roll back transactions aborted inside an APDU; the in-APDU argument is in
 * docs/psd.md.)
 */
@CardTest
class PsdTearTest {
    @TempDir Path dir;
    PsdWorld w;

    @BeforeEach
    void setUp() {
        w = PsdWorld.software(dir);
    }

    @AfterEach
    void tearDown() {
        w.close();
    }

    /** Exactly one MK works on the card, it is the card's reported version, and the store says the same. */
    private void assertConsistent(CardSession card) {
        PsdStatus st = w.access.select(card);
        var row = w.store.find(st.idHex());
        if (!st.issued()) {
            assertTrue(row.isEmpty(), "blank card, but the store has " + row);
            return;
        }
        assertTrue(row.isPresent());
        assertEquals(PsdStore.State.ISSUED, row.get().state());
        assertEquals(st.mkVersion(), row.get().mkVersion(), "store and card agree on the MK version");
        List<Integer> working = new ArrayList<>();
        for (int v = 1; v <= w.access.latestMkVersion(); v++) if (w.access.mkWorks(card, st, v)) working.add(v);
        assertEquals(List.of(st.mkVersion()), working, "exactly one working MK");
        assertEquals("LOCKED", w.access.select(card).executiveName());
        assertTrue(new dev.cardsmith.store.OperationJournal(w.db).pending("psd", st.idHex()).isEmpty(), "no operation left pending");
    }

    @Test
    void tearAfterEveryApduOfIssue() {
        for (boolean afterCard : new boolean[] {true, false}) {
            for (int k = 1; k <= 3; k++) {
                CardTransport sim = CardUnderTest.fresh();
                TearingTransport tear = new TearingTransport(sim, k, afterCard);
                CardSession card = new CardSession(tear);
                assertThrows(TransportException.class, () -> w.access.issue(card), "k=" + k);
                assertTrue(tear.torn);
                AccessServer.ReconcileResult r = w.access.reconcile(card);
                assertNotNull(r.action());
                assertConsistent(card);
                PsdStatus st = w.access.select(card);
                if (!st.issued()) {
                    assertEquals("issued", w.access.issue(card).action(), "re-run after k=" + k);
                } else {
                    assertThrows(PsdException.class, () -> w.access.issue(card), "issued once only");
                }
                assertConsistent(card);
                assertTrue(w.access.select(card).issued());
                card.close();
            }
        }
    }

    @Test
    void tearAfterEveryApduOfReplace() {
        for (boolean afterCard : new boolean[] {true, false}) {
            for (int k = 1; k <= 5; k++) {
                CardTransport sim = CardUnderTest.fresh();
                CardSession plain = new CardSession(sim);
                w.access.issue(plain);
                int before = w.access.select(plain).mkVersion();
                int target = w.rotate();
                TearingTransport tear = new TearingTransport(sim, k, afterCard);
                CardSession card = new CardSession(tear);
                assertThrows(TransportException.class, () -> w.access.replaceMasterKey(card), "k=" + k);
                w.access.reconcile(card);
                assertConsistent(card);
                int now = w.access.select(card).mkVersion();
                assertTrue(now == before || now == target, "old or new, nothing else");
                if (afterCard && k == 5) assertEquals(target, now, "REPLACE processed: the new MK is active");
                if (now == before) {
                    assertEquals(3, w.access.select(card).krkTriesLeft(), "a tear costs no KRK try");
                    w.access.replaceMasterKey(card);
                }
                assertConsistent(card);
                assertEquals(target, w.access.select(card).mkVersion());
                card.close();
            }
        }
    }

    @Test
    void replaceRerunAfterTornCommitReconcilesByItself() {
        CardTransport sim = CardUnderTest.fresh();
        CardSession plain = new CardSession(sim);
        w.access.issue(plain);
        int target = w.rotate();
        CardSession card = new CardSession(new TearingTransport(sim, 5, true));
        assertThrows(TransportException.class, () -> w.access.replaceMasterKey(card));
        PsdStatus st = w.access.select(card);
        assertEquals(PsdStore.State.REPLACING, w.store.find(st.idHex()).orElseThrow().state());
        // replace again without an explicit reconcile: the flow reconciles first and finds nothing left to do
        PsdException e = assertThrows(PsdException.class, () -> w.access.replaceMasterKey(card));
        assertTrue(e.getMessage().contains("already has MK v" + target), e.getMessage());
        assertConsistent(card);
    }
}
