package dev.cardsmith.module;

import dev.cardsmith.crypto.EcP256;
import dev.cardsmith.applet.module.Constants;
import dev.cardsmith.applet.platform.Sw;
import dev.cardsmith.transport.CardStatusException;
import org.junit.jupiter.api.Test;

import java.security.KeyPair;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every check the module makes during personalization, each with its status word. */
class ModulePersonalizationNegativeTest extends EnrolledModuleTest {

    private static int sw(Runnable r) {
        CardStatusException e = assertThrows(CardStatusException.class, r::run);
        return e.sw();
    }

    private CvCertificate persoCertSignedBy(KeyPair issuer) {
        return CvCertificate.issue(CertificateAuthority.MANUFACTURER_CHR, CertificateAuthority.PERSO_UNIT_CHR,
                EcP256.encode(f.hsm.publicKey(CertificateAuthority.PERSO_UNIT_LABEL)), CvCertificate.Role.PERSO_UNIT, null,
                ModuleFixture.TODAY, ModuleFixture.TODAY.plusYears(1), body -> EcP256.signDer(issuer.getPrivate(), body));
    }

    @Test
    void claim7_unknownPersoUnitCertificateIsRejectedBeforeAnythingElse() {
        f.enterTan(f.issueTan(moduleId));
        CvCertificate rogue = persoCertSignedBy(EcP256.generate());
        assertEquals(Sw.SECURITY_STATUS_NOT_SATISFIED, sw(() -> f.persoSession(true).initiate(rogue.encoded())));
        // nothing else happened: no session, still personalization state, no module key
        assertEquals(Sw.CONDITIONS_NOT_SATISFIED, sw(() -> f.card(false).transmitOk("AUTH", ModuleApdus.persoAuthenticate(new byte[32]))));
        assertFalse(f.status().has(Constants.FLAG_MODULE_KEY));
    }

    @Test
    void claim7_forgedPersoUnitCertificateIsRejected() {
        byte[] forged = f.ca.persoUnitByManufacturer().encoded().clone();
        forged[forged.length - 70] ^= 0x01; // a byte of the CHAT/date area inside the signed body
        assertEquals(Sw.SECURITY_STATUS_NOT_SATISFIED, sw(() -> f.persoSession(true).initiate(forged)));
        byte[] badSig = f.ca.persoUnitByManufacturer().encoded().clone();
        badSig[badSig.length - 1] ^= 0x01;
        assertEquals(Sw.SECURITY_STATUS_NOT_SATISFIED, sw(() -> f.persoSession(true).initiate(badSig)));
    }

    @Test
    void claim7_wrongChainOrderAtInitiateIsRejected() {
        // the cross certificate (perso unit by central) instead of the manufacturer's one
        assertEquals(Sw.SECURITY_STATUS_NOT_SATISFIED, sw(() -> f.persoSession(true).initiate(f.ca.persoUnitByCentral().encoded())));
        // the central system's certificate in the perso unit's place
        assertEquals(Sw.WRONG_DATA, sw(() -> f.persoSession(true).initiate(f.ca.centralByPersoUnit().encoded())));
    }

    @Test
    void claims5and6_wrongChainOrderAtStoreIsRejected() {
        f.enterTan(f.issueTan(moduleId));
        PersoSession s = f.persoSession(true);
        s.initiate(f.ca.persoUnitByManufacturer().encoded());
        PersoSession.Authenticated a = s.authenticate(new byte[16]);
        byte[] mod = f.moduleCert(a.modulePoint(), a.nonce()).encoded();
        assertEquals(Sw.WRONG_DATA, sw(() -> s.storeCertificates(mod, f.ca.persoUnitByCentral().encoded(), f.ca.centralByPersoUnit().encoded())));
        assertFalse(f.status().operating());
    }

    @Test
    void claim6_crossCertificateByAnotherCentralIsRejected() {
        f.enterTan(f.issueTan(moduleId));
        PersoSession s = f.persoSession(true);
        s.initiate(f.ca.persoUnitByManufacturer().encoded());
        PersoSession.Authenticated a = s.authenticate(new byte[16]);
        KeyPair rogueCentral = EcP256.generate();
        CvCertificate cross = CvCertificate.issue(CertificateAuthority.CENTRAL_CHR, CertificateAuthority.PERSO_UNIT_CHR,
                EcP256.encode(f.hsm.publicKey(CertificateAuthority.PERSO_UNIT_LABEL)), CvCertificate.Role.PERSO_UNIT, null,
                ModuleFixture.TODAY, ModuleFixture.TODAY.plusYears(1), body -> EcP256.signDer(rogueCentral.getPrivate(), body));
        assertEquals(Sw.SECURITY_STATUS_NOT_SATISFIED, sw(() -> s.storeCertificates(f.moduleCert(a.modulePoint(), a.nonce()).encoded(),
                f.ca.centralByPersoUnit().encoded(), cross.encoded())));
        assertFalse(f.status().operating());
    }

