package dev.cardsmith.psd;

import dev.cardsmith.applet.psd.PsdProtocol;
import dev.cardsmith.crypto.Hex;
import dev.cardsmith.hsm.HsmKdf;
import dev.cardsmith.support.CardTest;
import dev.cardsmith.transport.CardSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.smartcardio.ResponseAPDU;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Issue 12, versioning and rotation: KRK and transport keys carry versions, the KMS rotates the
 * KRK block, the access server moves a PSD to the new KRK (CHANGE KRK), and a blocked security
 * executive is recovered by the KRK holder (RECOVER) in the session that replaces the MK.
 */
@CardTest
class PsdKrkLifecycleTest extends PsdCardTest {

    /** The PSD's KRK in clear, from the stored cryptogram (what an insider with the KMS private key and KRK block would get). */
    private byte[] krkOf(PsdStore.Row row) {
        byte[] random = w.accessHsm.rsaOaepDecrypt(row.rsaKeyLabel(), Hex.parse(row.cryptogramHex()));
        return HsmKdf.deriveKey(w.accessHsm, PsdKeys.krkBlock(row.krkVersion()), PsdKeys.KRK_LABEL, random, 16);
    }

    private static byte[] proof(byte[] krk, byte constant, byte[] context) {
        return Scp03.kdf(Scp03.StaticKey.of(krk), constant, 128, context);
    }

    @Test
    void leakedOldKrkIsUselessAfterTheAccessServerMovesThePsdToANewKrk() {
        w.access.issue(card);
        PsdStatus st = w.access.select(card);
        PsdStore.Row before = w.store.find(st.idHex()).orElseThrow();
        byte[] oldKrk = krkOf(before);
        assertEquals(1, w.kms.rotateKrkBlock() - 1);
        w.transfer();

        AccessServer.Outcome o = w.access.changeKrk(card);
        assertEquals(5, o.apdus().apdus(), "SELECT + IU + EA + UNLOCK + CHANGE KRK");
        st = w.access.select(card);
        assertEquals(2, st.krkVersion());
        assertEquals("LOCKED", st.executiveName());
        PsdStore.Row after = w.store.find(st.idHex()).orElseThrow();
        assertEquals(2, after.krkVersion());
        assertNull(after.pendingKrkVersion());
        assertNotEquals(before.cryptogramHex(), after.cryptogramHex(), "a new random, a new cryptogram");

        // the old KRK's proof is refused (a try is spent), the new one unlocks
        Scp03 sc = w.access.openSecureChannel(card, st, st.mkVersion(), 0x33);
        ResponseAPDU r = card.transmit(sc.wrap(PsdApdus.unlock(proof(oldKrk, PsdProtocol.DC_UNLOCK_PROOF, sc.context()))));
        assertEquals(0x63C2, r.getSW());
        assertEquals(0x9000, card.transmit(sc.wrap(PsdApdus.unlock(w.access.unlockProof(st, sc.context())))).getSW());
        card.select(AccessServer.PSD_AID);

        // and the MK replacement goes on with the new KRK
        int v2 = w.rotate();
        w.access.replaceMasterKey(card);
        assertEquals(v2, w.access.select(card).mkVersion());
        assertTrue(w.store.events(st.idHex()).containsAll(java.util.List.of("krk-change-intent (krk v2)", "krk-changed (krk v2)")));
    }

    @Test
    void changeKrkChecksVersionWrapAndUnlock() {
        w.access.issue(card);
        PsdStatus st = w.access.select(card);
        byte[] krk = krkOf(w.store.find(st.idHex()).orElseThrow());
        byte[] next = Hex.parse("5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A");
        Scp03 sc = w.access.openSecureChannel(card, st, st.mkVersion(), 0x33);
        byte[] wrapped = Scp03GpHostInteropTest.rfc3394(Scp03GpHostInteropTest.replacementKek(krk, sc.context()), next);
        assertEquals(sw(PsdProtocol.SW_SECURITY_NOT_SATISFIED), card.transmit(sc.wrap(PsdApdus.changeKrk(2, wrapped))).getSW(), "locked");
        sc = w.access.openSecureChannel(card, st, st.mkVersion(), 0x33);
        assertEquals(0x9000, card.transmit(sc.wrap(PsdApdus.unlock(w.access.unlockProof(st, sc.context())))).getSW());
        wrapped = Scp03GpHostInteropTest.rfc3394(Scp03GpHostInteropTest.replacementKek(krk, sc.context()), next);
        assertEquals(sw(PsdProtocol.SW_WRONG_DATA), card.transmit(sc.wrap(PsdApdus.changeKrk(1, wrapped))).getSW(), "version must grow");
        byte[] underMk = Scp03GpHostInteropTest.rfc3394(krk, next);
        assertEquals(sw(PsdProtocol.SW_WRONG_DATA), card.transmit(sc.wrap(PsdApdus.changeKrk(2, underMk))).getSW(), "not under this session's KEK");
        assertEquals(1, w.access.select(card).krkVersion());
        sc = w.access.openSecureChannel(card, st, st.mkVersion(), 0x33);
        assertEquals(0x9000, card.transmit(sc.wrap(PsdApdus.unlock(w.access.unlockProof(st, sc.context())))).getSW());
        wrapped = Scp03GpHostInteropTest.rfc3394(Scp03GpHostInteropTest.replacementKek(krk, sc.context()), next);
        ResponseAPDU ok = card.transmit(sc.wrap(PsdApdus.changeKrk(2, wrapped)));
        assertEquals(0x9000, ok.getSW(), "the checks above are live");
        assertArrayEquals(new byte[] {2}, sc.unwrap(ok));
        assertEquals(2, w.access.select(card).krkVersion());
    }

