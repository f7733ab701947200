package dev.cardsmith.module;

import dev.cardsmith.crypto.EcP256;
import dev.cardsmith.codec.Tlv;
import dev.cardsmith.applet.module.Constants;
import dev.cardsmith.applet.platform.Sw;
import dev.cardsmith.crypto.Cmac;
import dev.cardsmith.transport.CardSession;
import dev.cardsmith.transport.CardStatusException;
import org.junit.jupiter.api.Test;

import javax.smartcardio.CommandAPDU;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Operating state: central-system authentication, transaction key, replay protection, re-personalization. */
class ModuleOperatingTest extends EnrolledModuleTest {

    @Override
    boolean personalizedAtStart() {
        return true;
    }

    @Test
    void claim11_transactionKeyIsStoredAndUsedForLaterTransactions() {
        CentralSystem central = new CentralSystem(f.ca);
        central.authenticate(f.card(true), ModuleFixture.TODAY);
        f.session.reset(); // a later connection: power cycle, new selection
        f.select();
        assertTrue(f.status().has(Constants.FLAG_TRANSACTION_KEY));
        for (int i = 1; i <= 3; i++) central.transact(f.card(false), moduleId, ("tx " + i).getBytes(StandardCharsets.UTF_8));
        assertEquals(3, f.status().transactionCounter());
        assertEquals(1, f.store.countSessions(moduleId, "CENTRAL_AUTH", true));
    }

    @Test
    void claim4_centralSystemWithoutTheCertifiedKeyIsRejected() {
        KeyPair eph = EcP256.generate();
        byte[] r = f.card(true).transmitOk("CA", ModuleApdus.centralAuthenticate(EcP256.encode(eph.getPublic()), true)).getData();
        KeyPair impostor = EcP256.generate();
        byte[] sig = EcP256.signDer(impostor.getPrivate(), new byte[]{1, 2, 3});
        assertEquals(Sw.SECURITY_STATUS_NOT_SATISFIED, f.sw(ModuleApdus.centralConfirm(sig)));
        assertFalse(f.status().has(Constants.FLAG_TRANSACTION_KEY));
        assertTrue(r.length > 100);
    }

    /** A malformed signature DER (30 00) provoked an unexpected exception (6F01) in the verifier: it is a wrong signature. */
    @Test
    void malformedCentralSignatureIsAWrongSignatureNotAnUnexpectedException() {
        f.card(true).transmitOk("CA", ModuleApdus.centralAuthenticate(EcP256.encode(EcP256.generate().getPublic()), true));
        assertEquals(Sw.SECURITY_STATUS_NOT_SATISFIED, f.sw(ModuleApdus.centralConfirm(new byte[]{0x30, 0x00})));
        assertFalse(f.status().has(Constants.FLAG_TRANSACTION_KEY));
    }

    @Test
    void confirmWithoutAuthenticateIsRejected() {
        assertEquals(Sw.CONDITIONS_NOT_SATISFIED, f.sw(ModuleApdus.centralConfirm(new byte[70])));
    }

    @Test
    void replayedConfirmationOfAnEarlierSessionIsRejected() {
        // record a genuine confirmation, then present it to a new session
        byte[][] recorded = new byte[1][];
        ModuleCard recording = new ModuleCard(c -> {
            if (c.getINS() == (Constants.INS_CENTRAL_CONFIRM & 0xFF)) recorded[0] = c.getBytes();
            return f.session.transmit(c);
        });
        new CentralSystem(f.ca).authenticate(recording, ModuleFixture.TODAY);
        f.card(true).transmitOk("CA", ModuleApdus.centralAuthenticate(EcP256.encode(EcP256.generate().getPublic()), true));
        assertEquals(Sw.SECURITY_STATUS_NOT_SATISFIED, f.session.transmit(new CommandAPDU(recorded[0])).getSW());
    }

    @Test
    void claim11_replayedOrForgedTransactionIsRejected() {
        CentralSystem central = new CentralSystem(f.ca);
        central.authenticate(f.card(true), ModuleFixture.TODAY);
        byte[][] sent = new byte[1][];
        ModuleCard recording = new ModuleCard(c -> {
            sent[0] = c.getBytes();
            return f.session.transmit(c);
        });
        central.transact(recording, moduleId, "pay 1".getBytes(StandardCharsets.UTF_8));
        assertEquals(Sw.SECURITY_STATUS_NOT_SATISFIED, f.session.transmit(new CommandAPDU(sent[0])).getSW());
        byte[] forged = sent[0].clone();
        forged[forged.length - 2] ^= 1; // MAC byte (before Le)
        assertEquals(Sw.SECURITY_STATUS_NOT_SATISFIED, f.session.transmit(new CommandAPDU(forged)).getSW());
        assertEquals(1, f.status().transactionCounter());
    }

    @Test
    void centralSystemRejectsAModuleCertifiedByAnUnknownPersoUnit() {
        CentralSystem central = new CentralSystem(f.ca);
        KeyPair roguePerso = EcP256.generate();
        CvCertificate rogue = CvCertificate.issue("ZZCSPU00099", "ZZMROGUE000001", EcP256.encode(EcP256.generate().getPublic()),
                CvCertificate.Role.MODULE, new byte[16], ModuleFixture.TODAY, ModuleFixture.TODAY.plusYears(1),
                body -> EcP256.signDer(roguePerso.getPrivate(), body));
        assertThrows(ModuleException.class, () -> central.checkModuleChain(rogue, ModuleFixture.TODAY));
        CvCertificate real = CvCertificate.parse(f.card(false).transmitOk("GS", ModuleApdus.getStatus(2)).getData());
        central.checkModuleChain(real, ModuleFixture.TODAY);
        assertThrows(ModuleException.class, () -> central.checkModuleChain(real, real.expiry().plusDays(1)));
    }

