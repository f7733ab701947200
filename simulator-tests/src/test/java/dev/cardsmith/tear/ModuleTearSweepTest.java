package dev.cardsmith.tear;

import dev.cardsmith.applet.module.Constants;
import dev.cardsmith.hsm.Hsm;
import dev.cardsmith.hsm.HsmFactory;
import dev.cardsmith.module.CentralSystem;
import dev.cardsmith.module.CertificateAuthority;
import dev.cardsmith.module.CvCertificate;
import dev.cardsmith.module.Manufacturing;
import dev.cardsmith.module.ModuleApdus;
import dev.cardsmith.module.ModuleCard;
import dev.cardsmith.module.ModuleStore;
import dev.cardsmith.module.PersonalizationUnit;
import dev.cardsmith.module.TanIssuer;
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
import java.time.LocalDate;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Tear sweep of module enrolment (manufacturing) and personalization (docs/robustness.md,
 * "Tearing"). Invariants: the torn module is still in personalization or fully operating, an
 * identity certificate on the card always names the card's identity key, the transaction counter
 * never goes back; after a re-run through Manufacturing / PersonalizationUnit the module is
 * operating with a module certificate the store records, and no operation is left open.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@dev.cardsmith.support.SimulatorOnly("tears inside a command need the rollback runtime (TearingSimulator), which only a simulated card has")
class ModuleTearSweepTest {
    private static final LocalDate TODAY = LocalDate.now();

    @TempDir static Path dir;
    Hsm hsm;
    ModuleStore store;
    CertificateAuthority ca;
    OperationJournal journal;

    @BeforeAll
    void world() {
        hsm = HsmFactory.open("pkcs12:" + dir.resolve("keystore.p12"), "test".toCharArray());
        Database db = Database.open("jdbc:sqlite:" + dir.resolve("cardsmith.db"));
        store = new ModuleStore(db);
        ca = new CertificateAuthority(hsm, store);
        ca.init(TODAY);
        journal = new OperationJournal(db);
    }

    @AfterAll
    void close() {
        hsm.close();
    }

    private static TearingSimulator newModule() {
        return new TearingSimulator(List.of(AppletRegistry.byName("module")));
    }

    private static ModuleCard selected(CardTransport t) {
        CardSession s = new CardSession(t);
        s.select(ModuleApdus.INSTANCE_AID);
        return ModuleCard.local(s, true);
    }

    private static ModuleApdus.Status status(ModuleCard card) {
        return ModuleApdus.parseStatus(card.transmitOk("GET STATUS", ModuleApdus.getStatus(0)).getData());
    }

    private String enterNewTan(ModuleCard card, String moduleId) {
        String tan = new TanIssuer(ca).issue(moduleId, 1).get(0);
        card.transmitOk("ENTER TAN", ModuleApdus.enterTan(tan));
        return tan;
    }

    /** ENTER TAN + personalization, the way an operator re-runs it (a fresh TAN each time). */
    private PersonalizationUnit.Result personalize(ModuleCard card, String moduleId) {
        enterNewTan(card, moduleId);
        return new PersonalizationUnit(ca).personalize(card, TODAY, null);
    }

    /** The end state: operating, the store holds the card's module certificate, nothing open. */
    private void checkPersonalized(ModuleCard card, String moduleId) {
        assertTrue(status(card).operating(), "module not operating");
        CvCertificate onCard = CvCertificate.parse(card.transmitOk("GET STATUS", ModuleApdus.getStatus(2)).getData());
        ModuleStore.ModuleRecord rec = store.module(moduleId).orElseThrow();
        assertEquals("PERSONALIZED", rec.state(), "store state");
        assertEquals(onCard.chr(), rec.moduleChr(), "store and card agree on the module certificate");
        assertEquals(List.of(), journal.pending("module", moduleId), "operation left open");
    }

