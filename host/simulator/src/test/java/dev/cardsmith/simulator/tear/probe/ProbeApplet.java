package dev.cardsmith.simulator.tear.probe;

import javacard.framework.APDU;
import javacard.framework.Applet;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.TransactionException;
import javacard.framework.Util;
import javacard.security.AESKey;
import javacard.security.ECKey;
import javacard.security.ECPrivateKey;
import javacard.security.KeyBuilder;

/**
 * The rollback runtime's test applet: one command per rule of docs/tearing.md. Persistent
 * state: {@code store} (16 bytes), {@code big} (300 bytes), {@code counter}, {@code key}, and a
 * double-buffered record ({@code records[active]}, {@code version}) written the right way (INS
 * 60) and the wrong way (INS 64). {@code ram} is CLEAR_ON_RESET, {@code session} CLEAR_ON_DESELECT.
 */
public final class ProbeApplet extends Applet {
    public static final byte INS_TX = 0x10;            // P1: 0 commit, 1 abort, 2 return open, 3 throw open
    public static final byte INS_NON_ATOMIC_IN_TX = 0x20;
    public static final byte INS_ARRAY_COPY = 0x30;    // Util.arrayCopy outside a transaction
    public static final byte INS_SET_SHORT = 0x32;
    public static final byte INS_BIG_TX = 0x40;        // P1 copies of Lc bytes into big, in one transaction
    public static final byte INS_CAPACITY = 0x42;
    public static final byte INS_SET_KEY_IN_TX = 0x50; // setKey then abortTransaction
    public static final byte INS_SET_KEY = 0x52;
    public static final byte INS_CLEAR_KEY = 0x54;
    public static final byte INS_SET_EC_A = 0x56;      // ECKey.setA on a persistent EC key (ECKey does not extend Key)
    public static final byte INS_SET_RAM_KEY = 0x58;   // setKey on a CLEAR_ON_DESELECT key: not a persistent write
    public static final byte INS_UPDATE_RECORD = 0x60; // right: bulk into the inactive half, flip in a transaction
    public static final byte INS_UPDATE_NAIVE = 0x64;  // wrong: bulk in place, then the version
    public static final byte INS_RAM = 0x70;           // P1 = 0 write data to RAM, 1 read RAM
    public static final byte INS_READ_STORE = 0x72;
    public static final byte INS_READ_TABLE = 0x74;    // first use of a class with a static array initialiser
    public static final short SW_BUFFER_FULL = (short) 0x6A84;

    private final byte[] store = new byte[16];
    private final byte[] big = new byte[300];
    private final byte[][] records = {new byte[8], new byte[8]};
    private final byte[] ram;
    private final byte[] session;
    private final AESKey key;
    private final ECPrivateKey ecKey;
    private final AESKey ramKey;
    private short counter;
    private byte active;
    private short version;

    private ProbeApplet() {
        ram = JCSystem.makeTransientByteArray((short) 16, JCSystem.CLEAR_ON_RESET);
        session = JCSystem.makeTransientByteArray((short) 16, JCSystem.CLEAR_ON_DESELECT);
        key = (AESKey) KeyBuilder.buildKey(KeyBuilder.TYPE_AES, KeyBuilder.LENGTH_AES_128, false);
        ecKey = (ECPrivateKey) KeyBuilder.buildKey(KeyBuilder.TYPE_EC_FP_PRIVATE, KeyBuilder.LENGTH_EC_FP_256, false);
        ramKey = (AESKey) KeyBuilder.buildKey(KeyBuilder.TYPE_AES_TRANSIENT_DESELECT, KeyBuilder.LENGTH_AES_128, false);
    }

    public static void install(byte[] b, short off, byte len) {
        new ProbeApplet().register(b, (short) (off + 1), b[off]);
    }

