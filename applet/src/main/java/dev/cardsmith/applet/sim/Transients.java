package dev.cardsmith.applet.sim;

import javacard.framework.JCSystem;

/**
 * RAM of the sim applet: the SMS reassembly buffer, a scratch area, the terminal session
 * (challenge and flags). About 810 bytes in all.
 */
final class Transients {

    /** Longest command packet accepted (three concatenated SMS). */
    static final short RX_LEN = 400;
    /** Also receives an ENVELOPE longer than the APDU buffer: any short-APDU Lc (255) fits. */
    static final short SCRATCH_LEN = 255;
    static final short OUT_LEN = 64;

    final byte[] rx;
    final byte[] scratch;
    final byte[] out;
    /** card challenge (16) || terminal nonce of the authenticated session (8) */
    final byte[] challenge;
    /** [0] challenge valid, [1] authenticated, [2] concat reference low, [3] total, [4] next, [5] concat ref high, [6] packet ciphered, [7] INIT_TRUST staged */
    final byte[] session;
    /** [0] bytes in rx, [1] command data streamed into scratch (IN_SCRATCH), [F_TYPE..F_DATE] value offsets of the INIT_TRUST being staged / executed */
    final short[] shorts;
    static final short IN_SCRATCH = 1;
    static final short F_TYPE = 2;
    static final short F_KEY = 3;
    static final short F_KEY_LEN = 4;
    static final short F_IMEI = 5;
    static final short F_MAX_OUT = 6;
    static final short F_EXP = 7;
    static final short F_LIFE = 8;
    static final short F_DATE = 9; // optional: the last one
    static final short SHORTS_LEN = 10;

    static final short S_CHALLENGE_VALID = 0;
    static final short S_AUTHENTICATED = 1;
    static final short S_CONCAT_REF = 2;
    static final short S_CONCAT_TOTAL = 3;
    static final short S_CONCAT_NEXT = 4;
    static final short S_CONCAT_REF_HI = 5;
    static final short S_PACKET_CIPHERED = 6; // the command packet being executed was ciphered and carried a CC
    static final short S_INIT_STAGED = 7; // INIT_TRUST of this packet: key written to the staging slot?
    static final byte INIT_NOT_STAGED = 0;
    static final byte INIT_STAGED = 1;
    static final byte INIT_REJECTED = 2; // the key object refused the value (e.g. a point not on the curve)

    Transients() {
        rx = JCSystem.makeTransientByteArray(RX_LEN, JCSystem.CLEAR_ON_DESELECT);
        scratch = JCSystem.makeTransientByteArray(SCRATCH_LEN, JCSystem.CLEAR_ON_DESELECT);
        out = JCSystem.makeTransientByteArray(OUT_LEN, JCSystem.CLEAR_ON_DESELECT);
        challenge = JCSystem.makeTransientByteArray((short) (Constants.CHALLENGE_LEN + Constants.TERMINAL_NONCE_LEN), JCSystem.CLEAR_ON_DESELECT);
        session = JCSystem.makeTransientByteArray((short) 8, JCSystem.CLEAR_ON_DESELECT);
        shorts = JCSystem.makeTransientShortArray(SHORTS_LEN, JCSystem.CLEAR_ON_DESELECT);
    }
}