    @Test
    void expiredPersoUnitCertificateIsRejected() {
        f.personalize(true); // the module's certificate date is now today
        f.release();
        CvCertificate expired = f.ca.issuePersoUnit(ModuleFixture.TODAY.minusDays(30), ModuleFixture.TODAY.minusDays(1));
        assertEquals(Sw.REFERENCE_DATA_NOT_USABLE, sw(() -> f.persoSession(true).initiate(expired.encoded())));
        // and the host refuses an expired certificate with its own clock
        assertThrows(ModuleException.class, () -> expired.check(f.ca.manufacturerKey(), CertificateAuthority.MANUFACTURER_CHR,
                CvCertificate.Role.PERSO_UNIT, ModuleFixture.TODAY));
    }

    @Test
    void claim1_moduleCertificateForAnotherKeyIsRejected() {
        f.enterTan(f.issueTan(moduleId));
        PersoSession s = f.persoSession(true);
        s.initiate(f.ca.persoUnitByManufacturer().encoded());
        PersoSession.Authenticated a = s.authenticate(new byte[16]);
        byte[] other = EcP256.encode(EcP256.generate().getPublic());
        assertEquals(Sw.WRONG_DATA, sw(() -> s.storeCertificates(f.moduleCert(other, a.nonce()).encoded(),
                f.ca.centralByPersoUnit().encoded(), f.ca.persoUnitByCentral().encoded())));
        assertFalse(f.status().operating());
    }

    @Test
    void claim9_replayedCertificateWithAnOldNonceIsRejected() {
        f.enterTan(f.issueTan(moduleId));
        PersoSession first = f.persoSession(true);
        first.initiate(f.ca.persoUnitByManufacturer().encoded());
        byte[] oldNonce = first.authenticate(new byte[16]).nonce();

        f.enterTan(f.issueTan(moduleId));
        PersoSession second = f.persoSession(true);
        second.initiate(f.ca.persoUnitByManufacturer().encoded());
        PersoSession.Authenticated a = second.authenticate(new byte[16]);
        // right key, right signer, but the nonce of the earlier session
        assertEquals(Sw.WRONG_DATA, sw(() -> second.storeCertificates(f.moduleCert(a.modulePoint(), oldNonce).encoded(),
                f.ca.centralByPersoUnit().encoded(), f.ca.persoUnitByCentral().encoded())));
        assertFalse(f.status().operating());
    }

    @Test
    void claim3_tamperedProtectedCommandIsRejected() {
        f.enterTan(f.issueTan(moduleId));
        ModuleCard tampering = new ModuleCard(c -> {
            byte[] b = c.getBytes();
            if (c.getINS() == (Constants.INS_PERSO_AUTHENTICATE & 0xFF)) b[5] ^= 0x01; // first data byte
            return f.session.transmit(new javax.smartcardio.CommandAPDU(b));
        });
        PersoSession s = new PersoSession(tampering, body -> f.hsm.signSha256WithEcdsa(CertificateAuthority.PERSO_UNIT_LABEL, body));
        s.initiate(f.ca.persoUnitByManufacturer().encoded());
        assertEquals(Sw.SECURITY_STATUS_NOT_SATISFIED, sw(() -> s.authenticate(new byte[16])));
        assertFalse(f.status().has(Constants.FLAG_MODULE_KEY));
    }

    @Test
    void claim3_persoUnitWithoutTheSigningKeyIsRejected() {
        f.enterTan(f.issueTan(moduleId));
        KeyPair impostor = EcP256.generate();
        PersoSession s = new PersoSession(f.card(true), body -> EcP256.signDer(impostor.getPrivate(), body));
        s.initiate(f.ca.persoUnitByManufacturer().encoded()); // a copied, genuine certificate
        assertEquals(Sw.SECURITY_STATUS_NOT_SATISFIED, sw(() -> s.authenticate(new byte[16])));
        assertFalse(f.status().has(Constants.FLAG_MODULE_KEY));
    }

    @Test
    void claim8_identityChallengeResponseIsBoundToTheChallenge() {
        f.enterTan(f.issueTan(moduleId));
        PersoSession.Initiated i = f.persoSession(true).initiate(f.ca.persoUnitByManufacturer().encoded());
        assertTrue(i.identityProved());
        PersoSession.Initiated replayed = new PersoSession.Initiated(i.identity(), i.nonce(), i.cardEphemeral(), i.identitySignature(),
                EcP256.encode(EcP256.generate().getPublic()));
        assertFalse(replayed.identityProved());
    }

