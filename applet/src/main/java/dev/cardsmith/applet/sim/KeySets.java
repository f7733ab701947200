package dev.cardsmith.applet.sim;

import dev.cardsmith.applet.platform.Sw;
import javacard.framework.ISOException;
import javacard.framework.Util;
import javacard.security.AESKey;
import javacard.security.DESKey;
import javacard.security.Key;
import javacard.security.KeyBuilder;

/**
 * The OTA key sets of the applet (TS 102 225 5.1.2 / 5.1.3.1): up to {@link #MAX} sets, each a
 * KIc and a KID of one algorithm - AES-128, two-key or three-key triple DES - with their key
 * indexes (the key version b5..b8 of the KIc / KID octet). A packet's KIc octet picks the ciphering
 * key, its KID octet the CC key, each by algorithm and index. Single DES (code 1) is refused:
 * a 56-bit key is found by exhaustive search in hours, and a SIM accepting it for one set would
 * accept forged packets for everything that set may do. Triple DES keys live in three-key DES key
 * objects; a two-key set is stored as K1 K2 K1. Depends on nothing in this package but Constants.
 */
final class KeySets {

    static final short MAX = 3;

    private final AESKey[] aes;
    private final DESKey[] des;
    /** Algorithm nibble per set (KEY_ALG_AES, KEY_ALG_3DES2, KEY_ALG_3DES3); 0: no set. */
    private final byte[] alg;
    private final byte[] kicIndex;
    private final byte[] kidIndex;

    KeySets() {
        aes = new AESKey[(short) (2 * MAX)];
        des = new DESKey[(short) (2 * MAX)];
        for (short i = 0; i < (short) (2 * MAX); i++) {
            aes[i] = (AESKey) KeyBuilder.buildKey(KeyBuilder.TYPE_AES, KeyBuilder.LENGTH_AES_128, false);
            des[i] = (DESKey) KeyBuilder.buildKey(KeyBuilder.TYPE_DES, KeyBuilder.LENGTH_DES3_3KEY, false);
        }
        alg = new byte[MAX];
        kicIndex = new byte[MAX];
        kidIndex = new byte[MAX];
    }

    /** Key length of an install-parameter algorithm nibble (0 or 2 AES, 5 two-key, 9 three-key 3DES); -1 when refused. */
    static short keyLength(byte algorithm) {
        if (algorithm == 0 || algorithm == Constants.KEY_ALG_AES || algorithm == Constants.KEY_ALG_3DES2) return Constants.KEY_LEN;
        if (algorithm == Constants.KEY_ALG_3DES3) return Constants.DES3_KEY_LEN;
        return -1; // single DES (1) and anything else
    }

    private static byte algorithmOf(byte indexByte) {
        byte a = (byte) ((indexByte >> 4) & 0x0F);
        return a == 0 ? Constants.KEY_ALG_AES : a;
    }

    /**
     * Checks the key sets in b[off..end): each KIc id(1) KIc KID id(1) KID, the high nibble of an id
     * the algorithm, the low nibble the index; both of one set of the same algorithm, at most MAX
     * sets (a KIc / KID octet that two sets match picks the first). Returns the number of sets; 6A80 otherwise.
     */
    static short check(byte[] b, short off, short end) {
        short n = 0;
        while (off < end) {
            byte a = algorithmOf(b[off]);
            short l = keyLength(a);
            if (l < 0 || n >= MAX || (short) (off + 2 + 2 * l) > end || algorithmOf(b[(short) (off + 1 + l)]) != a) {
                ISOException.throwIt(Sw.WRONG_DATA);
            }
            off = (short) (off + 2 + 2 * l);
            n++;
        }
        if (n == 0) ISOException.throwIt(Sw.WRONG_DATA);
        return n;
    }

    /**
     * Writes the keys of n checked sets from b[off..] into the key objects (outside any
     * transaction: nothing uses them until {@link #commit} runs in the caller's transaction).
     * work: 24 bytes for a two-key set's K1 K2 K1.
     */
    void writeKeys(byte[] b, short off, short n, byte[] work) {
        for (short s = 0; s < n; s++) {
            byte a = algorithmOf(b[off]);
            short l = keyLength(a);
            setKey(s, false, a, b, (short) (off + 1), work);
            setKey(s, true, a, b, (short) (off + 2 + l), work);
            off = (short) (off + 2 + 2 * l);
        }
        Util.arrayFillNonAtomic(work, (short) 0, Constants.DES3_KEY_LEN, (byte) 0);
    }

    private void setKey(short set, boolean kid, byte a, byte[] b, short off, byte[] work) {
        short k = (short) (2 * set + (kid ? 1 : 0));
        if (a == Constants.KEY_ALG_AES) {
            aes[k].setKey(b, off);
        } else if (a == Constants.KEY_ALG_3DES3) {
            des[k].setKey(b, off);
        } else {
            Util.arrayCopyNonAtomic(b, off, work, (short) 0, Constants.KEY_LEN);
            Util.arrayCopyNonAtomic(b, off, work, Constants.KEY_LEN, Constants.DES_BLOCK); // K3 = K1
            des[k].setKey(work, (short) 0);
        }
    }

    /** Inside the caller's transaction: algorithms and indexes of the n sets written before; the others emptied. */
    void commit(byte[] b, short off, short n) {
        for (short s = 0; s < MAX; s++) {
            if (s >= n) {
                alg[s] = 0;
                continue;
            }
            byte a = algorithmOf(b[off]);
            short l = keyLength(a);
            alg[s] = a;
            kicIndex[s] = (byte) (b[off] & 0x0F);
            kidIndex[s] = (byte) (b[(short) (off + 1 + l)] & 0x0F);
            off = (short) (off + 2 + 2 * l);
        }
    }

    /** The set a KIc octet (kid false) or KID octet names - algorithm b1..b4 and index b5..b8 - or -1. */
    short find(byte keyOctet, boolean kid) {
        byte a = (byte) (keyOctet & Constants.KEY_ALG_MASK);
        byte index = (byte) ((keyOctet >> 4) & 0x0F);
        for (short s = 0; s < MAX; s++) {
            if (alg[s] != 0 && alg[s] == a && (kid ? kidIndex[s] : kicIndex[s]) == index) return s;
        }
        return -1;
    }

    boolean isDes(short set) {
        return alg[set] != Constants.KEY_ALG_AES;
    }

    Key kic(short set) {
        short k = (short) (2 * set);
        return isDes(set) ? (Key) des[k] : (Key) aes[k];
    }

    Key kid(short set) {
        short k = (short) (2 * set + 1);
        return isDes(set) ? (Key) des[k] : (Key) aes[k];
    }
}
