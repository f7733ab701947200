package dev.cardsmith.fuzz;

import com.licel.jcardsim.base.TransientMemory;
import javacard.framework.JCSystem;
import javacard.framework.OwnerPIN;
import javacard.security.AESKey;
import javacard.security.DESKey;
import javacard.security.ECPrivateKey;
import javacard.security.ECPublicKey;
import javacard.security.HMACKey;
import javacard.security.Key;
import javacard.security.KeyBuilder;
import javacard.security.KeyPair;
import javacard.security.RSAPrivateCrtKey;
import javacard.security.RSAPrivateKey;
import javacard.security.RSAPublicKey;

import java.io.ByteArrayOutputStream;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What an applet keeps in EEPROM, read by reflection from the applet object: every field of the
 * applet's own classes, every byte/short/boolean/Object array that {@link TransientMemory} does
 * not list as transient (what {@code JCSystem.isTransient} answers on the card), the values of
 * persistent key objects (getW / getS / getKey / RSA components) when initialized, and the
 * fields of {@link OwnerPIN} (its try counter is EEPROM). Transient arrays and transient key
 * types (KeyBuilder.TYPE_*_TRANSIENT_*) are skipped; crypto engines are not state.
 *
 * <p>A {@link Snapshot} maps a path such as {@code ModuleApplet.p.persoKey} to its value, so a
 * difference names the field. The same walk collects the secret key material (private EC
 * scalars, symmetric keys, RSA private components, persistent or transient) for the leak check.
 */
final class PersistentState {

    private PersistentState() {}

    /** Field values by path; the secrets the walk saw. */
    record Snapshot(Map<String, Object> values, List<byte[]> secrets) {

        /** Paths whose values differ (present in one snapshot only counts as different). */
        Set<String> diff(Snapshot after) {
            Set<String> changed = new TreeSet<>();
            for (Map.Entry<String, Object> e : values.entrySet()) {
                if (!Objects.deepEquals(e.getValue(), after.values.get(e.getKey()))) changed.add(e.getKey());
            }
            for (String k : after.values.keySet()) if (!values.containsKey(k)) changed.add(k);
            return changed;
        }
    }

    private static final Set<Byte> TRANSIENT_KEY_TYPES = transientKeyTypes();
    private static final Map<Class<?>, List<Field>> FIELDS = new ConcurrentHashMap<>();

    static Snapshot of(Object applet, TransientMemory mem) {
        Walk w = new Walk(mem);
        w.object(applet.getClass().getSimpleName(), applet);
        return new Snapshot(w.values, w.secrets);
    }

    private static final class Walk {
        final TransientMemory mem;
        final Map<String, Object> values = new LinkedHashMap<>();
        final List<byte[]> secrets = new ArrayList<>();
        final Map<Object, Boolean> seen = new IdentityHashMap<>();

        Walk(TransientMemory mem) { this.mem = mem; }

        void object(String path, Object o) {
            if (seen.put(o, Boolean.TRUE) != null) return;
            for (Field f : fields(o.getClass())) {
                Object v;
                try {
                    v = f.get(o);
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
                String p = path + "." + f.getName();
                if (f.getType().isPrimitive()) values.put(p, v);
                else value(p, v);
            }
        }

        void value(String p, Object v) {
            if (v == null) {
                values.put(p, "null");
            } else if (v.getClass().isArray()) {
                if (mem.isTransient(v) != JCSystem.NOT_A_TRANSIENT_OBJECT) return;
                List<String> names = Declarations.NAMED_BYTES.get(p);
                if (v instanceof Object[] arr) {
                    for (int i = 0; i < arr.length; i++) value(p + "[" + i + "]", arr[i]);
                } else if (names != null && v instanceof byte[] b && b.length == names.size()) {
                    for (int i = 0; i < b.length; i++) values.put(p + "." + names.get(i), b[i]);
                } else {
                    values.put(p, copy(v));
                }
            } else if (v instanceof Key k) {
                key(p, k);
            } else if (v instanceof KeyPair kp) {
                if (seen.put(kp, Boolean.TRUE) != null) return;
                key(p + ".public", kp.getPublic());
                key(p + ".private", kp.getPrivate());
            } else if (v instanceof OwnerPIN || v.getClass().getName().startsWith("dev.cardsmith.applet.")) {
                object(p, v);
            }
            // anything else (Signature, Cipher, RandomData, MessageDigest, KeyAgreement engines,
            // jCardSim internals) holds no applet state of its own
        }

        void key(String p, Key k) {
            if (seen.put(k, Boolean.TRUE) != null) return;
            boolean persistent = !TRANSIENT_KEY_TYPES.contains(k.getType());
            if (!k.isInitialized()) {
                if (persistent) values.put(p, "uninitialized");
                return;
            }
            byte[] secret = secretOf(k);
            if (secret != null) secrets.add(secret);
            if (persistent) values.put(p, secret != null ? secret : publicOf(k));
        }
    }

    /** The secret value of a key object, or null for public keys. */
    static byte[] secretOf(Key k) {
        byte[] b = new byte[512];
        if (k instanceof ECPrivateKey e) return Arrays.copyOf(b, e.getS(b, (short) 0));
        if (k instanceof AESKey a) return Arrays.copyOf(b, a.getKey(b, (short) 0));
        if (k instanceof DESKey d) return Arrays.copyOf(b, d.getKey(b, (short) 0));
        if (k instanceof HMACKey h) return Arrays.copyOf(b, h.getKey(b, (short) 0));
        if (k instanceof RSAPrivateCrtKey r) {
            ByteArrayOutputStream o = new ByteArrayOutputStream();
            o.write(b, 0, r.getP(b, (short) 0));
            o.write(b, 0, r.getQ(b, (short) 0));
            o.write(b, 0, r.getDP1(b, (short) 0));
            o.write(b, 0, r.getDQ1(b, (short) 0));
            o.write(b, 0, r.getPQ(b, (short) 0));
            return o.toByteArray();
        }
        if (k instanceof RSAPrivateKey r) return Arrays.copyOf(b, r.getExponent(b, (short) 0));
        return null;
    }

    private static Object publicOf(Key k) {
        byte[] b = new byte[600];
        if (k instanceof ECPublicKey e) return Arrays.copyOf(b, e.getW(b, (short) 0));
        if (k instanceof RSAPublicKey r) {
            int n = r.getModulus(b, (short) 0);
            return Arrays.copyOf(b, n + r.getExponent(b, (short) n));
        }
        return "initialized";
    }

    private static Object copy(Object array) {
        if (array instanceof byte[] a) return a.clone();
        if (array instanceof short[] a) return a.clone();
        if (array instanceof boolean[] a) return a.clone();
        if (array instanceof int[] a) return a.clone();
        return array.getClass().getName();
    }

    private static List<Field> fields(Class<?> c) {
        return FIELDS.computeIfAbsent(c, cls -> {
            List<Field> out = new ArrayList<>();
            for (Class<?> k = cls; k != null && k != Object.class && k != javacard.framework.Applet.class; k = k.getSuperclass()) {
                for (Field f : k.getDeclaredFields()) {
                    if (Modifier.isStatic(f.getModifiers()) || f.isSynthetic()) continue;
                    f.setAccessible(true);
                    out.add(f);
                }
            }
            return out;
        });
    }

    private static Set<Byte> transientKeyTypes() {
        Set<Byte> s = new java.util.HashSet<>();
        for (Field f : KeyBuilder.class.getFields()) {
            if (f.getName().startsWith("TYPE_") && f.getName().contains("TRANSIENT") && f.getType() == byte.class) {
                try {
                    s.add(f.getByte(null));
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return s;
    }
}
