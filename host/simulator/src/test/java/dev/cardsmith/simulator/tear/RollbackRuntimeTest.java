package dev.cardsmith.simulator.tear;

import dev.cardsmith.simulator.AppletRegistry;
import dev.cardsmith.simulator.AppletSpec;
import dev.cardsmith.simulator.SimulatorTransport;
import dev.cardsmith.simulator.tear.probe.ProbeApplet;
import dev.cardsmith.transport.TransportException;
import org.junit.jupiter.api.Test;

import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** Each rule of docs/tearing.md, shown on {@link ProbeApplet}. */
class RollbackRuntimeTest {
    private static final byte[] AID = HexFormat.of().parseHex("F0CA5D5E7E0101");
    private static final String ZERO16 = "00".repeat(16);
    private static final String K1 = "11".repeat(16);
    private static final String K2 = "22".repeat(16);

    private static TearingSimulator card() {
        TearingSimulator c = new TearingSimulator(List.of(new AppletSpec("probe", AID, AID, ProbeApplet.class, new byte[0])));
        select(c);
        return c;
    }

    private static byte[] selectApdu(byte[] aid) {
        byte[] sel = new byte[5 + aid.length];
        sel[1] = (byte) 0xA4;
        sel[2] = 0x04;
        sel[4] = (byte) aid.length;
        System.arraycopy(aid, 0, sel, 5, aid.length);
        return sel;
    }

    private static void select(TearingSimulator c) {
        assertEquals(0x9000, sw(c.transmit(selectApdu(AID))));
    }

    private static byte[] apdu(byte ins, int p1, String dataHex) {
        byte[] data = HexFormat.of().parseHex(dataHex);
        byte[] a = new byte[5 + data.length];
        a[0] = (byte) 0x80;
        a[1] = ins;
        a[2] = (byte) p1;
        a[4] = (byte) data.length;
        System.arraycopy(data, 0, a, 5, data.length);
        return a;
    }

    private static int sw(byte[] r) {
        return ((r[r.length - 2] & 0xFF) << 8) | (r[r.length - 1] & 0xFF);
    }

    private static int send(TearingSimulator c, byte ins, int p1, String data) {
        return sw(c.transmit(apdu(ins, p1, data)));
    }

    private static Map<String, String> state(TearingSimulator c) {
        return c.persistentState("probe");
    }

    private static String store(TearingSimulator c) {
        return state(c).get("ProbeApplet.store");
    }

    @Test
    void abortTransactionUndoesArrayAndFieldWrites() {
        TearingSimulator c = card();
        assertEquals(0x9000, send(c, ProbeApplet.INS_TX, 1, "01020304"));
        assertEquals(ZERO16, store(c));
        assertEquals("0", state(c).get("ProbeApplet.counter"));
        assertEquals(5, c.writesInLastCommand(), "4 element stores + 1 field store");
        assertEquals(0x9000, send(c, ProbeApplet.INS_TX, 0, "01020304"));
        assertEquals("01020304" + "00".repeat(12), store(c));
        assertEquals("1", state(c).get("ProbeApplet.counter"));
    }

    @Test
    void jcreAbortsTransactionLeftOpenByProcess() {
        TearingSimulator c = card();
        assertEquals(0x9000, send(c, ProbeApplet.INS_TX, 2, "0102"), "returned normally with the transaction open");
        assertEquals(ZERO16, store(c));
        assertEquals(0x6984, send(c, ProbeApplet.INS_TX, 3, "0102"), "threw with the transaction open");
        assertEquals(ZERO16, store(c));
        assertEquals("0", state(c).get("ProbeApplet.counter"));
    }

