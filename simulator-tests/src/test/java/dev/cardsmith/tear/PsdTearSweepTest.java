package dev.cardsmith.tear;

import dev.cardsmith.applet.psd.PsdProtocol;
import dev.cardsmith.crypto.Hex;
import dev.cardsmith.hsm.Hsm;
import dev.cardsmith.hsm.HsmFactory;
import dev.cardsmith.psd.AccessServer;
import dev.cardsmith.psd.KeyManagementServer;
import dev.cardsmith.psd.PsdKeys;
import dev.cardsmith.psd.PsdStatus;
import dev.cardsmith.psd.PsdStore;
import dev.cardsmith.simulator.AppletRegistry;
import dev.cardsmith.simulator.tear.TearingSimulator;
import dev.cardsmith.store.Database;
import dev.cardsmith.store.OperationJournal;
import dev.cardsmith.transport.CardSession;
import dev.cardsmith.transport.CardTransport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Tear sweep of PSD issue and MK replacement (docs/robustness.md, "Tearing"): the card torn at
 * every tear point of every command, then reconciled and re-run through the access server.
 * Invariants: right after the tear the PSD holds the old or the new MK version, the KRK and
 * exactly one MK key set (the active one, all three keys, and it works); the MK version never goes back and a
 * tear never gives a KRK try back; at the end the card is issued with the target MK, exactly
 * one MK version works, the store agrees, the executive is locked with all tries, and no
 * operation is left open in the journal.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@dev.cardsmith.support.SimulatorOnly("tears inside a command need the rollback runtime (TearingSimulator), which only a simulated card has")
class PsdTearSweepTest {
    private static final int KRK_TRIES = 3;

    @TempDir static Path dir;
    Hsm kmsHsm;
    Hsm accessHsm;
    KeyManagementServer kms;
    AccessServer access;
    PsdStore store;
    OperationJournal journal;

    @BeforeAll
    void world() {
        kmsHsm = HsmFactory.open("pkcs12:" + dir.resolve("kms.p12"), "kms-pw".toCharArray());
        accessHsm = HsmFactory.open("pkcs12:" + dir.resolve("access.p12"), "access-pw".toCharArray());
        Database db = Database.open("jdbc:sqlite:" + dir.resolve("psd.db"));
        kms = new KeyManagementServer(kmsHsm);
        store = new PsdStore(db);
        access = new AccessServer(accessHsm, store);
        journal = new OperationJournal(db);
        kms.init();
        transfer();
        access.importTransportKey(Hex.parse(PsdKeys.DEV_TRANSPORT_KEY_HEX));
    }

    private void transfer() {
        access.importKeys(kms.export(access.keyTransferImportKey(), true));
    }

    @AfterAll
    void close() {
        kmsHsm.close();
        accessHsm.close();
    }

    private static TearingSimulator newPsd() {
        return new TearingSimulator(List.of(AppletRegistry.byName("psd")));
    }

    /** vars: [0] state, [1] MK version, [2] KRK version, [3] KRK tries, [4] active MK key set, [5] ID length, [6] active KRK object. */
    private static byte[] vars(Map<String, String> state) {
        return Hex.parse(state.get("PsdApplet.p.vars"));
    }

    /** Right after the tear: old or new MK version, KRK present, exactly the active MK object holds a key, tries not given back. */
    private void checkTornCard(TearingSimulator card, TearSweep.Point p, Map<String, String> before, CardSession s) {
        PsdStatus st = access.select(s); // SELECT runs the applet's own clean-up first
        Map<String, String> now = card.persistentState("psd");
        byte[] b = vars(before);
        byte[] v = vars(now);
        assertTrue(v[1] >= b[1], "MK version went back from " + b[1] + " to " + v[1]);
        boolean unlockDone = p.ins() == (PsdProtocol.INS_UNLOCK & 0xFF) && v[3] == KRK_TRIES;
        assertTrue(v[3] == b[3] || v[3] == b[3] - 1 || unlockDone, "KRK tries " + b[3] + " -> " + v[3]);
        if (!st.issued()) return; // INSTALLED: whatever a torn injection left in the key objects is unreachable, re-injected next
        String krk = v[6] == 0 ? "krkA" : "krkB";
        String otherKrk = v[6] == 0 ? "krkB" : "krkA";
        assertNotEquals("uninitialized", now.get("PsdApplet.p." + krk), "KRK lost");
        assertEquals("uninitialized", now.get("PsdApplet.p." + otherKrk), "a second KRK object holds a key");
        assertEquals("uninitialized", now.get("PsdApplet.p.transportKey"), "transport key left after issue");
        String active = v[4] == 0 ? "A" : "B";
        String inactive = v[4] == 0 ? "B" : "A";
        for (String k : List.of("enc", "mac", "dek")) {
            assertNotEquals("uninitialized", now.get("PsdApplet.p." + k + active), "active MK key set lost its " + k);
            assertEquals("uninitialized", now.get("PsdApplet.p." + k + inactive), "a second MK key set holds a " + k);
        }
        assertTrue(access.mkWorks(s, st, st.mkVersion()), "the card's MK v" + st.mkVersion() + " does not work");
    }