    @Test
    void stateViolations() {
        // personalization state: operating commands refused
        assertEquals(Sw.CONDITIONS_NOT_SATISFIED, f.sw(ModuleApdus.centralAuthenticate(EcP256.encode(EcP256.generate().getPublic()), false)));
        assertEquals(Sw.CONDITIONS_NOT_SATISFIED, f.sw(ModuleApdus.transaction(new byte[20])));
        assertEquals(Sw.CONDITIONS_NOT_SATISFIED, f.sw(ModuleApdus.centralConfirm(new byte[8])));
        // perso steps out of order
        assertEquals(Sw.CONDITIONS_NOT_SATISFIED, f.sw(ModuleApdus.persoAuthenticate(new byte[32])));
        assertEquals(Sw.CONDITIONS_NOT_SATISFIED, f.sw(ModuleApdus.persoStoreCerts(new byte[32], false)));
        // one-time manufacturing steps
        assertEquals(Sw.CONDITIONS_NOT_SATISFIED, f.sw(ModuleApdus.setCheckingKey(f.ca.manufacturerPoint())));
        assertEquals(Sw.CONDITIONS_NOT_SATISFIED, f.sw(ModuleApdus.generateIdentity()));
        // operating state: personalization commands refused
        f.personalize(true);
        assertEquals(Sw.CONDITIONS_NOT_SATISFIED, f.sw(ModuleApdus.enterTan("12345678")));
        assertEquals(Sw.CONDITIONS_NOT_SATISFIED, f.sw(ModuleApdus.persoInitiate(f.ca.persoUnitByManufacturer().encoded(),
                EcP256.encode(EcP256.generate().getPublic()), true)));
        assertEquals(Sw.CONDITIONS_NOT_SATISFIED, f.sw(ModuleApdus.persoAuthenticate(new byte[32])));
        // never again after personalization (table row REFUSE_NOT_ALLOWED)
        assertEquals(Sw.COMMAND_NOT_ALLOWED, f.sw(ModuleApdus.setCheckingKey(f.ca.manufacturerPoint())));
        // transaction before any key agreement
        assertEquals(Sw.SECURITY_STATUS_NOT_SATISFIED, f.sw(ModuleApdus.transaction(new byte[20])));
        // malformed input gets an ISO status word, never 6F00
        assertEquals(Sw.CLA_NOT_SUPPORTED, f.sw(new javax.smartcardio.CommandAPDU(0x00, dev.cardsmith.applet.module.Constants.INS_GET_STATUS, 0, 0, 256)));
        assertEquals(Sw.INS_NOT_SUPPORTED, f.sw(new javax.smartcardio.CommandAPDU(0x80, 0x7E, 0, 0)));
        assertEquals(Sw.INCORRECT_P1P2, f.sw(new javax.smartcardio.CommandAPDU(0x80, dev.cardsmith.applet.module.Constants.INS_GET_STATUS, 0, 1, 256)));
        // the commands a UICC answers itself in class 80 (TS 102 221 table 10.5) are none of the module's
        for (int ins : new int[] {0x10, 0x12, 0x14, 0xC2, 0xF2, 0x32, 0xCB, 0xDB, 0xAA}) {
            assertEquals(Sw.INS_NOT_SUPPORTED, f.sw(new javax.smartcardio.CommandAPDU(0x80, ins, 0, 0)), "INS " + Integer.toHexString(ins));
        }
        assertEquals(Sw.WRONG_DATA, f.sw(ModuleApdus.centralAuthenticate(new byte[65], false)));
    }

    @Test
    void claim13_noTanEnteredStopsAuthenticate() {
        PersoSession s = f.persoSession(true);
        s.initiate(f.ca.persoUnitByManufacturer().encoded());
        assertEquals(Sw.CONDITIONS_NOT_SATISFIED, sw(() -> s.authenticate(new byte[16])));
        assertEquals(Sw.WRONG_DATA, f.sw(ModuleApdus.enterTan("12ab")));
    }

    @Test
    void claim17_wrongTanIsRefusedAndTheModuleStaysInPersonalization() {
        f.issueTan(moduleId);
        f.enterTan("00000000");
        ModuleException e = assertThrows(ModuleException.class, () -> new PersonalizationUnit(f.ca).personalize(f.card(true), ModuleFixture.TODAY, null));
        assertTrue(e.getMessage().contains("wrong TAN"), e.getMessage());
        assertFalse(f.status().operating());
        assertEquals(1, f.store.module(moduleId).orElseThrow().tanFailures());
    }

    @Test
    void claim17_reusedTanIsRefused() {
        String tan = f.issueTan(moduleId);
        f.enterTan(tan);
        new PersonalizationUnit(f.ca).personalize(f.card(true), ModuleFixture.TODAY, null);
        f.release();
        f.enterTan(tan);
        ModuleException e = assertThrows(ModuleException.class, () -> new PersonalizationUnit(f.ca).personalize(f.card(true), ModuleFixture.TODAY, null));
        assertTrue(e.getMessage().contains("wrong TAN"), e.getMessage());
        assertEquals(1, f.store.countTans(moduleId, "USED"));
    }