    @Test
    void powerLossInsideTransactionRollsBackAtEveryWriteAndAtCommit() {
        for (int k = 0; k <= 5; k++) {
            TearingSimulator c = card();
            c.armTearAfterWrites(k);
            final int kk = k;
            assertThrows(TransportException.class, () -> send(c, ProbeApplet.INS_TX, 0, "01020304"), "k=" + kk);
            assertTrue(c.lastCommandTorn());
            assertEquals(k, c.writesInLastCommand());
            assertEquals(ZERO16, store(c), "k=" + k);
            assertEquals("0", state(c).get("ProbeApplet.counter"), "k=" + k);
        }
    }

    @Test
    void armedTearFiresOnceAndOnlyInTheNextCommand() {
        TearingSimulator c = card();
        c.armTearAfterWrites(9);
        assertEquals(0x9000, send(c, ProbeApplet.INS_TX, 0, "01"), "2 writes < 9: completes");
        assertFalse(c.lastCommandTorn());
        assertEquals(0x9000, send(c, ProbeApplet.INS_TX, 0, "0101010101"), "disarmed");
        assertEquals("2", state(c).get("ProbeApplet.counter"));
    }

    @Test
    void nonAtomicUtilMethodsAreNotUndoneByAbort() {
        TearingSimulator c = card();
        assertEquals(0x9000, send(c, ProbeApplet.INS_NON_ATOMIC_IN_TX, 0x5A, "A1A2A3A4"));
        assertEquals("a1a2a3a4" + "00".repeat(12), store(c), "arrayCopyNonAtomic kept");
        assertTrue(state(c).get("ProbeApplet.big").startsWith("5a".repeat(10) + "00"), "arrayFillNonAtomic kept");
        assertEquals("0", state(c).get("ProbeApplet.counter"), "the field store was undone");
        assertEquals(5, c.writesInLastCommand(), "copy 2 + fill 2 + field 1");
    }

    @Test
    void nonAtomicCopyTornInTheMiddleLeavesHalfOfIt() {
        TearingSimulator c = card();
        c.armTearAfterWrites(1);
        assertThrows(TransportException.class, () -> send(c, ProbeApplet.INS_NON_ATOMIC_IN_TX, 0, "A1A2A3A4"));
        assertEquals("a1a2" + "00".repeat(14), store(c));
    }

    @Test
    void utilArrayCopyIsAtomicOutsideATransaction() {
        String data = "AB".repeat(16);
        TearingSimulator c = card();
        assertEquals(0x9000, send(c, ProbeApplet.INS_ARRAY_COPY, 0, data));
        assertEquals(1, c.writesInLastCommand(), "one atomic write");
        assertEquals(data.toLowerCase(), store(c));
        TearingSimulator torn = card();
        torn.armTearAfterWrites(0);
        assertThrows(TransportException.class, () -> send(torn, ProbeApplet.INS_ARRAY_COPY, 0, data));
        assertEquals(ZERO16, store(torn), "torn before: all old, never a part");
    }

    @Test
    void setShortIsTransactional() {
        TearingSimulator c = card();
        assertEquals(0x9000, send(c, ProbeApplet.INS_SET_SHORT, 1, "BEEF"));
        assertEquals(ZERO16, store(c));
        assertEquals(0x9000, send(c, ProbeApplet.INS_SET_SHORT, 0, "BEEF"));
        assertEquals("beef" + "00".repeat(14), store(c));
    }

    @Test
    void transactionBeyondTheCommitCapacityThrowsBufferFullAndWritesNothing() {
        TearingSimulator c = card();
        assertEquals(RollbackRuntime.DEFAULT_COMMIT_CAPACITY, ((c.transmit(apdu(ProbeApplet.INS_CAPACITY, 0, ""))[0] & 0xFF) << 8)
                | (c.transmit(apdu(ProbeApplet.INS_CAPACITY, 0, ""))[1] & 0xFF));
        c.commitCapacity(150);
        String hundred = "C3".repeat(100);
        assertEquals(0x9000, send(c, ProbeApplet.INS_BIG_TX, 1, hundred), "100 bytes fit");
        String before = state(c).get("ProbeApplet.big");
        assertEquals(ProbeApplet.SW_BUFFER_FULL & 0xFFFF, send(c, ProbeApplet.INS_BIG_TX, 2, "D4".repeat(100)), "200 bytes do not");
        assertEquals(before, state(c).get("ProbeApplet.big"), "the first copy was rolled back");
        assertEquals(0x9000, send(c, ProbeApplet.INS_BIG_TX, 1, "D4".repeat(100)), "overwriting logged bytes: the capacity was given back");
    }

