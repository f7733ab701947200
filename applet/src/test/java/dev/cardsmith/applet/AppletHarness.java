package dev.cardsmith.applet;

import com.licel.jcardsim.base.Simulator;
import com.licel.jcardsim.base.SimulatorRuntime;
import com.licel.jcardsim.utils.AIDUtil;
import javacard.framework.AID;
import javacard.framework.Applet;

import java.lang.reflect.Field;
import java.lang.reflect.Method;

/**
 * One applet in a bare jCardSim, for white-box tests of applet internals (tears, key hygiene):
 * installed with GlobalPlatform install data and selected, with reflective access to its fields.
 */
public final class AppletHarness implements AutoCloseable {

    private final Simulator sim = new Simulator();
    private final byte[] aid;

    /** Installs {@code cls} under {@code aid} with empty application parameters, and selects it. */
    public AppletHarness(byte[] aid, Class<? extends Applet> cls) {
        this.aid = aid.clone();
        byte[] data = new byte[1 + aid.length + 2 + 1];
        data[0] = (byte) aid.length;
        System.arraycopy(aid, 0, data, 1, aid.length);
        data[1 + aid.length] = 1; // privileges: LV(00); application parameters: LV()
        sim.installApplet(AIDUtil.create(aid), cls, data, (short) 0, (byte) data.length);
        select();
    }

    public Simulator simulator() { return sim; }

    public void select() {
        sim.selectApplet(AIDUtil.create(aid));
    }

    /** Sends a raw command APDU; returns the status word. */
    public int sw(byte[] apdu) {
        byte[] r = sim.transmitCommand(apdu);
        return ((r[r.length - 2] & 0xFF) << 8) | (r[r.length - 1] & 0xFF);
    }

    /** The installed applet instance. */
    public Object applet() throws ReflectiveOperationException {
        Field rf = Simulator.class.getDeclaredField("runtime");
        rf.setAccessible(true);
        Method m = SimulatorRuntime.class.getDeclaredMethod("getApplet", AID.class);
        m.setAccessible(true);
        return m.invoke(rf.get(sim), AIDUtil.create(aid));
    }

    /** A (private) field of the applet instance. */
    @SuppressWarnings("unchecked")
    public <T> T appletField(String name) throws ReflectiveOperationException {
        return (T) field(applet(), name);
    }

    /** A (private) field of any object. */
    public static Object field(Object o, String name) throws ReflectiveOperationException {
        Field f = o.getClass().getDeclaredField(name);
        f.setAccessible(true);
        return f.get(o);
    }

    @Override
    public void close() {
        sim.resetRuntime();
    }
}