    /** The end state: issued, the MK of {@code expected} and no other candidate works, store and journal agree. */
    private void checkEnd(CardSession s, int expected, int... candidates) {
        PsdStatus st = access.select(s);
        assertTrue(st.issued());
        assertEquals(expected, st.mkVersion());
        List<Integer> working = new ArrayList<>();
        TreeSet<Integer> versions = new TreeSet<>();
        for (int c : candidates) versions.add(c);
        versions.add(st.mkVersion());
        for (int ver : versions) if (access.mkWorks(s, st, ver)) working.add(ver);
        assertEquals(List.of(expected), working, "exactly one working MK");
        PsdStore.Row row = store.find(st.idHex()).orElseThrow();
        assertEquals(PsdStore.State.ISSUED, row.state(), "store state");
        assertEquals(expected, row.mkVersion(), "store and card agree on the MK version");
        st = access.select(s);
        assertEquals("LOCKED", st.executiveName());
        assertEquals(KRK_TRIES, st.krkTriesLeft(), "KRK tries");
        assertEquals(List.of(), journal.pending("psd", st.idHex()), "operation left open");
    }

    @Test
    void issue() {
        int mk = access.latestMkVersion();
        TearSweep.Result r = TearSweep.sweep("psd issue", "psd", new TearSweep.Flow() {
            @Override public TearingSimulator start() { return newPsd(); }

            @Override public void run(CardTransport t) { access.issue(new CardSession(t)); }

            @Override
            public void recover(TearingSimulator card, TearSweep.Point p, Map<String, String> before) {
                CardSession s = new CardSession(card);
                checkTornCard(card, p, before, s);
                access.reconcile(s);
                if (!access.select(s).issued()) access.issue(s);
                checkEnd(s, mk, mk);
            }
        });
        TearSweep.assertNothingBroken(r, 8);
    }

    @Test
    void replaceMasterKey() {
        int[] versions = new int[2]; // [0] before, [1] target of the card being swept
        TearSweep.Result r = TearSweep.sweep("psd replace", "psd", new TearSweep.Flow() {
            @Override
            public TearingSimulator start() {
                TearingSimulator card = newPsd();
                access.issue(new CardSession(card));
                versions[0] = access.latestMkVersion();
                versions[1] = kms.rotateMasterKeyBlock();
                transfer();
                return card;
            }

            @Override public void run(CardTransport t) { access.replaceMasterKey(new CardSession(t)); }

            @Override
            public void recover(TearingSimulator card, TearSweep.Point p, Map<String, String> before) {
                CardSession s = new CardSession(card);
                checkTornCard(card, p, before, s);
                int now = access.select(s).mkVersion();
                assertTrue(now == versions[0] || now == versions[1], "old or new MK, nothing else: v" + now);
                access.reconcile(s);
                if (access.select(s).mkVersion() != versions[1]) access.replaceMasterKey(s);
                checkEnd(s, versions[1], versions[0], versions[1]);
            }
        });
        TearSweep.assertNothingBroken(r, 10);
    }

    /** CHANGE KRK torn anywhere: old or new KRK version, one KRK object, reconciled and re-run; the store's cryptogram opens the card's KRK. */
    @Test
    void changeKrk() {
        int[] versions = new int[2]; // [0] KRK before, [1] target
        TearSweep.Result r = TearSweep.sweep("psd change-krk", "psd", new TearSweep.Flow() {
            @Override
            public TearingSimulator start() {
                TearingSimulator card = newPsd();
                access.issue(new CardSession(card));
                versions[0] = access.latestKrkVersion();
                versions[1] = kms.rotateKrkBlock();
                transfer();
                return card;
            }

            @Override public void run(CardTransport t) { access.changeKrk(new CardSession(t)); }

            @Override
            public void recover(TearingSimulator card, TearSweep.Point p, Map<String, String> before) {
                CardSession s = new CardSession(card);
                checkTornCard(card, p, before, s);
                int now = access.select(s).krkVersion();
                assertTrue(now == versions[0] || now == versions[1], "old or new KRK, nothing else: v" + now);
                access.reconcile(s);
                if (access.select(s).krkVersion() != versions[1]) access.changeKrk(s);
                PsdStatus st = access.select(s);
                assertEquals(versions[1], st.krkVersion());
                PsdStore.Row row = store.find(st.idHex()).orElseThrow();
                assertEquals(versions[1], row.krkVersion(), "store and card agree on the KRK version");
                assertNull(row.pendingKrkVersion());
                checkEnd(s, st.mkVersion(), st.mkVersion());
                // the stored cryptogram opens the card's KRK: the proof unlocks
                dev.cardsmith.psd.Scp03 sc = access.openSecureChannel(s, st, st.mkVersion(), 0x33);
                assertEquals(0x9000, s.transmit(sc.wrap(dev.cardsmith.psd.PsdApdus.unlock(access.unlockProof(st, sc.context())))).getSW());
            }
        });
        TearSweep.assertNothingBroken(r, 10);
    }
}
