package dev.cardsmith.applets;

import com.licel.jcardsim.base.Simulator;
import com.licel.jcardsim.base.SimulatorRuntime;
import com.licel.jcardsim.base.TransientMemory;
import com.licel.jcardsim.smartcardio.CardSimulator;
import com.licel.jcardsim.utils.AIDUtil;
import dev.cardsmith.simulator.AppletSpec;
import dev.cardsmith.transport.CardSession;
import dev.cardsmith.simulator.AppletRegistry;
import dev.cardsmith.support.CardTest;
import dev.cardsmith.support.CardUnderTest;
import dev.cardsmith.support.SimulatorOnly;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import javax.smartcardio.CommandAPDU;
import javax.smartcardio.ResponseAPDU;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Guards every applet in {@link AppletRegistry}, including those later issues add:
 * transient RAM within the 1 KB budget, and no malformed APDU ever ends in 6F00 (an uncaught
 * exception) or a status word outside ISO 7816-4's ranges.
 */
@CardTest
class AllAppletsRobustnessTest {

    static final int TRANSIENT_BUDGET = 1024;

    @Test
    void everySystemHasItsApplet() {
        assertFalse(AppletRegistry.all().isEmpty());
    }

    @TestFactory
    @SimulatorOnly("measures jCardSim's transient memory by reflection")
    List<DynamicTest> transientRamWithinBudget() {
        List<DynamicTest> tests = new ArrayList<>();
        for (AppletSpec a : AppletRegistry.all()) {
            tests.add(DynamicTest.dynamicTest(a.name(), () -> {
                CardSimulator sim = new CardSimulator();
                TransientMemory mem = runtime(sim).getTransientMemory();
                int before = transientBytes(mem);
                byte[] data = a.globalPlatformInstallData();
                sim.installApplet(AIDUtil.create(a.instanceAid()), a.appletClass(), data, (short) 0, (byte) data.length);
                sim.selectApplet(AIDUtil.create(a.instanceAid()));
                int used = transientBytes(mem) - before;
                System.out.println("transient RAM " + a.name() + ": " + used + " bytes");
                assertTrue(used <= TRANSIENT_BUDGET, a.name() + " uses " + used + " bytes of transient RAM (budget " + TRANSIENT_BUDGET + ")");
            }));
        }
        return tests;
    }

    @TestFactory
    @SimulatorOnly("random INS include MANAGE CHANNEL, which javax.smartcardio refuses to send on the basic channel")
    List<DynamicTest> malformedCommandsGetIsoStatusWords() {
        List<DynamicTest> tests = new ArrayList<>();
        for (AppletSpec a : AppletRegistry.all()) {
            tests.add(DynamicTest.dynamicTest(a.name(), () -> {
                Random rnd = new Random(0xC0FFEE ^ a.name().hashCode());
                int[] classes = {0x00, 0x80, 0x84, 0x90, 0x0C, 0xFF, 0x10, 0xE0};
                try (CardSession s = new CardSession(CardUnderTest.fresh(AppletRegistry.all()))) {
                    for (int i = 0; i < 1500; i++) {
                        if (i % 100 == 0) s.select(a.instanceAid());
                        int cla = classes[rnd.nextInt(classes.length)];
                        int ins = rnd.nextInt(256);
                        if (ins == 0xA4 || (ins & 0xF0) == 0x60 || (ins & 0xF0) == 0x90) continue; // SELECT; invalid INS per ISO
                        int len = rnd.nextInt(4) == 0 ? 0 : rnd.nextInt(rnd.nextBoolean() ? 16 : 255) + 1;
                        byte[] body = new byte[len];
                        rnd.nextBytes(body);
                        if (len > 2 && rnd.nextBoolean()) { body[0] = (byte) (0x80 + rnd.nextInt(0x40)); body[1] = (byte) rnd.nextInt(256); }
                        CommandAPDU c = len == 0
                                ? new CommandAPDU(cla, ins, rnd.nextInt(256), rnd.nextInt(256), rnd.nextBoolean() ? 256 : rnd.nextInt(255) + 1)
                                : new CommandAPDU(cla, ins, rnd.nextInt(256), rnd.nextInt(256), body);
                        ResponseAPDU r = s.transmit(c);
                        int sw = r.getSW();
                        String what = a.name() + ": " + String.format("%02X %02X %02X %02X Lc=%d", cla, ins, c.getP1(), c.getP2(), len);
                        assertNotEquals(0x6F00, sw, what + " -> 6F00 (uncaught exception on the card)");
                        int sw1 = sw >> 8;
                        assertTrue(sw == 0x9000 || (sw1 >= 0x61 && sw1 <= 0x6F) || sw1 == 0x63, what + String.format(" -> %04X outside ISO 7816-4", sw));
                    }
                }
            }));
        }
        return tests;
    }

    static SimulatorRuntime runtime(Simulator sim) throws ReflectiveOperationException {
        Field f = Simulator.class.getDeclaredField("runtime");
        f.setAccessible(true);
        return (SimulatorRuntime) f.get(sim);
    }

    @SuppressWarnings("unchecked")
    static int transientBytes(TransientMemory mem) throws ReflectiveOperationException {
        int total = 0;
        for (String name : new String[] {"clearOnDeselect", "clearOnReset"}) {
            Field f = TransientMemory.class.getDeclaredField(name);
            f.setAccessible(true);
            for (Object o : (List<Object>) f.get(mem)) {
                if (o instanceof byte[] b) total += b.length;
                else if (o instanceof boolean[] b) total += b.length;
                else if (o instanceof short[] s) total += 2 * s.length;
                else if (o instanceof Object[] r) total += 2 * r.length;
            }
        }
        return total;
    }
}
