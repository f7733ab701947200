package dev.cardsmith.module;

import dev.cardsmith.applet.module.Constants;
import dev.cardsmith.applet.platform.Sw;
import dev.cardsmith.store.OperationJournal;
import dev.cardsmith.transport.CardStatusException;
import org.junit.jupiter.api.Test;


import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Interrupted personalizations: the module keeps its old state, a re-run completes or reconciles. */
class ModuleTearTest extends EnrolledModuleTest {

    @Test
    void cardTornBeforeTheCertificatesArriveStaysInPersonalizationAndReRuns() {
        f.enterTan(f.issueTan(moduleId));
        PersoSession s = f.persoSession(true);
        s.initiate(f.ca.persoUnitByManufacturer().encoded());
        s.authenticate(new byte[16]);
        f.session.reset(); // torn from the reader
        f.select();
        ModuleApdus.Status st = f.status();
        assertFalse(st.operating());
        assertFalse(st.has(Constants.FLAG_TAN_ENTERED));
        assertEquals(Sw.CONDITIONS_NOT_SATISFIED, f.sw(ModuleApdus.persoStoreCerts(new byte[32], false)));
        f.personalize(true);
        assertTrue(f.status().operating());
    }

    /** A perso unit's steps up to the module certificate it issues (what personalize does before STORE CERTIFICATES). */
    private CvCertificate upToTheCertificate(PersoSession s) {
        s.initiate(f.ca.persoUnitByManufacturer().encoded());
        PersoSession.Authenticated a = s.authenticate(new byte[16]);
        return f.ca.issueFor(CertificateAuthority.PERSO_UNIT_LABEL, CertificateAuthority.PERSO_UNIT_CHR, "ZZ" + moduleId + "00001",
                a.modulePoint(), CvCertificate.Role.MODULE, a.nonce(), ModuleFixture.TODAY, ModuleFixture.TODAY.plusYears(2));
    }

    /** The re-run (PERSO INITIATE answers 6985) completes store and journal from the module's certificate. */
    private void reRunReconciles(CvCertificate mc, OperationJournal journal) {
        PersonalizationUnit.Result r = new PersonalizationUnit(f.ca).personalize(f.card(true), ModuleFixture.TODAY, null);
        assertEquals(mc.chr(), r.moduleCertificate().chr());
        assertEquals(mc.chr(), f.store.module(moduleId).orElseThrow().moduleChr());
        assertEquals("PERSONALIZED", f.store.module(moduleId).orElseThrow().state());
        assertTrue(journal.pending("module", moduleId).isEmpty());
    }

    @Test
    void hostStoppedAfterTheModuleCommittedIsReconciledOnReRun() {
        // a perso unit that crashed after STORE CERTS: journal says pending, registry not updated
        f.enterTan(f.issueTan(moduleId));
        PersoSession s = f.persoSession(true);
        CvCertificate mc = upToTheCertificate(s);
        OperationJournal journal = new OperationJournal(f.db);
        journal.begin("module", moduleId, "personalize", mc.chr());
        s.storeCertificates(mc.encoded(), f.ca.centralByPersoUnit().encoded(), f.ca.persoUnitByCentral().encoded());
        assertEquals("ENROLLED", f.store.module(moduleId).orElseThrow().state());

        reRunReconciles(mc, journal);
    }

    /** The module committed with no journal entry at all (finished FAILED by an older host): the card's certificate decides. */
    @Test
    void moduleCommittedWithoutAnOpenEntryIsReconciledFromTheCard() {
        f.enterTan(f.issueTan(moduleId));
        PersoSession s = f.persoSession(true);
        CvCertificate mc = upToTheCertificate(s);
        OperationJournal journal = new OperationJournal(f.db);
        journal.finish(journal.begin("module", moduleId, "personalize", mc.chr()), OperationJournal.State.FAILED, "transport error");
        s.storeCertificates(mc.encoded(), f.ca.centralByPersoUnit().encoded(), f.ca.persoUnitByCentral().encoded());

        reRunReconciles(mc, journal);
        // once the store agrees with the card there is nothing left to reconcile: an operating module refuses
        CardStatusException again = assertThrows(CardStatusException.class,
                () -> new PersonalizationUnit(f.ca).personalize(f.card(true), ModuleFixture.TODAY, null));
        assertEquals(Sw.CONDITIONS_NOT_SATISFIED & 0xFFFF, again.sw());
    }

    /** A personalization left PENDING whose module never committed is closed by the next run, which completes. */
    @Test
    void pendingEntryOfAnAttemptTheModuleNeverCommittedIsClosedByTheReRun() {
        OperationJournal journal = new OperationJournal(f.db);
        journal.begin("module", moduleId, "personalize", "ZZ" + moduleId + "00001");
        f.enterTan(f.issueTan(moduleId));
        new PersonalizationUnit(f.ca).personalize(f.card(true), ModuleFixture.TODAY, null);
        assertTrue(f.status().operating());
        assertTrue(journal.pending("module", moduleId).isEmpty());
    }
}