    @Test
    void claim17_tanBruteForceStopsAtTheLimit() {
        String good = f.issueTan(moduleId);
        for (int i = 0; i < ModuleStore.MAX_TAN_FAILURES; i++) {
            f.enterTan(String.format("%08d", i));
            assertThrows(ModuleException.class, () -> new PersonalizationUnit(f.ca).personalize(f.card(true), ModuleFixture.TODAY, null));
        }
        assertEquals(1, f.store.countTans(moduleId, "BLOCKED"));
        f.enterTan(good);
        ModuleException e = assertThrows(ModuleException.class, () -> new PersonalizationUnit(f.ca).personalize(f.card(true), ModuleFixture.TODAY, null));
        assertTrue(e.getMessage().contains("blocked"), e.getMessage());
        assertFalse(f.status().operating());
        // a fresh TAN from the perso unit unblocks
        f.enterTan(f.issueTan(moduleId));
        new PersonalizationUnit(f.ca).personalize(f.card(true), ModuleFixture.TODAY, null);
        assertTrue(f.status().operating());
    }

    @Test
    void tanIsStoredHashedNotInClear() throws Exception {
        String tan = f.issueTan(moduleId);
        try (var c = f.db.connect(); var s = c.createStatement(); var rs = s.executeQuery("SELECT salt, hash FROM module_tan")) {
            assertTrue(rs.next());
            assertFalse(rs.getString(2).contains(tan));
            assertFalse(rs.getString(2).contains(dev.cardsmith.crypto.Hex.of(tan.getBytes())));
        }
    }

    @Test
    void brokenChainsAndOverlongCommandsGetIsoStatusWords() {
        // first piece of a chained INITIATE, then another command: the chain is dropped (ApduIo),
        // the other command runs, and the chain's last piece alone is a command of its own
        assertEquals(0x9000, f.sw(new javax.smartcardio.CommandAPDU(0x90, Constants.INS_PERSO_INITIATE & 0xFF, 0, 0, new byte[100])));
        assertEquals(0x9000, f.sw(ModuleApdus.enterTan("12345678")));
        assertEquals(Sw.WRONG_DATA, f.sw(new javax.smartcardio.CommandAPDU(0x80, Constants.INS_PERSO_INITIATE & 0xFF, 0, 0, new byte[100])));
        // chaining on a command that does not take it
        assertEquals(Sw.CHAINING_NOT_SUPPORTED, f.sw(new javax.smartcardio.CommandAPDU(0x90, Constants.INS_ENTER_TAN & 0xFF, 0, 0, new byte[8])));
        // more than the 1 KB stage
        f.session.extendedLength(true);
        assertEquals(Sw.WRONG_LENGTH, f.sw(new javax.smartcardio.CommandAPDU(0x80, Constants.INS_PERSO_INITIATE & 0xFF, 0, 0, new byte[1100], 65536)));
        // truncated certificate in INITIATE
        byte[] cert = f.ca.persoUnitByManufacturer().encoded();
        assertEquals(Sw.WRONG_DATA, f.sw(ModuleApdus.persoInitiate(java.util.Arrays.copyOf(cert, cert.length - 10), new byte[0], true)));
    }

    /**
     * Review finding 5: SET CHECKING KEY is first come on a card installed without the key. No
     * other command changes the card before it: identity, perso and operating commands all
     * need the checking key, so the factory's "install, then SET CHECKING KEY" cannot be
     * pre-empted; once set (or once anything depends on it) it is refused.
     */
    @Test
    void claim7_checkingKeyIsTheFirstStateChange() {
        try (dev.cardsmith.transport.CardSession fresh = ModuleFixture.newCard()) {
            fresh.select(ModuleApdus.INSTANCE_AID);
            assertEquals(Sw.CONDITIONS_NOT_SATISFIED, fresh.transmit(ModuleApdus.generateIdentity()).getSW());
            assertEquals(Sw.CONDITIONS_NOT_SATISFIED, fresh.transmit(ModuleApdus.storeIdentityCert(new byte[8], false)).getSW());
            assertEquals(Sw.CONDITIONS_NOT_SATISFIED, fresh.transmit(ModuleApdus.persoInitiate(new byte[8], new byte[65], false)).getSW());
            assertEquals(0x9000, fresh.transmit(ModuleApdus.setCheckingKey(f.ca.manufacturerPoint())).getSW());
            assertEquals(Sw.CONDITIONS_NOT_SATISFIED, fresh.transmit(ModuleApdus.setCheckingKey(f.ca.manufacturerPoint())).getSW());
        }
    }
}
