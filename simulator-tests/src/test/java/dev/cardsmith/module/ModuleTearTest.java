package dev.cardsmith.module;

import dev.cardsmith.applet.module.Constants;
import dev.cardsmith.applet.platform.Sw;
import dev.cardsmith.store.OperationJournal;
import org.junit.jupiter.api.Test;


import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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

    @Test
    void hostStoppedAfterTheModuleCommittedIsReconciledOnReRun() {
        // a perso unit that crashed after STORE CERTS: journal says pending, registry not updated
        f.enterTan(f.issueTan(moduleId));
        PersoSession s = f.persoSession(true);
        s.initiate(f.ca.persoUnitByManufacturer().encoded());
        PersoSession.Authenticated a = s.authenticate(new byte[16]);
        CvCertificate mc = f.ca.issueFor(CertificateAuthority.PERSO_UNIT_LABEL, CertificateAuthority.PERSO_UNIT_CHR, "ZZ" + moduleId + "00001",
                a.modulePoint(), CvCertificate.Role.MODULE, a.nonce(), ModuleFixture.TODAY, ModuleFixture.TODAY.plusYears(2));
        OperationJournal journal = new OperationJournal(f.db);
        journal.begin("module", moduleId, "personalize", mc.chr());
        s.storeCertificates(mc.encoded(), f.ca.centralByPersoUnit().encoded(), f.ca.persoUnitByCentral().encoded());
        assertEquals("ENROLLED", f.store.module(moduleId).orElseThrow().state());

        PersonalizationUnit.Result r = new PersonalizationUnit(f.ca).personalize(f.card(true), ModuleFixture.TODAY, null);
        assertEquals(mc.chr(), r.moduleCertificate().chr());
        assertEquals("PERSONALIZED", f.store.module(moduleId).orElseThrow().state());
        assertTrue(journal.pending("module", moduleId).isEmpty());
    }
}
