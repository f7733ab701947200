package dev.cardsmith.simulator;

import com.licel.jcardsim.base.SimulatorRuntime;
import com.licel.jcardsim.base.TransientMemory;
import com.licel.jcardsim.smartcardio.CardSimulator;
import javacard.framework.AID;
import javacard.framework.Applet;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.lang.reflect.Array;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The persistent state of a powered-down simulated card: every object reachable from the
 * installed applets, with the counters of the card-seeded random streams, so that opening a saved
 * card costs the same whatever its history (docs/host-foundation.md, "Snapshots").
 *
 * <p>A snapshot is taken only right after a reset, when no transient state and no half-done
 * operation exist: what a chip keeps in EEPROM. It is an object table in breadth-first order from
 * the applets (sorted by AID). Each object is found again in a freshly installed card (same
 * seed, same install parameters, so the same objects in the same places) by the path it was
 * reached by, and overwritten with the saved contents; an object that is no longer where install
 * put it is allocated anew. Some objects are kept as the fresh install made them ("kept"): the
 * engines behind Signature, Cipher, KeyAgreement, MessageDigest and Checksum (an applet initialises
 * them before each use; a power loss ends any operation), SecureRandom objects (their state is the
 * counter of cardsmith's card-seeded stream, saved separately), APDU, AID, String, Class and every
 * transient array (its contents are zero after a reset). A key pair's key generator and its
 * parameters are rebuilt by jCardSim on each generateKeyPair and are not saved.
 *
 * <p>{@link #restore} proves its own work: after writing the state it captures the card again and
 * accepts the result only when the bytes equal the snapshot; otherwise the caller replays the
 * card's full journal. Any object of a class outside the applet, Java Card and jCardSim packages
 * makes {@link #capture} refuse (the card is then opened by replay, as before).
 */
final class CardSnapshot {

    private static final int FORMAT = 1;
    private static final int NULL = -1;

    private static final byte K_ROOT = 1;
    private static final byte K_KEPT = 2;
    private static final byte K_PRIMITIVE_ARRAY = 3;
    private static final byte K_OBJECT_ARRAY = 4;
    private static final byte K_OBJECT = 5;

    /** Classes whose instances are kept as install made them (see the class comment). */
    private static final List<Class<?>> KEPT = List.of(javacard.security.Signature.class, javacardx.crypto.Cipher.class,
            javacard.security.KeyAgreement.class, javacard.security.MessageDigest.class, javacard.security.Checksum.class,
            java.security.SecureRandom.class, javacard.framework.APDU.class, AID.class, String.class, Class.class);

    /** Derived fields: rebuilt by jCardSim before each use, never saved or restored. */
    private static final Set<String> DERIVED = Set.of("com.licel.jcardsim.crypto.KeyPairImpl.engine",
            "com.licel.jcardsim.crypto.KeyPairImpl.keyGenerationParameters");

    private static final List<String> SAVED_PACKAGES = List.of("dev.cardsmith.", "com.licel.jcardsim.", "javacard.", "javacardx.");

    private static final Map<Class<?>, Field[]> FIELDS = new ConcurrentHashMap<>();

    private CardSnapshot() {}

    /** The card cannot be snapshotted (or a snapshot does not fit it); the caller replays instead. */
    static final class Unsupported extends Exception {
        private static final long serialVersionUID = 1L;

        Unsupported(String why) {
            super(why, null, false, false);
        }
    }

    /** The snapshot of {@code sim}'s persistent state; call right after a reset. */
    static byte[] capture(CardSimulator sim, List<SimulatedEntropy.Spi> streams) throws Unsupported {
        Graph g = Graph.walk(sim);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 * 1024);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(FORMAT);
            out.writeInt(streams.size());
            for (SimulatedEntropy.Spi s : streams) out.writeLong(s.position());
            out.writeInt(g.objects.size());
            for (int id = 0; id < g.objects.size(); id++) g.write(out, id);
        } catch (IOException e) {
            throw new IllegalStateException(e); // in memory
        }
        return bytes.toByteArray();
    }

    /**
     * Writes the snapshot into a card freshly installed with the same seed and applets, and
     * checks the result. On {@link Unsupported} the card may be half-written: discard it.
     */
    static void restore(CardSimulator sim, List<SimulatedEntropy.Spi> streams, byte[] snapshot) throws Unsupported {
        Graph fresh = Graph.walk(sim);
        Parsed parsed = read(snapshot, streams.size());
        List<Entry> entries = parsed.entries;
        Object[] target = new Object[entries.size()];
        IdentityHashMap<Object, Boolean> claimed = new IdentityHashMap<>();
        // 1. Find every object where install put it, before anything is written.
        for (int id = 0; id < entries.size(); id++) {
            Entry e = entries.get(id);
            Object found = e.kind == K_ROOT ? fresh.root(e.slot) : fresh.slot(target[e.parent], e.slot);
            if (e.kind == K_ROOT || e.kind == K_KEPT) {
                if (found == null || !found.getClass().getName().equals(e.className)) {
                    throw new Unsupported("object " + id + " (" + e.className + ") is not where install put it");
                }
                target[id] = found;
            } else if (found != null && !claimed.containsKey(found) && found.getClass().getName().equals(e.className)
                    && (!found.getClass().isArray() || Array.getLength(found) == e.length)) {
                target[id] = found;
            } else {
                target[id] = allocate(e);
            }
            claimed.put(target[id], Boolean.TRUE);
        }
        // 2. Write contents and references.
        for (int id = 0; id < entries.size(); id++) {
            Entry e = entries.get(id);
            try {
                e.writeInto(target[id], target);
            } catch (IOException | ReflectiveOperationException ex) {
                throw new Unsupported("object " + id + " (" + e.className + "): " + ex);
            }
        }
        for (int i = 0; i < parsed.positions.length; i++) streams.get(i).position(parsed.positions[i]);
        // 3. Proof: the restored card captures to the same bytes.
        if (!Arrays.equals(snapshot, capture(sim, streams))) throw new Unsupported("restored card differs from its snapshot");
    }

    /** A snapshot read back: the random-stream positions and the object table. */
    private static final class Parsed {
        final long[] positions;
        final List<Entry> entries;

        Parsed(long[] positions, List<Entry> entries) {
            this.positions = positions;
            this.entries = entries;
        }
    }

    private static Parsed read(byte[] snapshot, int streams) throws Unsupported {
        try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(snapshot))) {
            if (in.readInt() != FORMAT) throw new Unsupported("snapshot format");
            int n = in.readInt();
            if (n != streams) throw new Unsupported("snapshot has " + n + " random streams, the card " + streams);
            long[] positions = new long[n];
            for (int i = 0; i < n; i++) positions[i] = in.readLong();
            int count = in.readInt();
            List<Entry> out = new ArrayList<>(count);
            for (int i = 0; i < count; i++) out.add(Entry.read(in, i));
            if (in.read() != -1) throw new Unsupported("trailing bytes in snapshot");
            return new Parsed(positions, out);
        } catch (IOException e) {
            throw new Unsupported("truncated snapshot");
        }
    }

    private static Object allocate(Entry e) throws Unsupported {
        try {
            Class<?> c = Class.forName(e.className, false, CardSnapshot.class.getClassLoader());
            if (c.isArray()) return Array.newInstance(c.getComponentType(), e.length);
            if (e.kind != K_OBJECT || !saved(c)) throw new Unsupported("cannot allocate " + e.className);
            // An object is re-created the way deserialization does it: without running a constructor.
            @SuppressWarnings("unchecked")
            Constructor<?> k = sun.reflect.ReflectionFactory.getReflectionFactory()
                    .newConstructorForSerialization(c, Object.class.getDeclaredConstructor());
            return k.newInstance();
        } catch (ReflectiveOperationException | LinkageError ex) {
            throw new Unsupported("cannot allocate " + e.className + ": " + ex);
        }
    }

    private static boolean saved(Class<?> c) {
        String n = c.getName();
        for (String p : SAVED_PACKAGES) if (n.startsWith(p)) return true;
        return false;
    }

    private static boolean kept(Object o, Set<Object> transients) {
        if (o.getClass().isArray()) return transients.contains(o);
        for (Class<?> k : KEPT) if (k.isInstance(o)) return true;
        return false;
    }

    /** Instance fields, superclass first, each class's in name order; derived fields left out. */
    static Field[] fields(Class<?> c) {
        return FIELDS.computeIfAbsent(c, cls -> {
            List<Class<?>> chain = new ArrayList<>();
            for (Class<?> k = cls; k != null && k != Object.class; k = k.getSuperclass()) chain.add(0, k);
            List<Field> out = new ArrayList<>();
            for (Class<?> k : chain) {
                Field[] declared = k.getDeclaredFields();
                Arrays.sort(declared, Comparator.comparing(Field::getName));
                for (Field f : declared) {
                    if (Modifier.isStatic(f.getModifiers()) || f.isSynthetic()) continue;
                    if (DERIVED.contains(k.getName() + "." + f.getName())) continue;
                    f.setAccessible(true);
                    out.add(f);
                }
            }
            return out.toArray(new Field[0]);
        });
    }

    /** The objects reachable from the applets, numbered breadth-first. */
    private static final class Graph {
        final List<Object> roots;
        final Set<Object> transients;
        final List<Object> objects = new ArrayList<>();
        final IdentityHashMap<Object, Integer> ids = new IdentityHashMap<>();
        final List<int[]> reachedBy = new ArrayList<>(); // {parent id, slot}; roots: {-1, root index}

        private Graph(List<Object> roots, Set<Object> transients) {
            this.roots = roots;
            this.transients = transients;
        }

        static Graph walk(CardSimulator sim) throws Unsupported {
            SimulatorRuntime rt = runtime(sim);
            Set<Object> transients = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
            TransientMemory tm = rt.getTransientMemory();
            try {
                for (String name : List.of("clearOnDeselect", "clearOnReset")) {
                    Field f = TransientMemory.class.getDeclaredField(name);
                    f.setAccessible(true);
                    transients.addAll((List<?>) f.get(tm));
                }
            } catch (ReflectiveOperationException e) {
                throw new Unsupported("jCardSim's transient memory: " + e);
            }
            Graph g = new Graph(applets(rt), transients);
            Deque<Object> queue = new ArrayDeque<>();
            for (int i = 0; i < g.roots.size(); i++) {
                g.add(g.roots.get(i), -1, i);
                queue.add(g.roots.get(i));
            }
            while (!queue.isEmpty()) {
                Object o = queue.poll();
                int id = g.ids.get(o);
                if (g.kind(id) == K_KEPT) continue;
                Class<?> c = o.getClass();
                if (c.isArray()) {
                    if (c.getComponentType().isPrimitive()) continue;
                    Object[] a = (Object[]) o;
                    for (int i = 0; i < a.length; i++) g.visit(a[i], id, i, queue);
                    continue;
                }
                if (!saved(c)) throw new Unsupported("cannot snapshot an object of " + c.getName());
                Field[] fs = fields(c);
                for (int i = 0; i < fs.length; i++) {
                    if (fs[i].getType().isPrimitive()) continue;
                    try {
                        g.visit(fs[i].get(o), id, i, queue);
                    } catch (IllegalAccessException e) {
                        throw new Unsupported(fs[i] + ": " + e);
                    }
                }
            }
            return g;
        }

        private void visit(Object v, int parent, int slot, Deque<Object> queue) {
            if (v == null || ids.containsKey(v)) return;
            add(v, parent, slot);
            queue.add(v);
        }

        private void add(Object o, int parent, int slot) {
            ids.put(o, objects.size());
            objects.add(o);
            reachedBy.add(new int[] {parent, slot});
        }

        byte kind(int id) {
            Object o = objects.get(id);
            if (reachedBy.get(id)[0] < 0) return K_ROOT;
            if (kept(o, transients)) return K_KEPT;
            if (o.getClass().isArray()) return o.getClass().getComponentType().isPrimitive() ? K_PRIMITIVE_ARRAY : K_OBJECT_ARRAY;
            return K_OBJECT;
        }

        Object root(int index) {
            return index < roots.size() ? roots.get(index) : null;
        }

        /** What {@code parent}'s field or element number {@code slot} holds now; null when absent. */
        Object slot(Object parent, int slot) {
            if (parent == null) return null;
            Class<?> c = parent.getClass();
            if (c.isArray()) {
                if (c.getComponentType().isPrimitive() || slot >= Array.getLength(parent)) return null;
                return ((Object[]) parent)[slot];
            }
            Field[] fs = fields(c);
            if (slot >= fs.length || fs[slot].getType().isPrimitive()) return null;
            try {
                return fs[slot].get(parent);
            } catch (IllegalAccessException e) {
                return null;
            }
        }

        int id(Object v) {
            return v == null ? NULL : ids.get(v);
        }

        void write(DataOutputStream out, int id) throws IOException {
            Object o = objects.get(id);
            byte kind = kind(id);
            int[] by = reachedBy.get(id);
            out.writeByte(kind);
            out.writeUTF(o.getClass().getName());
            out.writeInt(by[0]);
            out.writeInt(by[1]);
            Class<?> c = o.getClass();
            switch (kind) {
                case K_KEPT:
                    return;
                case K_PRIMITIVE_ARRAY:
                    writePrimitiveArray(out, o);
                    return;
                case K_OBJECT_ARRAY: {
                    Object[] a = (Object[]) o;
                    out.writeInt(a.length);
                    for (Object e : a) out.writeInt(id(e));
                    return;
                }
                default: {
                    Field[] fs = fields(c);
                    out.writeInt(fs.length);
                    for (Field f : fs) {
                        try {
                            writeField(out, f, o);
                        } catch (IllegalAccessException e) {
                            throw new IOException(f + ": " + e);
                        }
                    }
                }
            }
        }

        private void writeField(DataOutputStream out, Field f, Object o) throws IllegalAccessException, IOException {
            Class<?> t = f.getType();
            if (t == boolean.class) out.writeBoolean(f.getBoolean(o));
            else if (t == byte.class) out.writeByte(f.getByte(o));
            else if (t == short.class) out.writeShort(f.getShort(o));
            else if (t == char.class) out.writeChar(f.getChar(o));
            else if (t == int.class) out.writeInt(f.getInt(o));
            else if (t == long.class) out.writeLong(f.getLong(o));
            else if (t == float.class) out.writeFloat(f.getFloat(o));
            else if (t == double.class) out.writeDouble(f.getDouble(o));
            else out.writeInt(id(f.get(o)));
        }
    }

    private static void writePrimitiveArray(DataOutputStream out, Object a) throws IOException {
        int n = Array.getLength(a);
        out.writeInt(n);
        if (a instanceof byte[]) {
            out.write((byte[]) a);
            return;
        }
        for (int i = 0; i < n; i++) {
            Object v = Array.get(a, i);
            if (v instanceof Boolean) out.writeBoolean((Boolean) v);
            else if (v instanceof Short) out.writeShort((Short) v);
            else if (v instanceof Character) out.writeChar((Character) v);
            else if (v instanceof Integer) out.writeInt((Integer) v);
            else if (v instanceof Long) out.writeLong((Long) v);
            else if (v instanceof Float) out.writeFloat((Float) v);
            else out.writeDouble((Double) v);
        }
    }

    /** One object of a snapshot, read back. */
    private static final class Entry {
        byte kind;
        String className;
        int parent;
        int slot;
        int length;
        /** The object's saved contents after the header (array data, references or field values). */
        byte[] body;

        static Entry read(DataInputStream in, int id) throws IOException, Unsupported {
            Entry e = new Entry();
            e.kind = in.readByte();
            e.className = in.readUTF();
            e.parent = in.readInt();
            e.slot = in.readInt();
            if (e.kind != K_ROOT && (e.parent < 0 || e.parent >= id)) throw new Unsupported("object " + id + " reached from nowhere");
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            DataOutputStream copy = new DataOutputStream(body);
            switch (e.kind) {
                case K_ROOT:
                case K_OBJECT:
                    e.length = in.readInt(); // field count
                    copyFields(in, copy, e);
                    break;
                case K_KEPT:
                    break;
                case K_PRIMITIVE_ARRAY:
                    e.length = in.readInt();
                    copy.write(in.readNBytes(elementSize(e.className) * e.length));
                    break;
                case K_OBJECT_ARRAY:
                    e.length = in.readInt();
                    copy.write(in.readNBytes(4 * e.length));
                    break;
                default:
                    throw new Unsupported("object kind " + e.kind);
            }
            e.body = body.toByteArray();
            return e;
        }

        private static void copyFields(DataInputStream in, DataOutputStream copy, Entry e) throws IOException, Unsupported {
            Class<?> c;
            try {
                c = Class.forName(e.className, false, CardSnapshot.class.getClassLoader());
            } catch (ClassNotFoundException ex) {
                throw new Unsupported("unknown class " + e.className);
            }
            Field[] fs = fields(c);
            if (fs.length != e.length) throw new Unsupported(e.className + " has changed since the snapshot");
            for (Field f : fs) copy.write(in.readNBytes(size(f.getType())));
        }

        void writeInto(Object o, Object[] target) throws IOException, ReflectiveOperationException, Unsupported {
            DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(body));
            switch (kind) {
                case K_KEPT:
                    return;
                case K_PRIMITIVE_ARRAY:
                    readPrimitiveArray(in, o, length);
                    return;
                case K_OBJECT_ARRAY: {
                    Object[] a = (Object[]) o;
                    for (int i = 0; i < length; i++) a[i] = ref(in.readInt(), target);
                    return;
                }
                default:
                    for (Field f : fields(o.getClass())) {
                        Class<?> t = f.getType();
                        if (t == boolean.class) f.setBoolean(o, in.readBoolean());
                        else if (t == byte.class) f.setByte(o, in.readByte());
                        else if (t == short.class) f.setShort(o, in.readShort());
                        else if (t == char.class) f.setChar(o, in.readChar());
                        else if (t == int.class) f.setInt(o, in.readInt());
                        else if (t == long.class) f.setLong(o, in.readLong());
                        else if (t == float.class) f.setFloat(o, in.readFloat());
                        else if (t == double.class) f.setDouble(o, in.readDouble());
                        else f.set(o, ref(in.readInt(), target));
                    }
            }
        }

        private static Object ref(int id, Object[] target) throws Unsupported {
            if (id == NULL) return null;
            if (id < 0 || id >= target.length) throw new Unsupported("reference to object " + id);
            return target[id];
        }
    }

    private static void readPrimitiveArray(DataInputStream in, Object a, int n) throws IOException {
        if (a instanceof byte[]) {
            in.readFully((byte[]) a, 0, n);
            return;
        }
        for (int i = 0; i < n; i++) {
            if (a instanceof boolean[]) ((boolean[]) a)[i] = in.readBoolean();
            else if (a instanceof short[]) ((short[]) a)[i] = in.readShort();
            else if (a instanceof char[]) ((char[]) a)[i] = in.readChar();
            else if (a instanceof int[]) ((int[]) a)[i] = in.readInt();
            else if (a instanceof long[]) ((long[]) a)[i] = in.readLong();
            else if (a instanceof float[]) ((float[]) a)[i] = in.readFloat();
            else ((double[]) a)[i] = in.readDouble();
        }
    }

    private static int elementSize(String arrayClass) throws Unsupported {
        switch (arrayClass) {
            case "[Z": case "[B": return 1;
            case "[S": case "[C": return 2;
            case "[I": case "[F": return 4;
            case "[J": case "[D": return 8;
            default: throw new Unsupported("array class " + arrayClass);
        }
    }

    private static int size(Class<?> t) {
        if (t == boolean.class || t == byte.class) return 1;
        if (t == short.class || t == char.class) return 2;
        if (t == long.class || t == double.class) return 8;
        return 4; // int, float, reference id
    }

    private static SimulatorRuntime runtime(CardSimulator sim) throws Unsupported {
        try {
            Field f = com.licel.jcardsim.base.Simulator.class.getDeclaredField("runtime");
            f.setAccessible(true);
            return (SimulatorRuntime) f.get(sim);
        } catch (ReflectiveOperationException e) {
            throw new Unsupported("jCardSim runtime: " + e);
        }
    }

    /** The installed applet instances, in the runtime's AID order. */
    private static List<Object> applets(SimulatorRuntime rt) throws Unsupported {
        try {
            Field f = SimulatorRuntime.class.getDeclaredField("applets");
            f.setAccessible(true);
            Method get = SimulatorRuntime.class.getDeclaredMethod("getApplet", AID.class);
            get.setAccessible(true);
            List<Object> out = new ArrayList<>();
            for (Object aid : ((Map<?, ?>) f.get(rt)).keySet()) {
                Applet a = (Applet) get.invoke(rt, aid);
                if (a == null) throw new Unsupported("applet not instantiated");
                out.add(a);
            }
            return out;
        } catch (ReflectiveOperationException e) {
            throw new Unsupported("jCardSim applets: " + e);
        }
    }
}
