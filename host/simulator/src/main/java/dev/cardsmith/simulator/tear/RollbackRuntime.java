package dev.cardsmith.simulator.tear;

import com.licel.jcardsim.base.SimulatorRuntime;
import com.licel.jcardsim.base.TransientMemory;
import javacard.framework.AID;
import javacard.framework.Applet;
import javacard.framework.TransactionException;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The card's persistent-memory manager that jCardSim lacks: a transaction with an undo log and a
 * commit capacity, a count of persistent writes per command, and power loss at a chosen write.
 *
 * <p>jCardSim's {@code JCSystem.beginTransaction/commitTransaction/abortTransaction/
 * getTransactionDepth/get*CommitCapacity} all delegate to the current {@link SimulatorRuntime};
 * this subclass overrides them, so the transaction calls of the (instrumented) applets and
 * jCardSim's own abort on deselect land here. Writes reach it through {@link Hooks}. One
 * instance per simulated card; see docs/tearing.md for the rules and the spec clauses.
 */
final class RollbackRuntime extends SimulatorRuntime implements dev.cardsmith.simulator.uicc.ToolkitContext {

    /** A small real card's commit buffer (bytes of logged data); jCardSim reports 32767. */
    static final int DEFAULT_COMMIT_CAPACITY = 256;

    private final Memory memory;
    private final Set<Object> persistentArrays = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Set<Object> transientKeys = Collections.newSetFromMap(new IdentityHashMap<>());

    private boolean inTransaction;
    private final List<Runnable> undo = new ArrayList<>();
    private final Map<Object, BitSet> loggedElements = new IdentityHashMap<>();
    private final Map<Object, Set<String>> loggedFields = new IdentityHashMap<>();
    private int commitUsed;
    private int commitCapacity = DEFAULT_COMMIT_CAPACITY;

    private boolean inCommand;
    private int writes;
    private int armedAfter = -1;
    private boolean torn;

    RollbackRuntime() {
        this(new Memory());
    }

    private RollbackRuntime(Memory memory) {
        super(memory);
        this.memory = memory;
    }

    /** jCardSim's transient memory with both lists clearable at once (power loss); knows its CLEAR_ON_DESELECT arrays. */
    static final class Memory extends TransientMemory {
        private final Set<Object> deselect = Collections.newSetFromMap(new IdentityHashMap<>());

        void powerLoss() {
            clearOnDeselect();
            clearOnReset();
        }

        @Override
        protected void storeArray(Object array, byte event) {
            super.storeArray(array, event);
            if (event == javacard.framework.JCSystem.CLEAR_ON_DESELECT) deselect.add(array);
        }
    }

    // ---- the toolkit context (TS 102 241 6.2, JC 3.0.5 runtime 6.1.3) --------------------------

    /** Any thread of any card in processToolkit: the hooks' fast path skips all checks while 0. */
    static final java.util.concurrent.atomic.AtomicInteger TOOLKIT_THREADS = new java.util.concurrent.atomic.AtomicInteger();
    private final Set<Thread> toolkitThreads = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final Set<Object> deselectKeys = Collections.newSetFromMap(new IdentityHashMap<>());

    @Override
    public void enterToolkit() {
        if (toolkitThreads.add(Thread.currentThread())) TOOLKIT_THREADS.incrementAndGet();
    }

    @Override
    public void exitToolkit() {
        if (toolkitThreads.remove(Thread.currentThread())) TOOLKIT_THREADS.decrementAndGet();
    }

    void deselectKey(Object key) {
        synchronized (deselectKeys) {
            deselectKeys.add(key);
        }
    }

    /**
     * Throws SecurityException when the current thread runs processToolkit and {@code o} is a
     * CLEAR_ON_DESELECT array or key: not accessible while the applet is not selected.
     */
    void checkToolkitAccess(Object o) {
        if (o == null || !toolkitThreads.contains(Thread.currentThread())) return;
        boolean deselectObject;
        synchronized (deselectKeys) {
            deselectObject = memory.deselect.contains(o) || deselectKeys.contains(o);
        }
        if (deselectObject) throw new SecurityException("CLEAR_ON_DESELECT memory accessed in processToolkit");
    }

    Applet applet(AID aid) {
        return getApplet(aid);
    }

    // ---- what is persistent ------------------------------------------------------------------

    void allocated(Object array) {
        persistentArrays.add(array);
    }

    /**
     * Arrays that applet code created with {@code new} (JCRE: persistent). makeTransient*Array
     * results never get here; framework-owned arrays (APDU buffer, install data) neither, so they
     * count as transient, as on a card.
     */
    boolean isPersistent(Object array) {
        return array != null && persistentArrays.contains(array);
    }

    void transientKey(Object key) {
        transientKeys.add(key);
    }

    boolean isPersistentKey(Object key) {
        return key != null && !transientKeys.contains(key);
    }

    // ---- transactions (JCRE 3.0.5 ch. 7) -----------------------------------------------------

    @Override
    public void beginTransaction() {
        dead();
        if (inTransaction) TransactionException.throwIt(TransactionException.IN_PROGRESS);
        inTransaction = true;
    }

    @Override
    public void commitTransaction() {
        dead();
        if (!inTransaction) TransactionException.throwIt(TransactionException.NOT_IN_PROGRESS);
        tearPoint(); // power lost before the commit record is written: the transaction rolls back
        endTransaction();
    }

