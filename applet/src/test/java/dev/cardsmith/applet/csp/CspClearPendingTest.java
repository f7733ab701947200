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
        Slots.generateEc(s.ec[s.record[1]], new byte[64], (short) 0);
        assertTrue(s.ec[s.record[1]].getPrivate().isInitialized());
        // what a tear right after DELETE KEY's commit leaves: slot empty, clear pending, key still there
        s.algorithm[1] = Constants.ALG_NONE;
        s.clearPending = 1;
        card.select();
        assertEquals(Slots.NO_SLOT, s.clearPending);
        assertFalse(s.ec[s.record[1]].getPrivate().isInitialized(), "old private key left in EEPROM");
    }

    @Test
    void deleteKeyClearsAndDropsTheMark() throws Exception {
        assertEquals(0x9000, sw(new byte[] {0x00, 0x20, 0x00, Constants.PIN_USER, 6, '1', '2', '3', '4', '5', '6'}));
        int gen = sw(new byte[] {0x00, Constants.INS_GENERATE_ASYMMETRIC_KEY_PAIR, Constants.P1_GENERATE, 2, 3,
                Constants.TAG_GEN_ALGORITHM, 1, Constants.ALG_EC_P256, 0});
        assertEquals(0x9000, gen);
        Slots s = slots();
        assertEquals(Slots.NO_SLOT, s.clearPending);
        assertTrue(s.ec[s.record[2]].getPrivate().isInitialized());
        assertEquals(0x9000, sw(new byte[] {Constants.CLA_PROPRIETARY, Constants.INS_DELETE_KEY, 2, 0}));
        assertEquals(Slots.NO_SLOT, s.clearPending);
        assertFalse(s.ec[s.record[2]].getPrivate().isInitialized());
    }

    private static final byte[] VERIFY = {0x00, 0x20, 0x00, Constants.PIN_USER, 6, '1', '2', '3', '4', '5', '6'};
    private static final byte[] GENERATE_SLOT_0 = {0x00, Constants.INS_GENERATE_ASYMMETRIC_KEY_PAIR, Constants.P1_GENERATE, 0, 3,
            Constants.TAG_GEN_ALGORITHM, 1, Constants.ALG_EC_P256, 0};

    /** PIN verified, a key generated in slot 0. */
    private Slots slotZeroGenerated() throws ReflectiveOperationException {
        assertEquals(0x9000, sw(VERIFY));
        assertEquals(0x9000, sw(GENERATE_SLOT_0));
        return slots();
    }

    /** Finding T2: GENERATE over a key makes the new one in the spare record and flips; the old record is cleared after. */
    @Test
    void regenerationFlipsToTheSpareAndClearsTheOldKey() throws Exception {
        Slots s = slotZeroGenerated();
        short old = s.record[0];
        short spare = s.spare();
        assertTrue(old != spare);
        assertEquals(0x9000, sw(GENERATE_SLOT_0));
        assertEquals(spare, s.record[0], "the slot points to the record that was the spare");
        assertEquals(old, s.spare(), "the old record is the spare now");
        assertFalse(s.ec[old].getPrivate().isInitialized(), "old private key left in EEPROM");
        assertTrue(s.ec[spare].getPrivate().isInitialized());
        assertEquals(Slots.NO_SLOT, s.clearPending);
    }

    /** What a tear inside GENERATE over a key leaves: the slot still on its old key, the spare half made. */
    @Test
    void tornRegenerationKeepsTheOldKeyAndTheNextCommandClearsTheSpare() throws Exception {
        Slots s = slotZeroGenerated();
        short old = s.record[0];
        short spare = s.spare();
        s.clearPending = 0;
        Slots.generateEc(s.ec[spare], new byte[64], (short) 0);
        card.select();
        assertEquals(Slots.NO_SLOT, s.clearPending);
        assertEquals(old, s.record[0]);
        assertEquals(Constants.ALG_EC_P256, s.algorithm[0]);
        assertTrue(s.ec[old].getPrivate().isInitialized(), "the old key is gone");
        assertFalse(s.ec[spare].getPrivate().isInitialized(), "half-made key left in the spare");
    }
}
