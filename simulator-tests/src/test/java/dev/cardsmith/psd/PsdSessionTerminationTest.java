package dev.cardsmith.psd;

import dev.cardsmith.applet.psd.PsdProtocol;
import dev.cardsmith.transport.CardSession;
import dev.cardsmith.support.CardTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.smartcardio.CommandAPDU;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/**
 * GP Card Specification v2.3 chapter 10 / Amendment D 7.2: EXTERNAL AUTHENTICATE is only
 * expected right after a successful INITIALIZE UPDATE. An unexpected or failed one (a second
 * EXTERNAL AUTHENTICATE in an authenticated session, a wrong class or P2) terminates the
 * session: every later secured command fails (6982) until a new INITIALIZE UPDATE, and the
 * security executive relocks with it.
 */
@CardTest
class PsdSessionTerminationTest {
    @TempDir Path dir;
    PsdWorld w;
    CardSession card;
    PsdStatus st;

    @BeforeEach
    void setUp() {
        w = PsdWorld.software(dir);
        card = PsdWorld.newCard();
        card.select(AccessServer.PSD_AID);
        w.access.issue(card);
        st = w.access.select(card);
    }

    @AfterEach
    void tearDown() {
        if (mkLabel != null) {
            w.accessHsm.delete(mkLabel);
            w.accessHsm.delete(mkLabel + "-mac");
        }
        w.close();
        card.close();
    }

    private static int sw(short s) { return s & 0xFFFF; }

    private Scp03 unlocked() {
        Scp03 sc = w.access.openSecureChannel(card, st, st.mkVersion(), 0x33);
        assertEquals(0x9000, card.transmit(sc.wrap(PsdApdus.unlock(w.access.unlockProof(st, sc.context())))).getSW());
        return sc;
    }

    private void sessionIsGone(Scp03 sc) {
        // plain GET DATA (allowed in a session, reselects nothing): the executive relocked with the session
        assertEquals("LOCKED", PsdStatus.parse(card.transmitOk("GET DATA", PsdApdus.getStatus()).getData()).executiveName());
        // a correctly MACed, correctly chained command of the old session is refused ...
        assertEquals(sw(PsdProtocol.SW_SECURITY_NOT_SATISFIED), card.transmit(sc.wrap(PsdApdus.unlock(new byte[16]))).getSW());
        assertEquals(3, w.access.select(card).krkTriesLeft(), "refused before the KRK check");
        // ... the executive is locked again, and a new INITIALIZE UPDATE opens a working session
        assertEquals("LOCKED", w.access.select(card).executiveName());
        unlocked();
    }

    @Test
    void secondExternalAuthenticateClosesTheSession() {
        Scp03 sc = unlocked();
        // a second EXTERNAL AUTHENTICATE, correctly MACed in the running chain
        CommandAPDU again = sc.wrap(new CommandAPDU(PsdProtocol.CLA_GP & 0xFF, PsdProtocol.INS_EXTERNAL_AUTHENTICATE, 0x33, 0, new byte[8]));
        assertEquals(sw(PsdProtocol.SW_CONDITIONS_NOT_SATISFIED), card.transmit(again).getSW());
        sessionIsGone(sc);
    }

    @Test
    void forgedExternalAuthenticateInASessionClosesIt() {
        Scp03 sc = w.access.openSecureChannel(card, st, st.mkVersion(), 0x33);
        CommandAPDU forged = new CommandAPDU(PsdProtocol.CLA_GP_SM & 0xFF, PsdProtocol.INS_EXTERNAL_AUTHENTICATE, 0x33, 0, new byte[16]);
        assertEquals(sw(PsdProtocol.SW_CONDITIONS_NOT_SATISFIED), card.transmit(forged).getSW());
        assertEquals(sw(PsdProtocol.SW_SECURITY_NOT_SATISFIED), card.transmit(sc.wrap(PsdApdus.unlock(w.access.unlockProof(st, sc.context())))).getSW());
        assertEquals(3, w.access.select(card).krkTriesLeft());
    }

    private String mkLabel;

    private String mk() {
        if (mkLabel == null) {
            mkLabel = "test-mk";
            w.accessHsm.deriveAesKey(PsdKeys.mkBlock(st.mkVersion()), PsdKeys.K_ENC_LABEL, st.id(), mkLabel);
            w.accessHsm.deriveAesKey(PsdKeys.mkBlock(st.mkVersion()), PsdKeys.K_MAC_LABEL, st.id(), mkLabel + "-mac");
        }
        return mkLabel;
    }

    @Test
    void wrongClassOrP2OnExternalAuthenticateEndsTheSessionThatInitializeUpdatePrepared() {
        for (int[] claP2 : new int[][] {{0x84, 0x01}, {0x80, 0x00}}) {
            Scp03 sc = new Scp03(d -> w.accessHsm.aesCmac(mk(), d), d -> w.accessHsm.aesCmac(mkLabel + "-mac", d));
            sc.onInitializeUpdateResponse(card.transmitOk("INITIALIZE UPDATE", sc.initializeUpdate(st.mkVersion())).getData());
            CommandAPDU good = sc.externalAuthenticate(0x33);
            byte[] b = good.getBytes();
            b[0] = (byte) claP2[0];
            b[3] = (byte) claP2[1];
            int got = card.transmit(new CommandAPDU(b)).getSW();
            assertTrue(got == sw(PsdProtocol.SW_INCORRECT_P1P2) || got == sw(PsdProtocol.SW_CLA_NOT_SUPPORTED), Integer.toHexString(got));
            assertEquals(sw(PsdProtocol.SW_CONDITIONS_NOT_SATISFIED), card.transmit(good).getSW(), "no session left to authenticate");
        }
        // and the untouched handshake still works
        Scp03 ok = new Scp03(d -> w.accessHsm.aesCmac(mk(), d), d -> w.accessHsm.aesCmac(mkLabel + "-mac", d));
        ok.onInitializeUpdateResponse(card.transmitOk("INITIALIZE UPDATE", ok.initializeUpdate(st.mkVersion())).getData());
        assertEquals(0x9000, card.transmit(ok.externalAuthenticate(0x33)).getSW());
    }
}