    /**
     * The holder of a (leaked) MK can open SCP03 sessions and guess KRK proofs until the executive
     * blocks, so that the MK he holds could never be replaced. The access server recovers the
     * executive with the KRK (RECOVER, no counter, a wrong guess ends the session) in the very
     * session that replaces the MK: one APDU in place of UNLOCK.
     */
    @Test
    void oldMasterKeyHolderBlockingTheExecutiveCannotKeepHisKey() {
        w.access.issue(card);
        PsdStatus st = w.access.select(card);
        for (int left = 2; left >= 0; left--) {
            Scp03 sc = w.access.openSecureChannel(card, st, st.mkVersion(), 0x13);
            ResponseAPDU r = card.transmit(sc.wrap(PsdApdus.unlock(new byte[16])));
            assertEquals(0x63C0 | left, r.getSW());
            sc.unwrap(r);
        }
        Scp03 sc = w.access.openSecureChannel(card, st, st.mkVersion(), 0x33);
        assertEquals(sw(PsdProtocol.SW_AUTH_BLOCKED), card.transmit(sc.wrap(PsdApdus.unlock(w.access.unlockProof(st, sc.context())))).getSW(),
                "blocked: even the right proof is refused by UNLOCK");
        assertEquals("BLOCKED", w.access.select(card).executiveName());

        // the guesser goes on with RECOVER: each wrong guess ends his session, nothing is unlocked
        Scp03 g = w.access.openSecureChannel(card, st, st.mkVersion(), 0x33);
        assertEquals(sw(PsdProtocol.SW_SECURITY_NOT_SATISFIED), card.transmit(g.wrap(PsdApdus.recover(new byte[16]))).getSW());
        assertEquals(sw(PsdProtocol.SW_SECURITY_NOT_SATISFIED), card.transmit(g.wrap(PsdApdus.unlock(new byte[16]))).getSW(), "session ended");
        assertEquals("BLOCKED", w.access.select(card).executiveName());

        // the access server replaces the MK, recovering on the way (same APDU count as a plain replacement)
        int v2 = w.rotate();
        AccessServer.Outcome o = w.access.replaceMasterKey(card);
        assertEquals(5, o.apdus().apdus(), "SELECT + IU + EA + RECOVER + REPLACE MK");
        st = w.access.select(card);
        assertEquals(v2, st.mkVersion());
        assertEquals("LOCKED", st.executiveName());
        assertEquals(3, st.krkTriesLeft());
        assertTrue(w.store.events(st.idHex()).stream().anyMatch(e -> e.startsWith("recovered")));
    }

    @Test
    void recoverIsOnlyForABlockedExecutive() {
        w.access.issue(card);
        PsdStatus st = w.access.select(card);
        Scp03 sc = w.access.openSecureChannel(card, st, st.mkVersion(), 0x33);
        byte[] recovery = Scp03.kdf(Scp03.StaticKey.of(krkOf(w.store.find(st.idHex()).orElseThrow())), PsdProtocol.DC_RECOVERY_PROOF, 128, sc.context());
        assertEquals(sw(PsdProtocol.SW_CONDITIONS_NOT_SATISFIED), card.transmit(sc.wrap(PsdApdus.recover(recovery))).getSW());
        assertEquals(sw(PsdProtocol.SW_INCORRECT_P1P2), card.transmit(sc.wrap(new javax.smartcardio.CommandAPDU(0x80, PsdProtocol.INS_UNLOCK, 2, 0, new byte[16]))).getSW());
        assertEquals("LOCKED", w.access.select(card).executiveName());
    }

    @Test
    void transportKeysCarryVersions() {
        assertEquals(1, w.access.latestTransportKeyVersion());
        byte[] tk2 = Hex.parse("505152535455565758595A5B5C5D5E5F");
        assertEquals(2, w.access.importTransportKey(tk2.clone()));
        // this card was installed with the v1 (development) key: issuing with v2 fails on the card, nothing is stored as issued
        assertThrows(RuntimeException.class, () -> w.access.issue(card, 2));
        assertFalse(w.access.select(card).issued());
        w.access.reconcile(card);
        assertEquals("issued", w.access.issue(card, 1).action());
        assertThrows(PsdException.class, () -> w.access.issue(PsdWorld.newCard(), 3), "unknown transport key version");
    }
}