    @Test
    void claim2_rePersonalizationErasesTheModuleKey() {
        CentralSystem central = new CentralSystem(f.ca);
        central.authenticate(f.card(true), ModuleFixture.TODAY);
        byte[] oldCert = f.card(false).transmitOk("GS", ModuleApdus.getStatus(2)).getData();
        f.release();
        ModuleApdus.Status st = f.status();
        assertFalse(st.operating());
        assertFalse(st.has(Constants.FLAG_MODULE_KEY));
        assertFalse(st.has(Constants.FLAG_TRANSACTION_KEY));
        assertEquals(Sw.REFERENCED_DATA_NOT_FOUND, f.sw(ModuleApdus.getStatus(2)));
        assertThrows(CardStatusException.class, () -> central.authenticate(f.card(true), ModuleFixture.TODAY));
        assertThrows(ModuleException.class, () -> central.transact(f.card(false), moduleId, new byte[1]), "the release dropped the transaction key");
        // identity survives (claim 8: permanent), a new personalization gives a new module key
        assertTrue(st.has(Constants.FLAG_IDENTITY_CERT));
        f.personalize(true);
        byte[] newCert = f.card(false).transmitOk("GS", ModuleApdus.getStatus(2)).getData();
        assertNotEquals(Arrays.toString(CvCertificate.parse(oldCert).publicPoint()), Arrays.toString(CvCertificate.parse(newCert).publicPoint()));
        assertEquals(2, f.store.module(moduleId).orElseThrow().personalizations());
    }

    @Test
    void moduleCertificateOnCardParsesWithBouncyCastleAndCarriesTheNonce() throws Exception {
        byte[] enc = f.card(false).transmitOk("GS", ModuleApdus.getStatus(2)).getData();
        org.bouncycastle.asn1.eac.CVCertificate bc = org.bouncycastle.asn1.eac.CVCertificate.getInstance(enc);
        assertEquals(Constants.ROLE_MODULE, (byte) bc.getBody().getCertificateHolderAuthorization().getAccessRights());
        CvCertificate c = CvCertificate.parse(enc);
        assertEquals(16, c.nonce().length);
        assertTrue(c.verifiedBy(f.hsm.publicKey(CertificateAuthority.PERSO_UNIT_LABEL)));
        assertArrayEquals(enc, CvCertificate.parse(enc).encoded());
    }

    @Test
    void receiptKeyMatchesTheCardDerivation() {
        // the receipt the card computes equals CMAC(K_receipt, ...) with the host derivation (claim 11 KDF end to end)
        KeyPair eph = EcP256.generate();
        byte[] ePk = EcP256.encode(eph.getPublic());
        byte[] r = f.card(true).transmitOk("CA", ModuleApdus.centralAuthenticate(ePk, true)).getData();
        Tlv.Reader rd = new Tlv.Reader(r);
        byte[] ePkCard = rd.expect(Constants.TAG_EPHEMERAL_KEY).value();
        byte[] receipt = rd.expect(Constants.TAG_RECEIPT).value();
        CvCertificate mc = CvCertificate.parse(Arrays.copyOfRange(r, rd.position(), r.length));
        SessionKeys.Central k = SessionKeys.central(EcP256.agree(eph.getPrivate(), EcP256.decode(ePkCard)), EcP256.agree(eph.getPrivate(), mc.publicKey()));
        assertArrayEquals(Cmac.aes(k.receipt(), Tlv.concat(Tlv.of(Constants.TAG_EPHEMERAL_KEY, ePk), Tlv.of(Constants.TAG_EPHEMERAL_KEY, ePkCard))), receipt);
    }

    @Test
    void apduRoundTripsPerPersonalization() {
        f.release();
        CardSession.Stats before = f.session.stats().snapshot();
        new LocalModule(f.session).personalize(new PersonalizationUnit(f.ca), f.issueTan(moduleId), true, ModuleFixture.TODAY);
        CardSession.Stats ext = f.session.stats().since(before);
        f.release();
        before = f.session.stats().snapshot();
        new LocalModule(f.session).personalize(new PersonalizationUnit(f.ca), f.issueTan(moduleId), false, ModuleFixture.TODAY);
        CardSession.Stats shortApdus = f.session.stats().since(before);
        before = f.session.stats().snapshot();
        CentralSystem central = new CentralSystem(f.ca);
        central.authenticate(f.card(true), ModuleFixture.TODAY);
        central.transact(f.card(true), moduleId, "pay 42".getBytes(StandardCharsets.UTF_8));
        CardSession.Stats centralStats = f.session.stats().since(before);
        System.out.println("[module] personalization (TAN entry + 3 perso commands), extended length: " + ext);
        System.out.println("[module] personalization, short APDUs (chaining + GET RESPONSE): " + shortApdus);
        System.out.println("[module] central authentication + one transaction: " + centralStats);
        assertEquals(4, ext.apdus());
        assertTrue(ext.apdus() <= 6);
        assertTrue(shortApdus.apdus() <= 10, shortApdus.toString());
        assertEquals(3, centralStats.apdus());
    }
}
