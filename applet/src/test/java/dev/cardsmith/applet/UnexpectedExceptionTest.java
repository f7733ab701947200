package dev.cardsmith.applet;

import com.licel.jcardsim.base.Simulator;
import com.licel.jcardsim.utils.AIDUtil;
import dev.cardsmith.applet.platform.Sw;
import dev.cardsmith.applet.psd.PsdApplet;
import dev.cardsmith.applet.vault.VaultApplet;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Review finding (issue 9): vault and psd turned a NullPointerException into 6985, which looks
 * like a legitimate refusal. Now the platform policy answers 6F01 for it. Provoked here by
 * nulling a field the dispatch needs.
 */
class UnexpectedExceptionTest {

    private static void nullField(Object o, String name) throws ReflectiveOperationException {
        Field f = o.getClass().getDeclaredField(name);
        f.setAccessible(true);
        f.set(o, null);
    }

    @Test
    void vaultAnswers6F01ForANullPointerException() throws Exception {
        byte[] aid = {(byte) 0xF0, 0x43, 0x53, 0x4D, 0x54, 0x00, 0x01};
        try (AppletHarness card = new AppletHarness(aid, VaultApplet.class)) {
            assertEquals(0x6985, card.sw(new byte[] {(byte) 0x80, 0x30, 0, 0, 1, 0}), "a refusal: no manufacturer key");
            nullField(card.applet(), "packages");
            assertEquals(Sw.UNEXPECTED & 0xFFFF, card.sw(new byte[] {(byte) 0x80, 0x30, 0, 0, 1, 0}));
        }
    }

    @Test
    void psdAnswers6F01ForANullPointerException() throws Exception {
        byte[] aid = {(byte) 0xF0, 0x43, 0x53, 0x4D, 0x54, 0x01, 0x01};
        byte[] data = new byte[1 + aid.length + 2 + 1 + 16];
        data[0] = (byte) aid.length;
        System.arraycopy(aid, 0, data, 1, aid.length);
        data[1 + aid.length] = 1;
        data[3 + aid.length] = 16; // transport key only
        Simulator sim = new Simulator();
        sim.installApplet(AIDUtil.create(aid), PsdApplet.class, data, (short) 0, (byte) data.length);
        sim.selectApplet(AIDUtil.create(aid));
        byte[] getStatus = {(byte) 0x80, (byte) 0xCA, 0x00, (byte) 0xDF, 0x00};
        assertEquals(0x9000, sw(sim.transmitCommand(getStatus)));
        Field rf = Simulator.class.getDeclaredField("runtime");
        rf.setAccessible(true);
        java.lang.reflect.Method m = com.licel.jcardsim.base.SimulatorRuntime.class.getDeclaredMethod("getApplet", javacard.framework.AID.class);
        m.setAccessible(true);
        nullField(m.invoke(rf.get(sim), AIDUtil.create(aid)), "commands");
        assertEquals(Sw.UNEXPECTED & 0xFFFF, sw(sim.transmitCommand(getStatus)));
        sim.resetRuntime();
    }

    private static int sw(byte[] r) {
        return ((r[r.length - 2] & 0xFF) << 8) | (r[r.length - 1] & 0xFF);
    }
}