    @Test
    void keyWriteIsNotRolledBackByAbort() {
        TearingSimulator c = card();
        assertEquals(0x9000, send(c, ProbeApplet.INS_SET_KEY_IN_TX, 0, K1));
        assertEquals(K1, state(c).get("ProbeApplet.key"), "the key keeps the value written in the aborted transaction");
        assertEquals("0", state(c).get("ProbeApplet.counter"));
    }

    @Test
    void keyWriteTornInTheMiddleIsHalfWritten() {
        TearingSimulator c = card();
        assertEquals(0x9000, send(c, ProbeApplet.INS_SET_KEY, 0, K1));
        assertEquals(2, c.writesInLastCommand());
        c.armTearAfterWrites(0);
        assertThrows(TransportException.class, () -> send(c, ProbeApplet.INS_SET_KEY, 0, K2));
        assertEquals(K1, state(c).get("ProbeApplet.key"), "torn before: old");
        select(c);
        c.armTearAfterWrites(1);
        assertThrows(TransportException.class, () -> send(c, ProbeApplet.INS_SET_KEY, 0, K2));
        assertEquals("22".repeat(8) + "11".repeat(8), state(c).get("ProbeApplet.key"), "torn inside: neither old nor new");
        select(c);
        c.armTearAfterWrites(2);
        assertThrows(TransportException.class, () -> send(c, ProbeApplet.INS_SET_KEY, 0, K2));
        assertEquals(K2, state(c).get("ProbeApplet.key"), "torn after (response lost): new");
        select(c);
        assertEquals(0x9000, send(c, ProbeApplet.INS_CLEAR_KEY, 0, ""));
        assertEquals("uninitialized", state(c).get("ProbeApplet.key"));
    }

    @Test
    void keyWritesAreSeenThroughEcKeyAndNotOnTransientKeys() {
        TearingSimulator c = card();
        assertEquals(0x9000, send(c, ProbeApplet.INS_SET_EC_A, 0, "FF".repeat(32)));
        assertEquals(2, c.writesInLastCommand(), "ECKey.setA on a persistent key");
        assertEquals(0x9000, send(c, ProbeApplet.INS_SET_RAM_KEY, 0, K1));
        assertEquals(0, c.writesInLastCommand(), "a TYPE_AES_TRANSIENT_DESELECT key is RAM");
        assertEquals("transient key", state(c).get("ProbeApplet.ramKey"));
    }

    @Test
    void staticInitialisersAreNotWritesOfTheCommandThatLoadsTheClass() {
        TearingSimulator c = card();
        c.armTearAfterWrites(0);
        assertThrows(TransportException.class, () -> send(c, ProbeApplet.INS_READ_TABLE, 0, ""), "torn at the end of the command");
        assertEquals(0, c.writesInLastCommand(), "the array initialiser of Table counts no write");
        select(c);
        assertEquals("039000", HexFormat.of().formatHex(c.transmit(apdu(ProbeApplet.INS_READ_TABLE, 0, ""))), "the class initialised");
    }

