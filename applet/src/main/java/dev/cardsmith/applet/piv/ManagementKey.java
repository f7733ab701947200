package dev.cardsmith.applet.piv;

import dev.cardsmith.applet.platform.Bytes;
import dev.cardsmith.applet.platform.Sw;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.Util;
import javacard.security.AESKey;
import javacard.security.DESKey;
import javacard.security.Key;
import javacard.security.KeyBuilder;
import javacard.security.RandomData;
import javacardx.crypto.Cipher;

/**
 * The PIV Card Application Administration Key (key reference 9B): 3DES (03) or AES-128/192/256
 * (08/0A/0C) per SP 800-78-4, and the two GENERAL AUTHENTICATE exchanges that prove it
 * (SP 800-73-4 Part 2, Appendix A.1/A.2):
 * <ul>
 * <li>mutual: {@code 7C 02 80 00} -> {@code 7C 80 E(W)}; {@code 7C 80 W 81 C} -> {@code 7C 82 E(C)};</li>
 * <li>external: {@code 7C 02 81 00} -> {@code 7C 81 R}; {@code 7C 82 E(R)} -> 9000.</li>
 * </ul>
 * A wrong witness or response answers 6982 and drops the pending step; success sets the
 * administrator status until deselect or VERIFY P1=FF. GENERATE, PUT DATA and SET MANAGEMENT
 * KEY need it.
 *
 * <p>Key objects: one per algorithm and per half of a double buffer; SET MANAGEMENT KEY writes
 * the free half (outside any transaction) and flips to it in one transaction.
 */
final class ManagementKey {

    static final byte[] DEFAULT_KEY = {
        1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8,
    };
    private static final byte[] ALGS = {Constants.ALG_3DES, Constants.ALG_AES_128, Constants.ALG_AES_192, Constants.ALG_AES_256};
    private static final short KINDS = 4;
    private static final short MAX_BLOCK = 16;

    private static final byte STEP_NONE = 0;
    private static final byte STEP_WITNESS = 1;
    private static final byte STEP_CHALLENGE = 2;
    /** Transient state: [0] pending step, [1] authenticated (1). */
    private static final short STEP = 0;
    private static final short AUTHENTICATED = 1;

    private final Key[] keys;
    byte alg;
    /** Which half of the two-part buffer is current (0/1). */
    byte half;
    boolean isDefault;
    private final Cipher des;
    private final Cipher aes;
    private final RandomData random;
    private final byte[] state;
    /** The witness or challenge the card sent, to compare with the answer. */
    private final byte[] expected;

    ManagementKey(byte[] key, short off, byte keyAlg, RandomData random) {
        this.random = random;
        keys = new Key[(short) (2 * KINDS)];
        for (short h = 0; h < 2; h++) {
            short b = (short) (h * KINDS);
            keys[b] = KeyBuilder.buildKey(KeyBuilder.TYPE_DES, KeyBuilder.LENGTH_DES3_3KEY, false);
            keys[(short) (b + 1)] = KeyBuilder.buildKey(KeyBuilder.TYPE_AES, KeyBuilder.LENGTH_AES_128, false);
            keys[(short) (b + 2)] = KeyBuilder.buildKey(KeyBuilder.TYPE_AES, KeyBuilder.LENGTH_AES_192, false);
            keys[(short) (b + 3)] = KeyBuilder.buildKey(KeyBuilder.TYPE_AES, KeyBuilder.LENGTH_AES_256, false);
        }
        des = Cipher.getInstance(Cipher.ALG_DES_ECB_NOPAD, false);
        aes = Cipher.getInstance(Cipher.ALG_AES_BLOCK_128_ECB_NOPAD, false);
        state = JCSystem.makeTransientByteArray((short) 2, JCSystem.CLEAR_ON_DESELECT);
        expected = JCSystem.makeTransientByteArray(MAX_BLOCK, JCSystem.CLEAR_ON_DESELECT);
        if (key == null) {
            key = DEFAULT_KEY;
            off = 0;
            keyAlg = Constants.ALG_3DES;
        }
        if (keyLength(keyAlg) < 0) ISOException.throwIt(Sw.WRONG_DATA);
        half = 1;
        write(keyAlg, key, off);
        half = 0;
        alg = keyAlg;
        isDefault = isDefaultKey(keyAlg, key, off);
    }

    /** Key bytes of an administration key algorithm; -1 for one this card does not take. */
    static short keyLength(byte a) {
        if (a == Constants.ALG_3DES || a == Constants.ALG_AES_192) return 24;
        if (a == Constants.ALG_AES_128) return 16;
        if (a == Constants.ALG_AES_256) return 32;
        return -1;
    }

    private static boolean isDefaultKey(byte a, byte[] key, short off) {
        return a == Constants.ALG_3DES && Util.arrayCompare(key, off, DEFAULT_KEY, (short) 0, (short) DEFAULT_KEY.length) == 0;
    }

    private static short kind(byte a) {
        for (short k = 0; k < KINDS; k++) {
            if (ALGS[k] == a) return k;
        }
        return 0;
    }

