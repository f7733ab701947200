package dev.cardsmith.module;

import dev.cardsmith.support.SimulatorOnly;
import dev.cardsmith.applet.module.Constants;
import dev.cardsmith.applet.platform.Sw;
import dev.cardsmith.crypto.EcP256;
import org.junit.jupiter.api.Test;

import javax.smartcardio.CommandAPDU;
import java.security.KeyPair;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Claim 2 against an attacker with a reader (docs/threat-model.md, Module: malicious reader or
 * relay, lost or stolen device): ENTER PERSONALIZATION on an operating module erases the module,
 * central and transaction keys, so it needs a release authorization - a signature of the
 * central system (or the perso unit that personalized the module) over 'E' || a one-time card
 * challenge || the module's public key. Without one, with a replayed one, with one for another
 * module or by another key, the module stays operating and writes nothing.
 */
class ModuleReleaseAttackTest extends EnrolledModuleTest {

    @Override
    boolean personalizedAtStart() {
        return true;
    }

    private ModuleApdus.ReleaseChallenge challenge() {
        return f.card(true).releaseChallenge();
    }

    private byte[] signedBy(String label, byte[] challenge, byte[] point) {
        return f.hsm.signSha256WithEcdsa(label, ModuleApdus.releaseTranscript(challenge, point));
    }

    private void stillOperating(String before) throws Exception {
        assertTrue(f.status().operating(), "the module left the operating state");
        assertTrue(f.status().has(Constants.FLAG_MODULE_KEY), "the module key was erased");
        assertEquals(before, ModuleOnCard.persistentState(f.session), "the refused command wrote");
    }

    @SimulatorOnly("compares the module applet persistent fields, read by reflection, before and after")
    @Test
    void anyoneWithAReaderCannotEraseAnOperatingModule() throws Exception {
        String before = ModuleOnCard.persistentState(f.session);
        int sw = f.sw(ModuleApdus.enterPersonalization());
        assertEquals(Sw.CONDITIONS_NOT_SATISFIED, sw, "ENTER PERSONALIZATION without authorization answered " + Integer.toHexString(sw));
        stillOperating(before);
    }

    @SimulatorOnly("compares the module applet persistent fields, read by reflection, before and after")
    @Test
    void releaseAuthorizationWithoutAChallengeIsRefused() throws Exception {
        String before = ModuleOnCard.persistentState(f.session);
        byte[] point = f.card(false).moduleCertificate().publicPoint();
        byte[] sig = signedBy(CertificateAuthority.CENTRAL_LABEL, new byte[Constants.NONCE_LENGTH], point);
        assertEquals(Sw.CONDITIONS_NOT_SATISFIED, f.sw(ModuleApdus.enterPersonalization(sig)));
        stillOperating(before);
    }

    @SimulatorOnly("compares the module applet persistent fields, read by reflection, before and after")
    @Test
    void replayedReleaseAuthorizationIsRefused() throws Exception {
        // record a genuine release, personalize again, replay it (after a fresh challenge and without one)
        byte[][] recorded = new byte[1][];
        ModuleCard recording = new ModuleCard(c -> {
            if (c.getINS() == (Constants.INS_ENTER_PERSONALIZATION & 0xFF)) recorded[0] = c.getBytes();
            return f.session.transmit(c);
        });
        new CentralSystem(f.ca).release(recording);
        f.personalize(true);
        String before = ModuleOnCard.persistentState(f.session);
        assertEquals(Sw.CONDITIONS_NOT_SATISFIED, f.session.transmit(new CommandAPDU(recorded[0])).getSW());
        challenge();
        assertEquals(Sw.SECURITY_STATUS_NOT_SATISFIED, f.session.transmit(new CommandAPDU(recorded[0])).getSW());
        stillOperating(before);
    }

    @SimulatorOnly("compares the module applet persistent fields, read by reflection, before and after")
    @Test
    void releaseAuthorizationForAnotherModuleIsRefused() throws Exception {
        String before = ModuleOnCard.persistentState(f.session);
        ModuleApdus.ReleaseChallenge rc = challenge();
        byte[] otherModule = EcP256.encode(EcP256.generate().getPublic());
        assertEquals(Sw.SECURITY_STATUS_NOT_SATISFIED, f.sw(ModuleApdus.enterPersonalization(
                signedBy(CertificateAuthority.CENTRAL_LABEL, rc.challenge(), otherModule))));
        stillOperating(before);
    }