    @Test
    void enrol() {
        TearSweep.Result r = TearSweep.sweep("module enrol", "module", new TearSweep.Flow() {
            @Override public TearingSimulator start() { return newModule(); }

            @Override public void run(CardTransport t) { new Manufacturing(ca).enroll(new CardSession(t), TODAY); }

            @Override
            public void recover(TearingSimulator card, TearSweep.Point p, Map<String, String> before) {
                ModuleCard mc = selected(card);
                ModuleApdus.Status st = status(mc);
                assertFalse(st.operating());
                String id = new Manufacturing(ca).enroll(new CardSession(card), TODAY).moduleId();
                CvCertificate identity = CvCertificate.parse(mc.transmitOk("GET STATUS", ModuleApdus.getStatus(1)).getData());
                assertEquals(id, Manufacturing.moduleIdOf(identity));
                // personalization proves the identity key against the certificate (init.identityProved())
                personalize(mc, id);
                checkPersonalized(mc, id);
            }
        });
        TearSweep.assertNothingBroken(r, 8);
    }

    /** Personalization torn anywhere, re-run by the perso unit. */
    private TearSweep.Result sweepPersonalization() {
        String[] moduleId = new String[1];
        long[] counter = new long[1];
        return TearSweep.sweep("module perso", "module", new TearSweep.Flow() {
            @Override
            public TearingSimulator start() {
                TearingSimulator card = newModule();
                moduleId[0] = new Manufacturing(ca).enroll(new CardSession(card), TODAY).moduleId();
                counter[0] = status(selected(card)).transactionCounter();
                return card;
            }

            @Override public void run(CardTransport t) { personalize(selected(t), moduleId[0]); }

            @Override
            public void recover(TearingSimulator card, TearSweep.Point p, Map<String, String> before) {
                ModuleCard mc = selected(card);
                ModuleApdus.Status st = status(mc);
                assertTrue(st.transactionCounter() >= counter[0], "transaction counter went back");
                if (st.operating()) {
                    assertTrue(st.has(Constants.FLAG_IDENTITY_CERT), "identity certificate lost");
                    CvCertificate onCard = CvCertificate.parse(mc.transmitOk("GET STATUS", ModuleApdus.getStatus(2)).getData());
                    assertEquals(CertificateAuthority.PERSO_UNIT_CHR, onCard.car(), "module certificate issuer");
                }
                if (st.operating()) new PersonalizationUnit(ca).personalize(mc, TODAY, null); // the re-run reconciles
                else personalize(mc, moduleId[0]);
                checkPersonalized(mc, moduleId[0]);
            }
        });
    }

    @Test
    void personalize() {
        TearSweep.assertNothingBroken(sweepPersonalization(), 10);
    }

    /**
     * Central session and one transaction on a personalized module: CENTRAL AUTHENTICATE + CONFIRM
     * (session key agreement) and TRANSACTION, torn anywhere. The transaction counter is per
     * transaction key (CONFIRM resets it to 0 with the new key, in one transaction). Invariants:
     * still operating with the module certificate the store records; under the same key the
     * counter never goes back: a transaction the module committed before the tear is refused
     * when the central retries it (6982, never applied twice), one it did not commit is accepted;
     * the re-run (a new session) authenticates and its first transaction's receipt verifies; no
     * operation is left open.
     */
    @Test
    void centralSessionAndTransaction() {
        String[] moduleId = new String[1];
        CentralSystem[] central = new CentralSystem[1];
        byte[] payload = "pay 42".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        TearSweep.Result r = TearSweep.sweep("module central", "module", new TearSweep.Flow() {
            @Override
            public TearingSimulator start() {
                TearingSimulator card = newModule();
                moduleId[0] = new Manufacturing(ca).enroll(new CardSession(card), TODAY).moduleId();
                personalize(selected(card), moduleId[0]);
                central[0] = new CentralSystem(ca);
                return card;
            }

            @Override
            public void run(CardTransport t) {
                ModuleCard mc = selected(t);
                central[0].authenticate(mc, TODAY);
                central[0].transact(mc, moduleId[0], payload);
            }

            @Override
            public void recover(TearingSimulator card, TearSweep.Point p, Map<String, String> before) {
                ModuleCard mc = selected(card);
                ModuleApdus.Status st = status(mc);
                assertTrue(st.operating(), "module left operating");
                assertTrue(st.has(Constants.FLAG_IDENTITY_CERT), "identity certificate lost");
                checkPersonalized(mc, moduleId[0]);
                if (central[0].hasKey(moduleId[0])) { // the session was agreed: the tear hit TRANSACTION
                    if (st.transactionCounter() >= 1) {
                        dev.cardsmith.transport.CardStatusException replay = assertThrows(dev.cardsmith.transport.CardStatusException.class,
                                () -> central[0].transact(mc, moduleId[0], payload), "a committed transaction applied twice");
                        assertEquals(dev.cardsmith.applet.platform.Sw.SECURITY_STATUS_NOT_SATISFIED & 0xFFFF, replay.sw());
                    } else {
                        central[0].transact(mc, moduleId[0], payload);
                        assertEquals(1, status(mc).transactionCounter(), "the retried transaction");
                    }
                }
                CentralSystem again = new CentralSystem(ca);
                assertEquals(moduleId[0], again.authenticate(mc, TODAY).moduleId());
                assertEquals(0, status(mc).transactionCounter(), "a new transaction key starts its counter at 0");
                again.transact(mc, moduleId[0], payload); // throws unless the receipt verifies
                assertEquals(1, status(mc).transactionCounter(), "the re-run's transaction did not count");
                checkPersonalized(mc, moduleId[0]);
            }
        });
        TearSweep.assertNothingBroken(r, 5);
    }

