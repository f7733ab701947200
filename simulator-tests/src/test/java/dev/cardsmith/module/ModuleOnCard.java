package dev.cardsmith.module;

import com.licel.jcardsim.base.Simulator;
import com.licel.jcardsim.base.SimulatorRuntime;
import com.licel.jcardsim.utils.AIDUtil;
import dev.cardsmith.applet.module.ModuleApplet;
import dev.cardsmith.crypto.Hex;
import dev.cardsmith.simulator.AppletRegistry;
import dev.cardsmith.transport.CardSession;
import javacard.framework.AID;
import javacard.security.AESKey;
import javacard.security.ECPrivateKey;
import javacard.security.ECPublicKey;
import javacard.security.Key;
import javacard.security.KeyPair;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;

/** White-box access (simulator only) to the module applet installed behind a {@link CardSession}. */
final class ModuleOnCard {

    /** Persistent fields that are scratch, not state: PERSO STORE CERTS's key for the chain check. */
    private static final String SCRATCH = "candidateKey";

    private ModuleOnCard() {}

    static ModuleApplet applet(CardSession session) throws ReflectiveOperationException {
        Object transport = field(session, "transport");
        Simulator sim = (Simulator) field(transport, "sim");
        Method get = SimulatorRuntime.class.getDeclaredMethod("getApplet", AID.class);
        get.setAccessible(true);
        return (ModuleApplet) get.invoke(runtime(sim), AIDUtil.create(AppletRegistry.byName("module").instanceAid()));
    }

    /**
     * Every persistent field of the module (its Persistent object: flags, lengths, arrays, the
     * contents of every key object) as one string, so a test can tell whether a command wrote
     * anything. Scratch fields are left out.
     */
    static String persistentState(CardSession session) throws ReflectiveOperationException {
        Object p = field(applet(session), "p");
        StringBuilder sb = new StringBuilder();
        for (Field fd : p.getClass().getDeclaredFields()) {
            if (Modifier.isStatic(fd.getModifiers()) || fd.getName().equals(SCRATCH)) continue;
            fd.setAccessible(true);
            sb.append(fd.getName()).append('=').append(describe(fd.get(p))).append('\n');
        }
        return sb.toString();
    }

    private static String describe(Object v) {
        if (v instanceof byte[] b) return Hex.of(b);
        if (v instanceof KeyPair kp) return describe(kp.getPublic()) + "/" + describe(kp.getPrivate());
        if (v instanceof Key k && !k.isInitialized()) return "-";
        byte[] out = new byte[80];
        if (v instanceof ECPublicKey k) return Hex.of(java.util.Arrays.copyOf(out, k.getW(out, (short) 0)));
        if (v instanceof ECPrivateKey k) return Hex.of(java.util.Arrays.copyOf(out, k.getS(out, (short) 0)));
        if (v instanceof AESKey k) return Hex.of(java.util.Arrays.copyOf(out, k.getKey(out, (short) 0)));
        return String.valueOf(v);
    }

    static Object field(Object o, String name) throws ReflectiveOperationException {
        for (Class<?> c = o.getClass(); c != null; c = c.getSuperclass()) {
            try {
                Field fd = c.getDeclaredField(name);
                fd.setAccessible(true);
                return fd.get(o);
            } catch (NoSuchFieldException next) {
                // look in the superclass
            }
        }
        throw new NoSuchFieldException(name);
    }

    static SimulatorRuntime runtime(Simulator sim) throws ReflectiveOperationException {
        return (SimulatorRuntime) field(sim, "runtime");
    }
}
