package dev.cardsmith.applet.sim;

import javacard.framework.JCSystem;

/**
 * RAM of the sim applet: the SMS reassembly buffer, a scratch area, the terminal session
 * (challenge and flags). About 700 bytes in all.
 */
final class Transients {

    /** Longest command packet accepted (three concatenated SMS). */
    static final short RX_LEN = 400;
    static final short SCRATCH_LEN = 176;
    static final short OUT_LEN = 64;

    final byte[] rx;
    final byte[] scratch;
    final byte[] out;
    /** card challenge (16) || terminal nonce of the authenticated session (8) */
    final byte[] challenge;
    /** [0] challenge valid, [1] authenticated, [2] concat reference low, [3] total, [4] next, [5] concat ref high */
    final byte[] session;
    /** [0] bytes in rx */
    final short[] shorts;

    static final short S_CHALLENGE_VALID = 0;
    static final short S_AUTHENTICATED = 1;
    static final short S_CONCAT_REF = 2;
    static final short S_CONCAT_TOTAL = 3;
    static final short S_CONCAT_NEXT = 4;
    static final short S_CONCAT_REF_HI = 5;
    static final short S_PACKET_CIPHERED = 6; // the command packet being executed was ciphered and carried a CC

    Transients() {
        rx = JCSystem.makeTransientByteArray(RX_LEN, JCSystem.CLEAR_ON_DESELECT);
        scratch = JCSystem.makeTransientByteArray(SCRATCH_LEN, JCSystem.CLEAR_ON_DESELECT);
        out = JCSystem.makeTransientByteArray(OUT_LEN, JCSystem.CLEAR_ON_DESELECT);
        challenge = JCSystem.makeTransientByteArray((short) (Constants.CHALLENGE_LEN + Constants.TERMINAL_NONCE_LEN), JCSystem.CLEAR_ON_DESELECT);
        session = JCSystem.makeTransientByteArray((short) 8, JCSystem.CLEAR_ON_DESELECT);
        shorts = JCSystem.makeTransientShortArray((short) 2, JCSystem.CLEAR_ON_DESELECT);
    }
}