    /** What the runtime adds: the same command on jCardSim alone (SimulatorTransport). */
    @Test
    void jCardSimAloneKeepsTheWritesOfAnAbortedTransaction() {
        SimulatorTransport plain = new SimulatorTransport(List.of(new AppletSpec("probe", AID, AID, ProbeApplet.class, new byte[0])));
        plain.transmit(selectApdu(AID));
        assertEquals(0x9000, sw(plain.transmit(apdu(ProbeApplet.INS_TX, 1, "0102"))));
        assertEquals("0102" + "00".repeat(14) + "9000", HexFormat.of().formatHex(plain.transmit(apdu(ProbeApplet.INS_READ_STORE, 0, ""))));
        TearingSimulator c = card();
        assertEquals(0x9000, send(c, ProbeApplet.INS_TX, 1, "0102"));
        assertEquals(ZERO16 + "9000", HexFormat.of().formatHex(c.transmit(apdu(ProbeApplet.INS_READ_STORE, 0, ""))));
    }

    /** records[active] and version of the probe. */
    private static String record(TearingSimulator c) {
        Map<String, String> s = state(c);
        return s.get("ProbeApplet.records[" + s.get("ProbeApplet.active") + "]") + " v" + s.get("ProbeApplet.version");
    }

    /** Tears the update of R1 to R2 after every write; returns the states seen that are neither old nor new. */
    private static List<String> mixesAfterTearAtEachWrite(byte ins) {
        String r1 = "01".repeat(8);
        String r2 = "02".repeat(8);
        TearingSimulator calibrate = card();
        send(calibrate, ins, 0, r1);
        send(calibrate, ins, 0, r2);
        int n = calibrate.writesInLastCommand();
        assertTrue(n >= 2, "the update writes");
        List<String> mixes = new java.util.ArrayList<>();
        for (int k = 0; k <= n; k++) {
            TearingSimulator c = card();
            send(c, ins, 0, r1);
            String old = record(c);
            c.armTearAfterWrites(k);
            assertThrows(TransportException.class, () -> send(c, ins, 0, r2));
            String now = record(c);
            if (!now.equals(old) && !now.equals(r2 + " v2")) mixes.add("k=" + k + ": " + now);
        }
        return mixes;
    }

    @Test
    void tearAtEachWriteOfADoubleBufferedUpdateLeavesOldOrNew() {
        assertEquals(List.of(), mixesAfterTearAtEachWrite(ProbeApplet.INS_UPDATE_RECORD));
    }

    @Test
    void tearAtEachWriteOfAnInPlaceUpdateShowsTheMix() {
        List<String> mixes = mixesAfterTearAtEachWrite(ProbeApplet.INS_UPDATE_NAIVE);
        assertFalse(mixes.isEmpty(), "the sweep must see the half-copied record");
        assertTrue(mixes.toString().contains("0202020201010101 v1"), mixes.toString());
    }

    @Test
    void powerLossClearsTransientMemoryAndDeselects() {
        TearingSimulator c = card();
        assertEquals(0x9000, send(c, ProbeApplet.INS_RAM, 0, "77".repeat(16)));
        assertEquals(0, c.writesInLastCommand(), "transient writes are not persistent writes");
        assertEquals("transient", state(c).get("ProbeApplet.ram"));
        c.powerCycle();
        assertNotEquals(0x9000, send(c, ProbeApplet.INS_RAM, 1, ""), "nothing selected after power-up");
        select(c);
        byte[] r = c.transmit(apdu(ProbeApplet.INS_RAM, 1, ""));
        assertEquals("00".repeat(32) + "9000", HexFormat.of().formatHex(r), "CLEAR_ON_RESET and CLEAR_ON_DESELECT both cleared");
    }

    @Test
    void everyCardsmithAppletRunsInstrumented() {
        TearingSimulator c = new TearingSimulator();
        for (AppletSpec a : AppletRegistry.all()) {
            Map<String, String> s = c.persistentState(a.name());
            assertFalse(s.isEmpty(), a.name());
            int sw = sw(c.transmit(selectApdu(a.instanceAid())));
            assertTrue(sw == 0x9000 || (sw >> 8) == 0x61, a.name() + " SELECT " + Integer.toHexString(sw));
            assertNotEquals(a.appletClass(), c.applet(a.name()).getClass(), "loaded by the instrumenting class loader");
        }
    }
}
