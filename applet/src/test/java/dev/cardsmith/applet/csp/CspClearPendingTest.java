package dev.cardsmith.applet.csp;

import dev.cardsmith.applet.AppletHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;


import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Review finding (key hygiene on real cards): GENERATE and DELETE KEY committed the slot as empty
 * and cleared its key objects afterwards; a tear in between left the old private key bytes in
 * EEPROM for good (the slot is empty, nothing rewrites them until the next GENERATE there). Now
 * the slot to clear is committed with the empty marks and the next command finishes the clear.
 */
class CspClearPendingTest {

    private static final byte[] AID_BYTES = {(byte) 0xF0, 0x43, 0x53, 0x4D, 0x54, 0x03, 0x01};
    private AppletHarness card;

    @BeforeEach
    void install() {
        card = new AppletHarness(AID_BYTES, CspApplet.class);
    }

    @AfterEach
    void reset() {
        card.close();
    }

    private Slots slots() throws ReflectiveOperationException {
        return card.appletField("slots");
    }

    private int sw(byte[] apdu) {
        return card.sw(apdu);
    }

    @Test
    void tornDeleteIsFinishedByTheNextCommand() throws Exception {
        Slots s = slots();
        s.generateEc((short) 1, new byte[64], (short) 0);
        assertTrue(s.ec[1].getPrivate().isInitialized());
        // what a tear right after DELETE KEY's commit leaves: slot empty, clear pending, key still there
        s.algorithm[1] = Constants.ALG_NONE;
        s.clearPending = 1;
        card.select();
        assertEquals(Slots.NO_SLOT, s.clearPending);
        assertFalse(s.ec[1].getPrivate().isInitialized(), "old private key left in EEPROM");
    }

    @Test
    void deleteKeyClearsAndDropsTheMark() throws Exception {
        assertEquals(0x9000, sw(new byte[] {0x00, 0x20, 0x00, Constants.PIN_USER, 6, '1', '2', '3', '4', '5', '6'}));
        int gen = sw(new byte[] {0x00, Constants.INS_GENERATE_ASYMMETRIC_KEY_PAIR, Constants.P1_GENERATE, 2, 3,
                Constants.TAG_GEN_ALGORITHM, 1, Constants.ALG_EC_P256, 0});
        assertEquals(0x9000, gen);
        Slots s = slots();
        assertEquals(Slots.NO_SLOT, s.clearPending);
        assertTrue(s.ec[2].getPrivate().isInitialized());
        assertEquals(0x9000, sw(new byte[] {Constants.CLA_PROPRIETARY, Constants.INS_DELETE_KEY, 2, 0}));
        assertEquals(Slots.NO_SLOT, s.clearPending);
        assertFalse(s.ec[2].getPrivate().isInitialized());
    }
}
