package dev.cardsmith.csp;

import com.licel.jcardsim.base.Simulator;
import com.licel.jcardsim.base.SimulatorRuntime;
import com.licel.jcardsim.utils.AIDUtil;
import dev.cardsmith.transport.CardSession;
import javacard.security.ECPrivateKey;
import javacard.security.KeyPair;
import javacard.security.RSAPrivateCrtKey;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Test only: reads the private key bytes out of the simulated chip (what an attacker with a
 * probe would see), so tests can prove no APDU response ever contains them.
 */
final class SimKeys {

    private SimKeys() {}

    static List<byte[]> privateKeyBytes(CardSession session) throws ReflectiveOperationException {
        Object sim = field(session.transport(), "sim"); // a SimulatorTransport: @SimulatorOnly tests
        SimulatorRuntime runtime = (SimulatorRuntime) field(sim, Simulator.class, "runtime");
        Object instance = runtime.lookupApplet(AIDUtil.create(CspApdus.AID));
        Method getApplet = instance.getClass().getDeclaredMethod("getApplet");
        getApplet.setAccessible(true);
        Object applet = getApplet.invoke(instance);
        Object slots = field(applet, "slots");
        byte[] alg = (byte[]) field(slots, "algorithm");
        KeyPair[] ec = (KeyPair[]) field(slots, "ec");
        KeyPair[] rsa = (KeyPair[]) field(slots, "rsa");
        byte[] record = (byte[]) field(slots, "record"); // slot -> key record (Slots)
        List<byte[]> out = new ArrayList<>();
        for (int slot = 0; slot < alg.length; slot++) {
            int i = record[slot];
            byte[] b = new byte[256];
            if (alg[slot] == 1) {
                short n = ((ECPrivateKey) ec[i].getPrivate()).getS(b, (short) 0);
                out.add(Arrays.copyOf(b, n));
            } else if (alg[slot] == 2) {
                short n = ((RSAPrivateCrtKey) rsa[i].getPrivate()).getP(b, (short) 0);
                out.add(Arrays.copyOf(b, n));
                n = ((RSAPrivateCrtKey) rsa[i].getPrivate()).getDP1(b, (short) 0);
                out.add(Arrays.copyOf(b, n));
            }
        }
        return out;
    }

    /** True if any 16-byte window of the secret appears in the data. */
    static boolean contains(byte[] data, byte[] secret) {
        int w = Math.min(16, secret.length);
        for (int s = 0; s + w <= secret.length; s += w) {
            outer:
            for (int i = 0; i + w <= data.length; i++) {
                for (int j = 0; j < w; j++) if (data[i + j] != secret[s + j]) continue outer;
                return true;
            }
        }
        return false;
    }

    private static Object field(Object o, String name) throws ReflectiveOperationException {
        return field(o, o.getClass(), name);
    }

    private static Object field(Object o, Class<?> c, String name) throws ReflectiveOperationException {
        Field f = c.getDeclaredField(name);
        f.setAccessible(true);
        return f.get(o);
    }
}
