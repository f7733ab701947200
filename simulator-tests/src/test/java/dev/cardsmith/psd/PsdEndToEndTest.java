package dev.cardsmith.psd;

import dev.cardsmith.applet.psd.PsdProtocol;
import dev.cardsmith.transport.CardSession;
import dev.cardsmith.support.CardTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.smartcardio.ResponseAPDU;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Issue → replace → replace again, through the host library, on the software HSM and (subclass)
 * on SoftHSM2: the secure channel works with the new MK and refuses the old one.
 */
@CardTest
class PsdEndToEndTest {
    @TempDir Path dir;
    PsdWorld w;
    CardSession card;

    PsdWorld world(Path dir) {
        return PsdWorld.software(dir);
    }

    @BeforeEach
    void setUp() {
        w = world(dir);
        card = PsdWorld.newCard();
        card.select(AccessServer.PSD_AID);
    }

    @AfterEach
    void tearDown() {
        if (w != null) w.close();
        card.close();
    }

    @Test
    void claims1to40_issueThenReplaceTwice() {
        int v1 = w.access.latestMkVersion();
        AccessServer.Outcome issued = w.access.issue(card);
        assertEquals("issued", issued.action());
        assertEquals(3, issued.apdus().apdus(), "issue: SELECT + INJECT KEYS + INITIALIZE UPDATE");
        // docs/psd.md "Host flows and APDU counts": 82/70 bytes before issue 12, INJECT KEYS now carries K-ENC, K-MAC, K-DEK
        assertEquals(130, issued.apdus().bytesSent());
        assertEquals(70, issued.apdus().bytesReceived());
        PsdStatus st = w.access.select(card);
        assertTrue(st.issued());
        assertEquals(v1, st.mkVersion());
        assertEquals("LOCKED", st.executiveName());
        PsdStore.Row row = w.store.find(st.idHex()).orElseThrow();
        assertEquals(PsdStore.State.ISSUED, row.state());
        assertEquals(256, row.cryptogramHex().length() / 2, "claim 6: RSA-2048 cryptogram stored with the PSD ID");
        assertTrue(w.access.mkWorks(card, st, v1));

        int v2 = w.rotate();
        AccessServer.Outcome r1 = w.access.replaceMasterKey(card);
        assertEquals(5, r1.apdus().apdus(), "replace: SELECT + IU + EA + UNLOCK + REPLACE");
        // 139/106 bytes before issue 12; REPLACE MK now carries three keys under the replacement KEK
        assertEquals(187, r1.apdus().bytesSent());
        assertEquals(106, r1.apdus().bytesReceived());
        st = w.access.select(card);
        assertEquals(v2, st.mkVersion());
        assertEquals("LOCKED", st.executiveName(), "claim 26: relocked");
        assertTrue(w.access.mkWorks(card, st, v2), "channel works with the new MK");
        assertFalse(w.access.mkWorks(card, st, v1), "old MK refused");
        assertEquals(v2, w.store.find(st.idHex()).orElseThrow().mkVersion());

        int v3 = w.rotate();
        w.access.replaceMasterKey(card);
        st = w.access.select(card);
        assertEquals(v3, st.mkVersion());
        assertTrue(w.access.mkWorks(card, st, v3));
        assertFalse(w.access.mkWorks(card, st, v2));
        assertFalse(w.access.mkWorks(card, st, v1));
        // a full secure channel (all four security options) with the newest MK
        Scp03 sc = w.access.openSecureChannel(card, st, v3, 0x33);
        assertTrue(sc.authenticated());
        // and INITIALIZE UPDATE naming an old key version is refused by the card
        ResponseAPDU old = card.transmit(new Scp03(Scp03.StaticKey.of(new byte[16]), Scp03.StaticKey.of(new byte[16])).initializeUpdate(v2));
        assertEquals(PsdProtocol.SW_REFERENCED_DATA_NOT_FOUND & 0xFFFF, old.getSW());
        assertEquals(1, st.krkVersion());
        assertEquals(3, st.krkTriesLeft());
        assertEquals(java.util.List.of("issue-intent (mk v" + v1 + ", krk v1)", "issued (mk v" + v1 + ")",
                "replace-intent (mk v" + v2 + ")", "replaced (mk v" + v2 + ")", "replace-intent (mk v" + v3 + ")", "replaced (mk v" + v3 + ")"),
                w.store.events(st.idHex()));
    }

    @Test
    void secureChannelAtEverySecurityLevel() {
        w.access.issue(card);
        PsdStatus st = w.access.select(card);
        for (int level : new int[] {0x01, 0x03, 0x11, 0x13, 0x33}) {
            Scp03 sc = w.access.openSecureChannel(card, st, st.mkVersion(), level);
            ResponseAPDU r = card.transmit(sc.wrap(PsdApdus.unlock(w.access.unlockProof(st, sc.context()))));
            assertEquals(0x9000, r.getSW(), "level " + Integer.toHexString(level));
            assertArrayEquals(new byte[0], sc.unwrap(r));
            assertEquals((level & 0x10) != 0 ? 8 : 0, r.getData().length, "R-MAC present iff the level asks for it");
        }
    }

    @Test
    void replaceWithoutNewBlockIsRefusedWithoutTouchingTheCard() {
        w.access.issue(card);
        PsdException e = assertThrows(PsdException.class, () -> w.access.replaceMasterKey(card));
        assertTrue(e.getMessage().contains("rotate-mk"), e.getMessage());
    }

    @Test
    void secondIssueIsRefused() {
        w.access.issue(card);
        assertThrows(PsdException.class, () -> w.access.issue(card));
    }
}