    @SimulatorOnly("compares the module applet persistent fields, read by reflection, before and after")
    @Test
    void releaseAuthorizationByAnUncertifiedKeyIsRefused() throws Exception {
        String before = ModuleOnCard.persistentState(f.session);
        ModuleApdus.ReleaseChallenge rc = challenge();
        KeyPair impostor = EcP256.generate();
        byte[] sig = EcP256.signDer(impostor.getPrivate(), ModuleApdus.releaseTranscript(rc.challenge(), rc.modulePoint()));
        assertEquals(Sw.SECURITY_STATUS_NOT_SATISFIED, f.sw(ModuleApdus.enterPersonalization(sig)));
        // the manufacturer key certifies, it does not release
        ModuleApdus.ReleaseChallenge rc2 = challenge();
        assertEquals(Sw.SECURITY_STATUS_NOT_SATISFIED, f.sw(ModuleApdus.enterPersonalization(
                signedBy(CertificateAuthority.MANUFACTURER_LABEL, rc2.challenge(), rc2.modulePoint()))));
        stillOperating(before);
    }

    @SimulatorOnly("compares the module applet persistent fields, read by reflection, before and after")
    @Test
    void aRefusedReleaseSpendsTheChallenge() throws Exception {
        String before = ModuleOnCard.persistentState(f.session);
        ModuleApdus.ReleaseChallenge rc = challenge();
        byte[] point = rc.modulePoint();
        // a malformed signature (DER 30 00) is a wrong signature: 6982, never 6F01
        assertEquals(Sw.SECURITY_STATUS_NOT_SATISFIED, f.sw(ModuleApdus.enterPersonalization(new byte[]{0x30, 0x00})));
        // the genuine authorization for that challenge now finds no challenge (no second guess per challenge)
        assertEquals(Sw.CONDITIONS_NOT_SATISFIED, f.sw(ModuleApdus.enterPersonalization(
                signedBy(CertificateAuthority.CENTRAL_LABEL, rc.challenge(), point))));
        stillOperating(before);
    }

    @Test
    void centralSystemReleaseErasesTheModuleKeysAndItsOwnTransactionKey() {
        CentralSystem central = new CentralSystem(f.ca);
        central.authenticate(f.card(true), ModuleFixture.TODAY);
        assertTrue(central.hasKey(moduleId));
        dev.cardsmith.transport.CardSession.Stats before = f.session.stats().snapshot();
        assertEquals(moduleId, central.release(f.card(true)));
        assertEquals(2, f.session.stats().since(before).apdus(), "RELEASE CHALLENGE + ENTER PERSONALIZATION: one round trip more than before");
        ModuleApdus.Status st = f.status();
        assertFalse(st.operating());
        assertFalse(st.has(Constants.FLAG_MODULE_KEY));
        assertFalse(st.has(Constants.FLAG_TRANSACTION_KEY));
        assertFalse(central.hasKey(moduleId), "the central system kept the transaction key of a released module");
        assertFalse(f.hsm.contains(CentralSystem.TX_KEY_PREFIX + moduleId));
        assertEquals("RESET", f.store.module(moduleId).orElseThrow().state());
        assertEquals(1, f.store.countSessions(moduleId, "RELEASE", true));
    }

    @Test
    void thePersoUnitThatPersonalizedTheModuleMayReleaseItToo() {
        ModuleApdus.ReleaseChallenge rc = challenge();
        assertEquals(0x9000, f.sw(ModuleApdus.enterPersonalization(
                signedBy(CertificateAuthority.PERSO_UNIT_LABEL, rc.challenge(), rc.modulePoint()))));
        assertFalse(f.status().operating());
    }

    @Test
    void centralSystemRefusesToReleaseAModuleItsPersoUnitDidNotCertify() {
        // a card (or relay) presenting a module key no certificate of this perso unit names
        byte[] foreign = EcP256.encode(EcP256.generate().getPublic());
        ModuleCard lying = new ModuleCard(c -> {
            javax.smartcardio.ResponseAPDU r = f.session.transmit(c);
            if (c.getINS() != (Constants.INS_RELEASE_CHALLENGE & 0xFF)) return r;
            byte[] challenge = ModuleApdus.parseReleaseChallenge(r.getData()).challenge();
            byte[] data = dev.cardsmith.codec.Tlv.concat(dev.cardsmith.codec.Tlv.of(Constants.TAG_NONCE, challenge),
                    dev.cardsmith.codec.Tlv.of(Constants.TAG_MODULE_KEY, foreign));
            return new javax.smartcardio.ResponseAPDU(dev.cardsmith.codec.Tlv.concat(data, new byte[]{(byte) 0x90, 0}));
        });
        org.junit.jupiter.api.Assertions.assertThrows(ModuleException.class, () -> new CentralSystem(f.ca).release(lying));
        assertTrue(f.status().operating());
    }

    @Test
    void releaseChallengeOutsideTheOperatingStateIsRefused() {
        f.release();
        assertEquals(Sw.CONDITIONS_NOT_SATISFIED, f.sw(ModuleApdus.releaseChallenge()));
        assertEquals(0x9000, f.sw(ModuleApdus.enterPersonalization()), "from personalization no authorization is needed");
    }
}
