package dev.cardsmith.psd;

import dev.cardsmith.applet.psd.PsdProtocol;
import dev.cardsmith.crypto.Hex;
import dev.cardsmith.transport.CardSession;
import dev.cardsmith.support.CardTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.smartcardio.CommandAPDU;
import javax.smartcardio.ResponseAPDU;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** Every check the PSD applet makes, hit through the real host code (software HSM). */
@CardTest
class PsdNegativeTest extends PsdCardTest {
    PsdStatus st;

    private Scp03 issuedChannel(int level) {
        w.access.issue(card);
        st = w.access.select(card);
        return w.access.openSecureChannel(card, st, st.mkVersion(), level);
    }

    @Test
    void claim22_wrongKrkDecrementsCounterThenBlocks() {
        Scp03 sc = issuedChannel(0x33);
        byte[] wrong = new byte[16];
        assertEquals(0x63C2, card.transmit(sc.wrap(PsdApdus.unlock(wrong))).getSW());
        assertEquals(0x63C1, card.transmit(sc.wrap(PsdApdus.unlock(wrong))).getSW());
        assertEquals(0x63C0, card.transmit(sc.wrap(PsdApdus.unlock(wrong))).getSW());
        // even the right proof is refused now
        byte[] right = w.access.unlockProof(st, sc.context());
        assertEquals(sw(PsdProtocol.SW_AUTH_BLOCKED), card.transmit(sc.wrap(PsdApdus.unlock(right))).getSW());
        PsdStatus after = w.access.select(card);
        assertEquals("BLOCKED", after.executiveName());
        assertEquals(0, after.krkTriesLeft());
        // the MK still works: the PSD is not bricked
        assertTrue(w.access.mkWorks(card, after, after.mkVersion()));
        // and since issue 12 the KRK holder recovers it in the replacing session (PsdKrkLifecycleTest has the attack)
        int v2 = w.rotate();
        assertEquals(v2, w.access.replaceMasterKey(card).mkVersion());
        assertEquals(3, w.access.select(card).krkTriesLeft());
    }

    @Test
    void claim23_rightKrkAfterAWrongOneResetsTheCounter() {
        Scp03 sc = issuedChannel(0x33);
        assertEquals(0x63C2, card.transmit(sc.wrap(PsdApdus.unlock(new byte[16]))).getSW());
        ResponseAPDU ok = card.transmit(sc.wrap(PsdApdus.unlock(w.access.unlockProof(st, sc.context()))));
        assertEquals(0x9000, ok.getSW());
        assertArrayEquals(new byte[0], sc.unwrap(ok));
        assertEquals(3, w.access.select(card).krkTriesLeft());
    }

    @Test
    void unlockProofFromAnotherSessionIsRefused() {
        Scp03 first = issuedChannel(0x33);
        byte[] oldProof = w.access.unlockProof(st, first.context());
        Scp03 second = w.access.openSecureChannel(card, st, st.mkVersion(), 0x33);
        assertEquals(0x63C2, card.transmit(second.wrap(PsdApdus.unlock(oldProof))).getSW());
    }

    @Test
    void replayedCommandIsRefusedAndClosesTheSession() {
        Scp03 sc = issuedChannel(0x13);
        CommandAPDU unlock = sc.wrap(PsdApdus.unlock(w.access.unlockProof(st, sc.context())));
        assertEquals(0x9000, card.transmit(unlock).getSW());
        assertEquals(sw(PsdProtocol.SW_SECURITY_NOT_SATISFIED), card.transmit(unlock).getSW(), "replay");
        // the session is gone: a correctly chained next command fails too
        assertEquals(sw(PsdProtocol.SW_SECURITY_NOT_SATISFIED), card.transmit(sc.wrap(PsdApdus.unlock(new byte[16]))).getSW());
        assertEquals(3, w.access.select(card).krkTriesLeft(), "refused before the KRK check: no try spent");
    }

    @Test
    void reorderedCommandsAreRefused() {
        Scp03 sc = issuedChannel(0x33);
        CommandAPDU first = sc.wrap(PsdApdus.unlock(w.access.unlockProof(st, sc.context())));
        CommandAPDU second = sc.wrap(PsdApdus.replaceMk(2, new byte[72]));
        assertEquals(sw(PsdProtocol.SW_SECURITY_NOT_SATISFIED), card.transmit(second).getSW());
        assertEquals(sw(PsdProtocol.SW_SECURITY_NOT_SATISFIED), card.transmit(first).getSW());
    }

    @Test
    void modifiedMacOrCiphertextIsRefused() {
        Scp03 sc = issuedChannel(0x33);
        byte[] c = sc.wrap(PsdApdus.unlock(w.access.unlockProof(st, sc.context()))).getBytes();
        byte[] badMac = c.clone();
        badMac[badMac.length - 1] ^= 1;
        assertEquals(sw(PsdProtocol.SW_SECURITY_NOT_SATISFIED), card.transmit(new CommandAPDU(badMac)).getSW());
        assertEquals(sw(PsdProtocol.SW_SECURITY_NOT_SATISFIED), card.transmit(new CommandAPDU(c)).getSW(), "session closed after a MAC failure");

        Scp03 sc2 = w.access.openSecureChannel(card, st, st.mkVersion(), 0x33);
        byte[] d = sc2.wrap(PsdApdus.unlock(w.access.unlockProof(st, sc2.context()))).getBytes();
        d[6] ^= 1; // first ciphertext byte
        assertEquals(sw(PsdProtocol.SW_SECURITY_NOT_SATISFIED), card.transmit(new CommandAPDU(d)).getSW());
        assertEquals(3, w.access.select(card).krkTriesLeft());
    }