    /**
     * The central system's release of an operating module (RELEASE CHALLENGE, signed ENTER
     * PERSONALIZATION; issue 13), torn anywhere. Invariants: the module is either still
     * operating with its module key, or in personalization with no module or transaction key
     * (never operating without a key, never a key left usable); a re-run releases what is still
     * operating; afterwards the module personalizes again.
     */
    @Test
    void release() {
        String[] moduleId = new String[1];
        TearSweep.Result r = TearSweep.sweep("module release", "module", new TearSweep.Flow() {
            @Override
            public TearingSimulator start() {
                TearingSimulator card = newModule();
                moduleId[0] = new Manufacturing(ca).enroll(new CardSession(card), TODAY).moduleId();
                personalize(selected(card), moduleId[0]);
                new CentralSystem(ca).authenticate(selected(card), TODAY);
                return card;
            }

            @Override public void run(CardTransport t) { new CentralSystem(ca).release(selected(t)); }

            @Override
            public void recover(TearingSimulator card, TearSweep.Point p, Map<String, String> before) {
                ModuleCard mc = selected(card);
                ModuleApdus.Status st = status(mc);
                if (st.operating()) {
                    assertTrue(st.has(Constants.FLAG_MODULE_KEY), "operating without a module key");
                    new CentralSystem(ca).release(mc); // the re-run
                } else {
                    assertFalse(st.has(Constants.FLAG_MODULE_KEY), "module key left after the changeover");
                    assertFalse(st.has(Constants.FLAG_TRANSACTION_KEY), "transaction key left after the changeover");
                }
                st = status(mc);
                assertFalse(st.operating(), "still operating after the re-run");
                assertEquals(0, st.transactionCounter());
                personalize(mc, moduleId[0]);
                checkPersonalized(mc, moduleId[0]);
            }
        });
        TearSweep.assertNothingBroken(r, 3);
    }

    /** Finding T1 (docs/robustness.md, fixed): the response of PERSO STORE CERTIFICATES lost after the module committed. */
    @Test
    void personalizationWhoseStoreCertificatesResponseIsLostIsReconciledByTheReRun() {
        TearingSimulator card = newModule();
        String id = new Manufacturing(ca).enroll(new CardSession(card), TODAY).moduleId();
        CardTransport loseStoreCertsResponse = new CardTransport() {
            @Override
            public byte[] transmit(byte[] apdu) {
                byte[] r = card.transmit(apdu);
                if (apdu[1] == Constants.INS_PERSO_STORE_CERTS) {
                    card.powerCycle();
                    throw new dev.cardsmith.transport.TransportException("card torn after STORE CERTIFICATES");
                }
                return r;
            }
            @Override public byte[] atr() { return card.atr(); }
            @Override public String name() { return "torn after STORE CERTIFICATES"; }
            @Override public void reset() { card.reset(); }
            @Override public void close() { }
        };
        assertThrows(RuntimeException.class, () -> personalize(selected(loseStoreCertsResponse), id));
        ModuleCard mc = selected(card);
        assertTrue(status(mc).operating(), "the module committed");
        assertEquals(1, journal.pending("module", id).size(), "outcome unknown: the entry stays open for the re-run");
        new PersonalizationUnit(ca).personalize(mc, TODAY, null); // PERSO INITIATE 6985, the re-run reconciles from the card
        checkPersonalized(mc, id);
    }
}