    @Override
    public void process(APDU apdu) {
        if (selectingApplet()) return;
        byte[] buf = apdu.getBuffer();
        short lc = apdu.setIncomingAndReceive();
        short d = ISO7816.OFFSET_CDATA;
        byte p1 = buf[ISO7816.OFFSET_P1];
        try {
            switch (buf[ISO7816.OFFSET_INS]) {
                case INS_TX:
                    JCSystem.beginTransaction();
                    for (short i = 0; i < lc; i++) store[i] = buf[(short) (d + i)];
                    counter++;
                    if (p1 == 0) JCSystem.commitTransaction();
                    else if (p1 == 1) JCSystem.abortTransaction();
                    else if (p1 == 3) ISOException.throwIt(ISO7816.SW_DATA_INVALID);
                    return;
                case INS_NON_ATOMIC_IN_TX:
                    JCSystem.beginTransaction();
                    Util.arrayCopyNonAtomic(buf, d, store, (short) 0, lc);
                    Util.arrayFillNonAtomic(big, (short) 0, (short) 10, p1);
                    counter++;
                    JCSystem.abortTransaction();
                    return;
                case INS_ARRAY_COPY:
                    Util.arrayCopy(buf, d, store, (short) 0, lc);
                    return;
                case INS_SET_SHORT:
                    JCSystem.beginTransaction();
                    Util.setShort(store, (short) 0, Util.getShort(buf, d));
                    if (p1 == 1) JCSystem.abortTransaction();
                    else JCSystem.commitTransaction();
                    return;
                case INS_BIG_TX:
                    JCSystem.beginTransaction();
                    for (byte i = 0; i < p1; i++) Util.arrayCopy(buf, d, big, (short) (i * lc), lc);
                    JCSystem.commitTransaction();
                    return;
                case INS_CAPACITY:
                    Util.setShort(buf, (short) 0, JCSystem.getMaxCommitCapacity());
                    apdu.setOutgoingAndSend((short) 0, (short) 2);
                    return;
                case INS_SET_KEY_IN_TX:
                    JCSystem.beginTransaction();
                    key.setKey(buf, d);
                    counter++;
                    JCSystem.abortTransaction();
                    return;
                case INS_SET_KEY:
                    key.setKey(buf, d);
                    return;
                case INS_CLEAR_KEY:
                    key.clearKey();
                    return;
                case INS_SET_EC_A:
                    ((ECKey) ecKey).setA(buf, d, lc);
                    return;
                case INS_SET_RAM_KEY:
                    ramKey.setKey(buf, d);
                    return;
                case INS_UPDATE_RECORD: {
                    byte next = (byte) (active ^ 1);
                    Util.arrayCopyNonAtomic(buf, d, records[next], (short) 0, (short) 8);
                    JCSystem.beginTransaction();
                    active = next;
                    version++;
                    JCSystem.commitTransaction();
                    return;
                }
                case INS_UPDATE_NAIVE:
                    Util.arrayCopyNonAtomic(buf, d, records[active], (short) 0, (short) 8);
                    version++;
                    return;
                case INS_RAM:
                    if (p1 == 0) {
                        Util.arrayCopyNonAtomic(buf, d, ram, (short) 0, lc);
                        Util.arrayCopyNonAtomic(buf, d, session, (short) 0, lc);
                        return;
                    }
                    Util.arrayCopyNonAtomic(ram, (short) 0, buf, (short) 0, (short) 16);
                    Util.arrayCopyNonAtomic(session, (short) 0, buf, (short) 16, (short) 16);
                    apdu.setOutgoingAndSend((short) 0, (short) 32);
                    return;
                case INS_READ_TABLE:
                    buf[0] = Table.VALUES[2];
                    apdu.setOutgoingAndSend((short) 0, (short) 1);
                    return;
                case INS_READ_STORE:
                    Util.arrayCopyNonAtomic(store, (short) 0, buf, (short) 0, (short) 16);
                    apdu.setOutgoingAndSend((short) 0, (short) 16);
                    return;
                default:
                    ISOException.throwIt(ISO7816.SW_INS_NOT_SUPPORTED);
            }
        } catch (TransactionException e) {
            if (JCSystem.getTransactionDepth() != 0) JCSystem.abortTransaction();
            ISOException.throwIt(e.getReason() == TransactionException.BUFFER_FULL ? SW_BUFFER_FULL : ISO7816.SW_UNKNOWN);
        }
    }

    /** Loaded on first use: the JVM runs its static initialiser inside that command. */
    private static final class Table {
        static final byte[] VALUES = {1, 2, 3};
    }
}