    @Test
    void claim9_secondInjectionIsRefused() {
        w.access.issue(card);
        ResponseAPDU r = card.transmit(PsdApdus.injectKeys(1, new byte[24], 1, new byte[72]));
        assertEquals(sw(PsdProtocol.SW_CONDITIONS_NOT_SATISFIED), r.getSW());
    }

    @Test
    void injectionUnderAWrongTransportKeyIsRefusedAndTheCardStaysBlank() {
        ResponseAPDU r = card.transmit(PsdApdus.injectKeys(1, Hex.parse("1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5"), 1,
                Hex.parse("1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5".repeat(3))));
        assertEquals(sw(PsdProtocol.SW_WRONG_DATA), r.getSW());
        assertFalse(w.access.select(card).issued());
        assertEquals("issued", w.access.issue(card).action());
    }

    @Test
    void injectionChecksLengthP1P2AndVersions() {
        int len = PsdProtocol.INJECT_LEN;
        assertEquals(sw(PsdProtocol.SW_WRONG_LENGTH), card.transmit(new CommandAPDU(0x80, PsdProtocol.INS_INJECT_KEYS, 0, 0, new byte[len - 1])).getSW());
        assertEquals(sw(PsdProtocol.SW_WRONG_LENGTH), card.transmit(new CommandAPDU(0x80, PsdProtocol.INS_INJECT_KEYS, 0, 0, new byte[50])).getSW(), "the one-key layout of before issue 12");
        assertEquals(sw(PsdProtocol.SW_INCORRECT_P1P2), card.transmit(new CommandAPDU(0x80, PsdProtocol.INS_INJECT_KEYS, 1, 0, new byte[len])).getSW());
        byte[] d = new byte[len];
        d[0] = (byte) 0x80;
        d[1 + PsdProtocol.WRAPPED_KEY_LEN] = 1;
        assertEquals(sw(PsdProtocol.SW_WRONG_DATA), card.transmit(new CommandAPDU(0x80, PsdProtocol.INS_INJECT_KEYS, 0, 0, d)).getSW());
        assertEquals(sw(PsdProtocol.SW_CLA_NOT_SUPPORTED), card.transmit(new CommandAPDU(0x84, PsdProtocol.INS_INJECT_KEYS, 0, 0, new byte[len])).getSW());
    }

    /** One key in two roles (K-ENC = K-MAC, or the KRK = K-DEK) is refused at injection; the card stays blank. */
    @Test
    void injectionOfOneKeyInTwoRolesIsRefused() {
        byte[] tk = Hex.parse(PsdKeys.DEV_TRANSPORT_KEY_HEX);
        byte[] a = Hex.parse("000102030405060708090A0B0C0D0E0F"), b = Hex.parse("101112131415161718191A1B1C1D1E1F");
        byte[] c = Hex.parse("202122232425262728292A2B2C2D2E2F"), k = Hex.parse("303132333435363738393A3B3C3D3E3F");
        byte[][][] bad = {{k, a, a, c}, {k, a, b, a}, {c, a, b, c}};
        for (byte[][] keys : bad) {
            ResponseAPDU r = card.transmit(PsdApdus.injectKeys(1, Scp03GpHostInteropTest.rfc3394(tk, keys[0]), 1,
                    Scp03GpHostInteropTest.wrapSet(tk, new byte[][] {keys[1], keys[2], keys[3]})));
            assertEquals(sw(PsdProtocol.SW_WRONG_DATA), r.getSW());
            assertFalse(w.access.select(card).issued());
        }
        assertEquals(0x9000, card.transmit(PsdApdus.injectKeys(1, Scp03GpHostInteropTest.rfc3394(tk, k), 1,
                Scp03GpHostInteropTest.wrapSet(tk, new byte[][] {a, b, c}))).getSW(), "four distinct keys are taken");
    }

    @Test
    void unlockOutsideAChannelIsRefused() {
        w.access.issue(card);
        st = w.access.select(card);
        assertEquals(sw(PsdProtocol.SW_SECURITY_NOT_SATISFIED), card.transmit(PsdApdus.unlock(new byte[16])).getSW(), "plain CLA 80");
        assertEquals(sw(PsdProtocol.SW_SECURITY_NOT_SATISFIED), card.transmit(new CommandAPDU(0x84, PsdProtocol.INS_UNLOCK, 0, 0, new byte[24])).getSW(), "CLA 84 without a session");
        // a plain command in the middle of a session ends it
        Scp03 sc = w.access.openSecureChannel(card, st, st.mkVersion(), 0x33);
        card.transmit(PsdApdus.unlock(new byte[16]));
        assertEquals(sw(PsdProtocol.SW_SECURITY_NOT_SATISFIED), card.transmit(sc.wrap(PsdApdus.unlock(w.access.unlockProof(st, sc.context())))).getSW());
        assertEquals(3, w.access.select(card).krkTriesLeft());
    }

