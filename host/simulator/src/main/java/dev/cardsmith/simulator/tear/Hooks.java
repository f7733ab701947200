package dev.cardsmith.simulator.tear;

import com.licel.jcardsim.base.SimulatorRuntime;
import com.licel.jcardsim.base.SimulatorSystem;
import javacard.framework.Util;
import javacard.security.Key;
import javacard.security.KeyBuilder;
import javacard.security.KeyPair;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the instrumented applet bytecode calls instead of its persistent writes (see
 * {@link Instrumenter}). Public only because the instrumented classes live in another class
 * loader; not an API. Outside a {@link RollbackRuntime} every hook does the plain operation.
 *
 * <p>Each hook finds out whether the target is persistent, logs the old value when a transaction
 * is open (counting it against the commit capacity), passes a write point (where power may be
 * lost) and then writes. Non-atomic operations pass two write points with the first half written
 * in between; key objects likewise, with the key half-written in between (docs/tearing.md).
 */
public final class Hooks {

    private static final Map<String, Method> METHODS = new ConcurrentHashMap<>();
    private static final byte MEMORY_TYPE_PERSISTENT = 0; // JCSystem.MEMORY_TYPE_PERSISTENT (JC 3.0.5)

    private Hooks() {}

    private static RollbackRuntime rt() {
        SimulatorRuntime r;
        try {
            r = SimulatorSystem.instance();
        } catch (AssertionError none) {
            return null;
        }
        return r instanceof RollbackRuntime rr ? rr : null;
    }

    // ---- allocation --------------------------------------------------------------------------

    public static void allocated(Object array) {
        RollbackRuntime rt = rt();
        if (rt != null) rt.allocated(array);
    }

    // ---- the toolkit context: CLEAR_ON_DESELECT memory is not accessible in processToolkit ----

    /** Before every array element load and store of applet code, and the Util calls on arrays. */
    public static void access(Object array, int index) {
        if (RollbackRuntime.TOOLKIT_THREADS.get() == 0) return;
        RollbackRuntime rt = rt();
        if (rt != null) rt.checkToolkitAccess(array);
    }

    private static void access(Object a) {
        access(a, 0);
    }

    /** Util.arrayCompare, a read of both arrays. */
    public static byte arrayCompare(byte[] src, short srcOff, byte[] dest, short destOff, short length) {
        access(src);
        access(dest);
        return Util.arrayCompare(src, srcOff, dest, destOff, length);
    }

    /** Util.getShort, a read. */
    public static short getShort(byte[] bArray, short bOff) {
        access(bArray);
        return Util.getShort(bArray, bOff);
    }

    // ---- array element stores ----------------------------------------------------------------

    /** BASTORE: byte[] or boolean[]. */
    public static void bastore(Object array, int index, int value) {
        access(array);
        if (array instanceof byte[] b) {
            byte old = b[index];
            RollbackRuntime rt = rt();
            if (rt != null && rt.isPersistent(b)) before(rt, b, index, 1, () -> b[index] = old);
            b[index] = (byte) value;
        } else {
            boolean[] z = (boolean[]) array;
            boolean old = z[index];
            RollbackRuntime rt = rt();
            if (rt != null && rt.isPersistent(z)) before(rt, z, index, 1, () -> z[index] = old);
            z[index] = value != 0;
        }
    }

    public static void sastore(short[] a, int index, int value) {
        access(a);
        short old = a[index];
        RollbackRuntime rt = rt();
        if (rt != null && rt.isPersistent(a)) before(rt, a, index, 2, () -> a[index] = old);
        a[index] = (short) value;
    }

    public static void castore(char[] a, int index, int value) {
        access(a);
        char old = a[index];
        RollbackRuntime rt = rt();
        if (rt != null && rt.isPersistent(a)) before(rt, a, index, 2, () -> a[index] = old);
        a[index] = (char) value;
    }

    public static void iastore(int[] a, int index, int value) {
        access(a);
        int old = a[index];
        RollbackRuntime rt = rt();
        if (rt != null && rt.isPersistent(a)) before(rt, a, index, 4, () -> a[index] = old);
        a[index] = value;
    }

    public static void aastore(Object[] a, int index, Object value) {
        access(a);
        Object old = a[index];
        if (value != null && !a.getClass().getComponentType().isInstance(value)) {
            throw new ArrayStoreException(value.getClass().getName());
        }
        RollbackRuntime rt = rt();
        if (rt != null && rt.isPersistent(a)) before(rt, a, index, 2, () -> a[index] = old);
        a[index] = value;
    }

    private static void before(RollbackRuntime rt, Object array, int index, int size, Runnable restore) {
        rt.logElement(array, index, size, restore);
        rt.writePoint();
    }

    // ---- field stores ------------------------------------------------------------------------