    @Override
    public void abortTransaction() {
        dead();
        if (!inTransaction) TransactionException.throwIt(TransactionException.NOT_IN_PROGRESS);
        rollback();
    }

    @Override
    public byte getTransactionDepth() {
        return (byte) (inTransaction ? 1 : 0);
    }

    @Override
    public short getMaxCommitCapacity() {
        return (short) commitCapacity;
    }

    @Override
    public short getUnusedCommitCapacity() {
        return (short) (commitCapacity - commitUsed);
    }

    void commitCapacity(int bytes) {
        if (bytes < 0 || bytes > Short.MAX_VALUE) throw new IllegalArgumentException("commit capacity " + bytes);
        commitCapacity = bytes;
    }

    boolean inTransaction() {
        return inTransaction;
    }

    private void rollback() {
        for (int i = undo.size() - 1; i >= 0; i--) undo.get(i).run();
        endTransaction();
    }

    private void endTransaction() {
        inTransaction = false;
        undo.clear();
        loggedElements.clear();
        loggedFields.clear();
        commitUsed = 0;
    }

    private void reserve(int bytes) {
        if (commitUsed + bytes > commitCapacity) TransactionException.throwIt(TransactionException.BUFFER_FULL);
        commitUsed += bytes;
    }

    /** Logs the old value of one array element inside a transaction (first write counts against the capacity). */
    void logElement(Object array, int index, int size, Runnable restore) {
        if (!inTransaction) return;
        BitSet logged = loggedElements.computeIfAbsent(array, a -> new BitSet());
        if (!logged.get(index)) {
            reserve(size);
            logged.set(index);
        }
        undo.add(restore);
    }

    /** Logs a byte range as one entry; the whole range is checked against the capacity before anything is written. */
    void logRange(byte[] array, int off, int len) {
        if (!inTransaction) return;
        BitSet logged = loggedElements.computeIfAbsent(array, a -> new BitSet());
        int fresh = len - logged.get(off, off + len).cardinality();
        reserve(fresh);
        logged.set(off, off + len);
        byte[] old = java.util.Arrays.copyOfRange(array, off, off + len);
        undo.add(() -> System.arraycopy(old, 0, array, off, len));
    }

    void logField(Object target, Class<?> owner, String name, Object old, int size) {
        if (!inTransaction) return;
        Object key = target == null ? owner : target;
        Set<String> logged = loggedFields.computeIfAbsent(key, k -> new HashSet<>());
        if (logged.add(owner.getName() + '.' + name)) reserve(size);
        undo.add(() -> restoreField(owner, name, target, old));
    }

    private static void restoreField(Class<?> owner, String name, Object target, Object old) {
        try {
            Field f = field(owner, name);
            Class<?> t = f.getType();
            if (t == boolean.class) f.setBoolean(target, ((Integer) old) != 0);
            else if (t == byte.class) f.setByte(target, (byte) (int) (Integer) old);
            else if (t == short.class) f.setShort(target, (short) (int) (Integer) old);
            else if (t == char.class) f.setChar(target, (char) (int) (Integer) old);
            else if (t == int.class) f.setInt(target, (Integer) old);
            else f.set(target, old);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot roll back " + owner.getName() + "." + name, e);
        }
    }

    private static Field field(Class<?> owner, String name) throws NoSuchFieldException {
        for (Class<?> c = owner; c != null; c = c.getSuperclass()) {
            try {
                Field f = c.getDeclaredField(name);
                f.setAccessible(true);
                return f;
            } catch (NoSuchFieldException next) {
                // declared higher up
            }
        }
        throw new NoSuchFieldException(owner.getName() + "." + name);
    }

    // ---- write points and power loss ---------------------------------------------------------

    /** Called before each persistent write: loses power once {@code armedAfter} writes of this command are done. */
    void writePoint() {
        dead();
        if (!inCommand) return;
        if (writes == armedAfter) tear();
        writes++;
    }

    /** A point where power may be lost without a write (commit, end of command). */
    void tearPoint() {
        dead();
        if (inCommand && writes == armedAfter) tear();
    }

    /** True when the next write point loses power (the half-written states are only built then). */
    boolean nextWriteTears() {
        return inCommand && writes == armedAfter;
    }

    private void tear() {
        torn = true;
        throw new PowerLoss(writes);
    }

    private void dead() {
        if (torn) throw new PowerLoss(writes);
    }

    void beginCommand(int tearAfterWrites) {
        inCommand = true;
        writes = 0;
        armedAfter = tearAfterWrites;
        torn = false;
    }

    /** process() has returned: the JCRE aborts a transaction it left open (JCRE 7.6.2), then the end-of-command tear point. */
    void endCommand() {
        if (inTransaction) rollback();
        tearPoint();
        inCommand = false;
    }

    int writes() {
        return writes;
    }

    boolean torn() {
        return torn;
    }

    /** Power lost (or a cold reset): open transaction rolled back, all transient memory cleared, nothing selected. */
    void powerLoss() {
        torn = false;
        inCommand = false;
        armedAfter = -1;
        if (inTransaction) rollback();
        memory.powerLoss();
        super.reset();
    }

    @Override
    public void reset() {
        if (memory == null) { // called by the superclass constructor
            super.reset();
            return;
        }
        powerLoss();
    }
}
