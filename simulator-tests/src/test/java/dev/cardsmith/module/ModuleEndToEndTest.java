package dev.cardsmith.module;

import dev.cardsmith.applet.module.Constants;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** CA setup, enrollment, local personalization, central session and a protected transaction in jCardSim. */
class ModuleEndToEndTest extends EnrolledModuleTest {

    @Test
    void claim1_personalizeThenCentralSessionThenTransaction() {
        assertFalse(f.status().operating());
        f.enterTan(f.issueTan(moduleId));
        PersonalizationUnit.Result r = new PersonalizationUnit(f.ca).personalize(f.card(true), ModuleFixture.TODAY, null);
        assertEquals(moduleId, r.moduleId());
        assertTrue(f.status().operating());
        assertTrue(f.status().has(Constants.FLAG_MODULE_KEY));

        CentralSystem central = new CentralSystem(f.ca);
        CentralSystem.Authenticated a = central.authenticate(f.card(true), ModuleFixture.TODAY);
        assertEquals(moduleId, a.moduleId());
        assertTrue(f.status().has(Constants.FLAG_TRANSACTION_KEY));
        byte[] receipt = central.transact(f.card(true), moduleId, "pay 42".getBytes(StandardCharsets.UTF_8));
        assertEquals(16, receipt.length);
        assertEquals(1, f.status().transactionCounter());
    }

    @Test
    void bouncyCastleParsesEveryCertificateTheProjectEmits() {
        f.enterTan(f.issueTan(moduleId));
        new PersonalizationUnit(f.ca).personalize(f.card(true), ModuleFixture.TODAY, null);
        java.util.List<byte[]> all = new java.util.ArrayList<>();
        for (CvCertificate c : f.store.allCertificates()) all.add(c.encoded());
        all.add(f.card(false).transmitOk("GS", ModuleApdus.getStatus(1)).getData());
        all.add(f.card(false).transmitOk("GS", ModuleApdus.getStatus(2)).getData());
        assertEquals(8, all.size()); // 4 CA + identity + module in the store, identity + module from the card
        for (byte[] enc : all) {
            org.bouncycastle.asn1.eac.CVCertificate bc = org.bouncycastle.asn1.eac.CVCertificate.getInstance(enc);
            assertEquals(CvCertificate.parse(enc).chr(), new String(bc.getBody().getCertificateHolderReference().getEncoded(), StandardCharsets.ISO_8859_1));
        }
    }
}
