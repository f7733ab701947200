package dev.cardsmith.applet.csp;

import com.licel.jcardsim.base.Simulator;
import com.licel.jcardsim.base.SimulatorRuntime;
import com.licel.jcardsim.utils.AIDUtil;
import javacard.framework.AID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.lang.reflect.Method;

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
    private Simulator sim;

    @BeforeEach
    void install() {
        sim = new Simulator();
        byte[] data = new byte[1 + AID_BYTES.length + 2 + 1];
        data[0] = (byte) AID_BYTES.length;
        System.arraycopy(AID_BYTES, 0, data, 1, AID_BYTES.length);
        sim.installApplet(AIDUtil.create(AID_BYTES), CspApplet.class, data, (short) 0, (byte) data.length);
        sim.selectApplet(AIDUtil.create(AID_BYTES));
    }

    @AfterEach
    void reset() {
        sim.resetRuntime();
    }

    private Slots slots() throws ReflectiveOperationException {
        Field rf = Simulator.class.getDeclaredField("runtime");
        rf.setAccessible(true);
        Method m = SimulatorRuntime.class.getDeclaredMethod("getApplet", AID.class);
        m.setAccessible(true);
        Object applet = m.invoke(rf.get(sim), AIDUtil.create(AID_BYTES));
        Field sf = CspApplet.class.getDeclaredField("slots");
        sf.setAccessible(true);
        return (Slots) sf.get(applet);
    }

    private int sw(byte[] apdu) {
        byte[] r = sim.transmitCommand(apdu);
        return ((r[r.length - 2] & 0xFF) << 8) | (r[r.length - 1] & 0xFF);
    }

    @Test
    void tornDeleteIsFinishedByTheNextCommand() throws Exception {
        Slots s = slots();
        P256.generate(s.ec[1], new byte[64], (short) 0);
        assertTrue(s.ec[1].getPrivate().isInitialized());
        // what a tear right after DELETE KEY's commit leaves: slot empty, clear pending, key still there
        s.algorithm[1] = Constants.ALG_NONE;
        s.clearPending = 1;
        sim.selectApplet(AIDUtil.create(AID_BYTES));
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
