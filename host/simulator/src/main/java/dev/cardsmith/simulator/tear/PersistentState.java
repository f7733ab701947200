package dev.cardsmith.simulator.tear;

import javacard.framework.Applet;
import javacard.security.ECPrivateKey;
import javacard.security.ECPublicKey;
import javacard.security.Key;
import javacard.security.RSAPrivateKey;
import javacard.security.RSAPublicKey;
import javacard.security.AESKey;
import javacard.security.DESKey;
import javacard.security.HMACKey;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/** Reads an applet's persistent state by reflection, as a sorted path -> value map (see {@link TearingSimulator#persistentState}). */
final class PersistentState {
    private static final HexFormat HEX = HexFormat.of();

    private final RollbackRuntime runtime;
    private final ClassLoader appletLoader;
    private final SortedMap<String, String> out = new TreeMap<>();
    private final Map<Object, String> seen = new IdentityHashMap<>();

    private PersistentState(RollbackRuntime runtime, ClassLoader appletLoader) {
        this.runtime = runtime;
        this.appletLoader = appletLoader;
    }

    static SortedMap<String, String> of(Applet applet, RollbackRuntime runtime, ClassLoader appletLoader) {
        PersistentState s = new PersistentState(runtime, appletLoader);
        s.walk(applet.getClass().getSimpleName(), applet);
        return s.out;
    }

    private void walk(String path, Object o) {
        if (o == null) {
            out.put(path, "null");
            return;
        }
        String first = seen.putIfAbsent(o, path);
        if (first != null) {
            out.put(path, "same as " + first);
            return;
        }
        Class<?> c = o.getClass();
        if (c.isArray()) {
            array(path, o);
        } else if (o instanceof Key k) {
            out.put(path, runtime.isPersistentKey(k) ? key(k) : "transient key");
        } else if (c.getClassLoader() == appletLoader) {
            for (Field f : fields(c)) {
                try {
                    Object v = f.get(o);
                    if (f.getType().isPrimitive()) out.put(path + "." + f.getName(), String.valueOf(v));
                    else walk(path + "." + f.getName(), v);
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
        } else {
            out.put(path, c.getSimpleName()); // a framework object (Cipher, RandomData ...)
        }
    }

    private void array(String path, Object a) {
        if (!runtime.isPersistent(a)) {
            out.put(path, "transient");
        } else if (a instanceof byte[] b) {
            out.put(path, HEX.formatHex(b));
        } else if (a instanceof Object[] arr) {
            for (int i = 0; i < arr.length; i++) walk(path + "[" + i + "]", arr[i]);
        } else {
            StringBuilder sb = new StringBuilder();
            int n = java.lang.reflect.Array.getLength(a);
            for (int i = 0; i < n; i++) sb.append(i == 0 ? "" : ",").append(java.lang.reflect.Array.get(a, i));
            out.put(path, sb.toString());
        }
    }

    private static List<Field> fields(Class<?> c) {
        List<Field> list = new ArrayList<>();
        for (Class<?> k = c; k != null && k != Applet.class && k != Object.class; k = k.getSuperclass()) {
            for (Field f : k.getDeclaredFields()) {
                if (Modifier.isStatic(f.getModifiers())) continue;
                f.setAccessible(true);
                list.add(f);
            }
        }
        return list;
    }

    private static String key(Key k) {
        if (!k.isInitialized()) return "uninitialized";
        byte[] buf = new byte[600];
        try {
            if (k instanceof AESKey s) return HEX.formatHex(buf, 0, s.getKey(buf, (short) 0));
            if (k instanceof DESKey s) return HEX.formatHex(buf, 0, s.getKey(buf, (short) 0));
            if (k instanceof HMACKey s) return HEX.formatHex(buf, 0, s.getKey(buf, (short) 0));
            if (k instanceof ECPrivateKey e) return HEX.formatHex(buf, 0, e.getS(buf, (short) 0));
            if (k instanceof ECPublicKey e) return HEX.formatHex(buf, 0, e.getW(buf, (short) 0));
            if (k instanceof RSAPrivateKey r) return HEX.formatHex(buf, 0, r.getExponent(buf, (short) 0));
            if (k instanceof RSAPublicKey r) return HEX.formatHex(buf, 0, r.getModulus(buf, (short) 0));
        } catch (RuntimeException unreadable) {
            return "unreadable " + unreadable.getClass().getSimpleName();
        }
        return "initialized";
    }
}