    /** Writes the key into the half that is not current (no transaction: a key write). */
    private void write(byte a, byte[] key, short off) {
        Key k = keys[(short) ((1 - half) * KINDS + kind(a))];
        if (a == Constants.ALG_3DES) {
            ((DESKey) k).setKey(key, off);
        } else {
            ((AESKey) k).setKey(key, off);
        }
    }

    short blockLength() {
        return alg == Constants.ALG_3DES ? (short) 8 : MAX_BLOCK;
    }

    boolean authenticated() {
        return state[AUTHENTICATED] != 0;
    }

    void requireAuthenticated() {
        if (state[AUTHENTICATED] == 0) ISOException.throwIt(Sw.SECURITY_STATUS_NOT_SATISFIED);
    }

    void release() {
        state[STEP] = STEP_NONE;
        state[AUTHENTICATED] = 0;
        Util.arrayFillNonAtomic(expected, (short) 0, MAX_BLOCK, (byte) 0);
    }

    /** SET MANAGEMENT KEY (administrator only): data = alg || 9B || L || key. */
    void set(byte[] buf, short off, short len) {
        requireAuthenticated();
        if (len < 3 || buf[(short) (off + 1)] != Constants.KEY_MANAGEMENT_ADMIN) ISOException.throwIt(Sw.WRONG_DATA);
        byte a = buf[off];
        short kl = keyLength(a);
        if (kl < 0) ISOException.throwIt(Sw.FUNC_NOT_SUPPORTED);
        if ((short) (buf[(short) (off + 2)] & 0xFF) != kl || len != (short) (3 + kl)) ISOException.throwIt(Sw.WRONG_DATA);
        write(a, buf, (short) (off + 3));
        JCSystem.beginTransaction();
        half = (byte) (1 - half);
        alg = a;
        isDefault = isDefaultKey(a, buf, (short) (off + 3));
        JCSystem.commitTransaction();
    }

    private short encrypt(byte[] in, short inOff, byte[] out, short outOff) {
        Key k = keys[(short) (half * KINDS + kind(alg))];
        Cipher c = alg == Constants.ALG_3DES ? des : aes;
        c.init(k, Cipher.MODE_ENCRYPT);
        return c.doFinal(in, inOff, blockLength(), out, outOff);
    }

    /**
     * One step of the 9B exchanges. {@code t} holds value offsets (t[0..3] for 80, 81, 82, 85;
     * -1 when absent) and lengths (t[4..7]) of the 7C template in {@code in}. Writes the response
     * template into out[0..] and returns its length (0: nothing to send).
     */
    short respond(byte[] in, short[] t, byte[] out) {
        short bl = blockLength();
        short w = t[0], c = t[1], r = t[2];
        short wl = t[4], cl = t[5], rl = t[6];
        byte step = state[STEP];
        state[STEP] = STEP_NONE;
        if (t[3] >= 0) ISOException.throwIt(Sw.WRONG_DATA);
        if (w >= 0 && wl == 0 && c < 0 && r < 0) { // witness request
            state[AUTHENTICATED] = 0;
            random.generateData(expected, (short) 0, bl);
            state[STEP] = STEP_WITNESS;
            return template(Constants.TAG_WITNESS, out, encrypt(expected, (short) 0, out, (short) 4));
        }
        if (c >= 0 && cl == 0 && w < 0 && r < 0) { // challenge request
            state[AUTHENTICATED] = 0;
            random.generateData(expected, (short) 0, bl);
            state[STEP] = STEP_CHALLENGE;
            Util.arrayCopyNonAtomic(expected, (short) 0, out, (short) 4, bl);
            return template(Constants.TAG_CHALLENGE, out, bl);
        }
        if (w >= 0 && wl == bl && c >= 0 && cl == bl && (r < 0 || rl == 0)) { // decrypted witness + our challenge
            if (step != STEP_WITNESS) ISOException.throwIt(Sw.CONDITIONS_NOT_SATISFIED);
            if (!Bytes.equal(in, w, expected, (short) 0, bl)) ISOException.throwIt(Sw.SECURITY_STATUS_NOT_SATISFIED);
            state[AUTHENTICATED] = 1;
            return template(Constants.TAG_RESPONSE, out, encrypt(in, c, out, (short) 4));
        }
        if (r >= 0 && rl == bl && w < 0 && c < 0) { // the encrypted challenge
            if (step != STEP_CHALLENGE) ISOException.throwIt(Sw.CONDITIONS_NOT_SATISFIED);
            encrypt(expected, (short) 0, out, (short) 0);
            boolean ok = Bytes.equal(in, r, out, (short) 0, bl);
            Util.arrayFillNonAtomic(out, (short) 0, bl, (byte) 0);
            if (!ok) ISOException.throwIt(Sw.SECURITY_STATUS_NOT_SATISFIED);
            state[AUTHENTICATED] = 1;
            return 0;
        }
        ISOException.throwIt(Sw.WRONG_DATA);
        return 0;
    }

    /** 7C (2 + n) tag n value, the value already at out[4..4+n). */
    private static short template(byte tag, byte[] out, short n) {
        out[0] = Constants.TAG_DYNAMIC_AUTH;
        out[1] = (byte) (n + 2);
        out[2] = tag;
        out[3] = (byte) n;
        return (short) (n + 4);
    }
}
