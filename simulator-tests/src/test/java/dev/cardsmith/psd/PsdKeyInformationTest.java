package dev.cardsmith.psd;

import dev.cardsmith.applet.psd.PsdProtocol;
import dev.cardsmith.transport.CardSession;
import dev.cardsmith.transport.CardTransport;
import dev.cardsmith.support.CardTest;
import dev.cardsmith.support.CardUnderTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.smartcardio.ResponseAPDU;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * End to end: the host refuses an INITIALIZE UPDATE answer whose key information (Amendment D:
 * kvn || 03 || i) is not what it asked for, before EXTERNAL AUTHENTICATE, both from the real
 * applet (P1 = 00 reaching a card that holds another MK version) and from a card that answers
 * with a different kvn / SCP id / i than requested (a transport rewriting the key information;
 * these bytes are not covered by the card cryptogram, so only the host's checks catch it).
 */
@CardTest
class PsdKeyInformationTest {
    @TempDir Path dir;
    PsdWorld w;
    /** Rewrites byte {@code index} of the INITIALIZE UPDATE response data to {@code value} when armed; records every INS. */
    final class RewritingTransport implements CardTransport {
        final CardTransport card = CardUnderTest.fresh();
        final List<Integer> ins = new ArrayList<>();
        int index = -1;
        int value;

        @Override
        public byte[] transmit(byte[] apdu) {
            ins.add(apdu[1] & 0xFF);
            byte[] r = card.transmit(apdu);
            if (index >= 0 && apdu[1] == PsdProtocol.INS_INITIALIZE_UPDATE && r.length == PsdProtocol.INIT_UPDATE_RESP_LEN + 2) {
                r = r.clone();
                r[index] = (byte) value;
            }
            return r;
        }

        @Override public byte[] atr() { return card.atr(); }
        @Override public String name() { return "rewriting(" + card.name() + ")"; }
        @Override public void reset() { card.reset(); }
        @Override public void close() { card.close(); }
    }

    RewritingTransport t;
    CardSession card;

    @BeforeEach
    void setUp() {
        w = PsdWorld.software(dir);
        t = new RewritingTransport();
        card = PsdWorld.on(t);
        card.select(AccessServer.PSD_AID);
    }

    @AfterEach
    void tearDown() {
        w.close();
        card.close();
    }

    @Test
    void hostWithTheOldMkIsToldTheCardHoldsAnotherKeyVersion() {
        w.access.issue(card);
        w.rotate();
        w.access.replaceMasterKey(card);
        PsdStatus st = w.access.select(card);
        assertEquals(2, st.mkVersion());
        String old = "test-old-mk";
        String oldMac = "test-old-mk-mac";
        w.accessHsm.deriveAesKey(PsdKeys.mkBlock(1), PsdKeys.K_ENC_LABEL, st.id(), old);
        w.accessHsm.deriveAesKey(PsdKeys.mkBlock(1), PsdKeys.K_MAC_LABEL, st.id(), oldMac);
        try {
            Scp03 sc = new Scp03(d -> w.accessHsm.aesCmac(old, d), d -> w.accessHsm.aesCmac(oldMac, d)).expectKeyVersion(1);
            ResponseAPDU r = card.transmit(sc.initializeUpdate(0));
            assertEquals(0x9000, r.getSW());
            Scp03.Scp03Exception e = assertThrows(Scp03.Scp03Exception.class, () -> sc.onInitializeUpdateResponse(r.getData()));
            assertTrue(e.getMessage().contains("key version 02, expected 01"), e.getMessage());
            assertThrows(IllegalStateException.class, () -> sc.externalAuthenticate(0x33));
        } finally {
            w.accessHsm.delete(old);
            w.accessHsm.delete(oldMac);
        }
        assertFalse(w.access.mkWorks(card, st, 1));
        assertTrue(w.access.mkWorks(card, st, 2));
    }

    private void replaceIsRefusedBeforeExternalAuthenticate(int index, int value, String message) {
        w.access.issue(card);
        w.rotate();
        t.index = index;
        t.value = value;
        t.ins.clear();
        Scp03.Scp03Exception e = assertThrows(Scp03.Scp03Exception.class, () -> w.access.replaceMasterKey(card));
        assertTrue(e.getMessage().contains(message), e.getMessage());
        assertTrue(t.ins.contains(PsdProtocol.INS_INITIALIZE_UPDATE & 0xFF));
        assertFalse(t.ins.contains(PsdProtocol.INS_EXTERNAL_AUTHENTICATE & 0xFF), "aborted before EXTERNAL AUTHENTICATE: " + t.ins);
        assertFalse(t.ins.contains(PsdProtocol.INS_UNLOCK & 0xFF));
        t.index = -1;
        PsdStatus st = w.access.select(card);
        assertEquals(1, st.mkVersion(), "nothing changed on the card");
        assertEquals(3, st.krkTriesLeft());
        // the honest card is replaced normally afterwards
        assertEquals(2, w.access.replaceMasterKey(card).mkVersion());
    }

    @Test
    void cardAnsweringWithAnotherKvnIsRefused() {
        replaceIsRefusedBeforeExternalAuthenticate(10, 0x05, "key version 05, expected 01");
    }

    @Test
    void cardAnsweringWithAnotherScpIdIsRefused() {
        replaceIsRefusedBeforeExternalAuthenticate(11, 0x02, "SCP identifier 02");
    }

    @Test
    void cardAnsweringWithAnUnsupportedIIsRefused() {
        replaceIsRefusedBeforeExternalAuthenticate(12, 0x61, "i=61");
    }

    @Test
    void cardWithoutRMacSupportCannotRunTheLevel33Replacement() {
        replaceIsRefusedBeforeExternalAuthenticate(12, 0x00, "R-MAC");
    }
}