    /** Before PUTFIELD / PUTSTATIC of a one-word primitive; {@code target} is null for a static. */
    public static void putField(Object target, int old, Class<?> owner, String name, int size) {
        RollbackRuntime rt = rt();
        if (rt == null) return;
        rt.logField(target, owner, name, old, size);
        rt.writePoint();
    }

    /** Before PUTFIELD / PUTSTATIC of a reference. */
    public static void putFieldRef(Object target, Object old, Class<?> owner, String name) {
        RollbackRuntime rt = rt();
        if (rt == null) return;
        rt.logField(target, owner, name, old, 2);
        rt.writePoint();
    }

    // ---- javacard.framework.Util -------------------------------------------------------------

    /** Atomic for a persistent destination, also outside a transaction (one write point). */
    public static short arrayCopy(byte[] src, short srcOff, byte[] dest, short destOff, short length) {
        access(src);
        access(dest);
        RollbackRuntime rt = rt();
        if (rt == null || !rt.isPersistent(dest)) return Util.arrayCopy(src, srcOff, dest, destOff, length);
        byte[] data = range(src, srcOff, length);
        check(dest, destOff, length);
        if (length == 0) return (short) (destOff + length);
        rt.logRange(dest, destOff, length);
        rt.writePoint();
        System.arraycopy(data, 0, dest, destOff, length);
        return (short) (destOff + length);
    }

    /** Never logged, never undone; two write points with the first half copied in between. */
    public static short arrayCopyNonAtomic(byte[] src, short srcOff, byte[] dest, short destOff, short length) {
        access(src);
        access(dest);
        RollbackRuntime rt = rt();
        if (rt == null || !rt.isPersistent(dest)) return Util.arrayCopyNonAtomic(src, srcOff, dest, destOff, length);
        byte[] data = range(src, srcOff, length);
        check(dest, destOff, length);
        halves(rt, data, dest, destOff);
        return (short) (destOff + length);
    }

    public static short arrayFillNonAtomic(byte[] bArray, short bOff, short bLen, byte bValue) {
        access(bArray);
        RollbackRuntime rt = rt();
        if (rt == null || !rt.isPersistent(bArray)) return Util.arrayFillNonAtomic(bArray, bOff, bLen, bValue);
        check(bArray, bOff, bLen);
        byte[] data = new byte[bLen];
        Arrays.fill(data, bValue);
        halves(rt, data, bArray, bOff);
        return (short) (bOff + bLen);
    }

    /** Atomic for a persistent array (API: "performed atomically"), logged in a transaction. */
    public static short setShort(byte[] bArray, short bOff, short sValue) {
        access(bArray);
        RollbackRuntime rt = rt();
        if (rt == null || !rt.isPersistent(bArray)) return Util.setShort(bArray, bOff, sValue);
        check(bArray, bOff, (short) 2);
        rt.logRange(bArray, bOff, 2);
        rt.writePoint();
        bArray[bOff] = (byte) (sValue >> 8);
        bArray[bOff + 1] = (byte) sValue;
        return (short) (bOff + 2);
    }

    private static void halves(RollbackRuntime rt, byte[] data, byte[] dest, int off) {
        if (data.length == 0) return;
        int half = (data.length + 1) / 2;
        rt.writePoint();
        System.arraycopy(data, 0, dest, off, half);
        rt.writePoint();
        System.arraycopy(data, half, dest, off + half, data.length - half);
    }

    private static byte[] range(byte[] a, short off, short len) {
        check(a, off, len);
        return Arrays.copyOfRange(a, off, off + len);
    }

    private static void check(byte[] a, short off, short len) {
        if (off < 0 || len < 0 || off + len > a.length) throw new ArrayIndexOutOfBoundsException(off + len);
    }

    // ---- key objects -------------------------------------------------------------------------

    public static Key buildKey(byte type, short length, boolean encryption) {
        Key k = KeyBuilder.buildKey(type, length, encryption);
        RollbackRuntime rt = rt();
        if (rt != null && transientType(type)) rt.transientKey(k);
        if (rt != null && deselectType(type)) rt.deselectKey(k);
        return k;
    }

    public static Key buildKey(byte type, byte memoryType, short length, boolean encryption) {
        Key k = KeyBuilder.buildKey(type, memoryType, length, encryption);
        RollbackRuntime rt = rt();
        if (rt != null && (memoryType != MEMORY_TYPE_PERSISTENT || transientType(type))) rt.transientKey(k);
        return k;
    }

    private static boolean deselectType(byte type) {
        return typeNamed(type, "TRANSIENT_DESELECT");
    }

    private static boolean transientType(byte type) {
        return typeNamed(type, "TRANSIENT");
    }