    @Test
    void replaceNeedsUnlockAndCDecryptionAndAHigherVersion() {
        Scp03 sc = issuedChannel(0x33);
        assertEquals(sw(PsdProtocol.SW_SECURITY_NOT_SATISFIED), card.transmit(sc.wrap(PsdApdus.replaceMk(2, new byte[72]))).getSW(), "locked");

        Scp03 mac = w.access.openSecureChannel(card, st, st.mkVersion(), 0x11);
        assertEquals(0x9000, card.transmit(mac.wrap(PsdApdus.unlock(w.access.unlockProof(st, mac.context())))).getSW());
        assertEquals(sw(PsdProtocol.SW_SECURITY_NOT_SATISFIED), card.transmit(mac.wrap(PsdApdus.replaceMk(2, new byte[72]))).getSW(), "key material needs C-DECRYPTION");

        Scp03 full = w.access.openSecureChannel(card, st, st.mkVersion(), 0x33);
        assertEquals(0x9000, card.transmit(full.wrap(PsdApdus.unlock(w.access.unlockProof(st, full.context())))).getSW());
        assertEquals(sw(PsdProtocol.SW_WRONG_DATA), card.transmit(full.wrap(PsdApdus.replaceMk(st.mkVersion(), new byte[72]))).getSW(), "version must grow");
        assertEquals(sw(PsdProtocol.SW_WRONG_DATA), card.transmit(full.wrap(PsdApdus.replaceMk(st.mkVersion() + 1, new byte[72]))).getSW(), "unwrap check fails");
        assertEquals(st.mkVersion(), w.access.select(card).mkVersion());
        assertTrue(w.access.mkWorks(card, st, st.mkVersion()));
    }

    @Test
    void secureChannelHandshakeChecks() {
        // not issued yet: no MK, no channel
        assertEquals(sw(PsdProtocol.SW_CONDITIONS_NOT_SATISFIED), card.transmit(new Scp03(Scp03.StaticKey.of(new byte[16]), Scp03.StaticKey.of(new byte[16])).initializeUpdate(0)).getSW());
        w.access.issue(card);
        st = w.access.select(card);
        // wrong key: the host detects the card cryptogram mismatch; a forged EXTERNAL AUTHENTICATE is refused
        Scp03 wrong = new Scp03(Scp03.StaticKey.of(new byte[16]), Scp03.StaticKey.of(new byte[16]));
        ResponseAPDU iu = card.transmit(wrong.initializeUpdate(0));
        assertEquals(0x9000, iu.getSW());
        assertEquals(PsdProtocol.INIT_UPDATE_RESP_LEN, iu.getData().length);
        assertThrows(Scp03.Scp03Exception.class, () -> wrong.onInitializeUpdateResponse(iu.getData()));
        assertEquals(sw(PsdProtocol.SW_SECURITY_NOT_SATISFIED), card.transmit(new CommandAPDU(0x84, 0x82, 0x33, 0, new byte[16])).getSW());
        // EXTERNAL AUTHENTICATE without INITIALIZE UPDATE, bad level, bad lengths
        assertEquals(sw(PsdProtocol.SW_CONDITIONS_NOT_SATISFIED), card.transmit(new CommandAPDU(0x84, 0x82, 0x33, 0, new byte[16])).getSW());
        card.transmit(new Scp03(Scp03.StaticKey.of(new byte[16]), Scp03.StaticKey.of(new byte[16])).initializeUpdate(0));
        assertEquals(sw(PsdProtocol.SW_INCORRECT_P1P2), card.transmit(new CommandAPDU(0x84, 0x82, 0x02, 0, new byte[16])).getSW());
        assertEquals(sw(PsdProtocol.SW_WRONG_LENGTH), card.transmit(new CommandAPDU(0x80, 0x50, 0, 0, new byte[7])).getSW());
        assertEquals(sw(PsdProtocol.SW_REFERENCED_DATA_NOT_FOUND), card.transmit(new CommandAPDU(0x80, 0x50, 0x55, 0, new byte[8])).getSW());
        assertEquals(sw(PsdProtocol.SW_INS_NOT_SUPPORTED), card.transmit(new CommandAPDU(0x80, 0x42, 0, 0)).getSW());
        assertEquals(sw(PsdProtocol.SW_CLA_NOT_SUPPORTED), card.transmit(new CommandAPDU(0xA0, 0x50, 0, 0, new byte[8])).getSW());
        assertEquals(sw(PsdProtocol.SW_INCORRECT_P1P2), card.transmit(new CommandAPDU(0x80, 0xCA, 0, 0x66, 256)).getSW());
        assertEquals(0x9000, card.transmit(PsdApdus.getStatus()).getSW());
    }
}