    /** Is {@code type} the value of a KeyBuilder TYPE_ constant whose name contains {@code part}? */
    private static boolean typeNamed(byte type, String part) {
        for (java.lang.reflect.Field f : KeyBuilder.class.getFields()) {
            try {
                if (f.getName().contains(part) && f.getType() == byte.class && f.getByte(null) == type) return true;
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(e);
            }
        }
        return false;
    }

    /** clearKey(): one write point, never undone. */
    public static void keyCall(Object key, Class<?> owner, String name) {
        access(key);
        RollbackRuntime rt = rt();
        if (rt != null && rt.isPersistentKey(key)) rt.writePoint();
        invoke(key, owner, name, new Class<?>[0]);
    }

    /** setK(short) and the like: one write point, never undone. */
    public static void keyCall(Object key, short v, Class<?> owner, String name) {
        access(key);
        RollbackRuntime rt = rt();
        if (rt != null && rt.isPersistentKey(key)) rt.writePoint();
        invoke(key, owner, name, new Class<?>[] {short.class}, v);
    }

    /** setKey(byte[], short): two write points, the key half-written between them. */
    public static void keyCall(Object key, byte[] b, short off, Class<?> owner, String name) {
        access(key);
        access(b);
        RollbackRuntime rt = rt();
        Class<?>[] types = {byte[].class, short.class};
        if (rt != null && rt.isPersistentKey(key)) {
            rt.writePoint();
            if (rt.nextWriteTears()) {
                int len = (((Key) key).getSize() + 7) / 8;
                byte[] mixed = halfWritten(key, owner, name, b, off, len);
                tryInvoke(key, owner, name, types, mixed, (short) 0);
            }
            rt.writePoint();
        }
        invoke(key, owner, name, types, b, off);
    }

    /** setS / setW / setA ... (byte[], short, short): two write points, the key half-written between them. */
    public static void keyCall(Object key, byte[] b, short off, short len, Class<?> owner, String name) {
        access(key);
        access(b);
        RollbackRuntime rt = rt();
        Class<?>[] types = {byte[].class, short.class, short.class};
        if (rt != null && rt.isPersistentKey(key)) {
            rt.writePoint();
            if (rt.nextWriteTears()) {
                byte[] mixed = halfWritten(key, owner, name, b, off, len);
                tryInvoke(key, owner, name, types, mixed, (short) 0, (short) mixed.length);
            }
            rt.writePoint();
        }
        invoke(key, owner, name, types, b, off, len);
    }

    /** genKeyPair(): two write points, both keys cleared between them. */
    public static void genKeyPair(KeyPair pair) {
        RollbackRuntime rt = rt();
        if (rt != null && rt.isPersistentKey(pair.getPrivate())) {
            rt.writePoint();
            if (rt.nextWriteTears()) {
                if (pair.getPrivate() != null) pair.getPrivate().clearKey();
                if (pair.getPublic() != null) pair.getPublic().clearKey();
            }
            rt.writePoint();
        }
        pair.genKeyPair();
    }

    /** The worst case a card may leave: the first half of the new value over the rest of the old (zeros if none). */
    private static byte[] halfWritten(Object key, Class<?> owner, String setter, byte[] b, short off, int len) {
        check(b, off, (short) len);
        byte[] mixed = new byte[len];
        String getter = setter.equals("setFieldFP") ? "getField" : "get" + setter.substring(3);
        try {
            byte[] old = new byte[Math.max(len, 256)];
            Method m = method(owner, getter, new Class<?>[] {byte[].class, short.class});
            m.invoke(key, old, (short) 0);
            System.arraycopy(old, 0, mixed, 0, len);
        } catch (ReflectiveOperationException | RuntimeException unset) {
            // no old value to show: the rest stays zero
        }
        System.arraycopy(b, off, mixed, 0, len / 2);
        return mixed;
    }

    private static void tryInvoke(Object key, Class<?> owner, String name, Class<?>[] types, Object... args) {
        try {
            invoke(key, owner, name, types, args);
        } catch (RuntimeException rejected) {
            ((Key) key).clearKey(); // the platform refuses the mix: show the key cleared instead
        }
    }

    private static void invoke(Object target, Class<?> owner, String name, Class<?>[] types, Object... args) {
        try {
            method(owner, name, types).invoke(target, args);
        } catch (InvocationTargetException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException r) throw r;
            if (c instanceof Error err) throw err;
            throw new IllegalStateException(c);
        } catch (IllegalAccessException | NoSuchMethodException e) {
            throw new IllegalStateException("cannot call " + owner.getName() + "." + name, e);
        }
    }

    private static Method method(Class<?> owner, String name, Class<?>[] types) throws NoSuchMethodException {
        String k = owner.getName() + '.' + name + types.length;
        Method m = METHODS.get(k);
        if (m == null) {
            m = owner.getMethod(name, types);
            METHODS.put(k, m);
        }
        return m;
    }
}
