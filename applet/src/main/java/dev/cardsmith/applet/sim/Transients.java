package dev.cardsmith.applet.sim;

import javacard.framework.JCSystem;

/**
 * RAM of the sim applet: the SMS reassembly buffer, a scratch area, the compact response, the
 * terminal session (challenge and flags), and the offsets of the INIT_TRUST being staged /
 * executed. 676 bytes; with the platform layer's ApduIo, Tlv and AesCmac and Crypto's carry
 * block about 780 bytes in all.
 */
final class Transients {

    /** Longest command packet accepted (three concatenated SMS). */
    static final short RX_LEN = 400;
    /**
     * Work area: AUTHENTICATE's message (at most 100 bytes) and MAC, the session-key derivation at
     * 96..160, the content-key block, CC results, the on-curve check of an incoming point (64).
     */
    static final short SCRATCH_LEN = 160;
    static final short OUT_LEN = 64;

    final byte[] rx;
    final byte[] scratch;
    final byte[] out;
    /** card challenge (16) || terminal nonce of the authenticated session (8) */
    final byte[] challenge;
    /** [0] challenge valid, [1] authenticated, [2] concat reference low, [3] total, [4] next, [5] concat ref high, [6] packet ciphered, [7] INIT_TRUST staged */
    final byte[] session;
    /** [RX_HAVE] bytes in rx, [LIC_STAGED] license slots staged for this packet, [F_TYPE..F_DATE] value offsets of the INIT_TRUST being staged / executed */
    final short[] shorts;
    static final short RX_HAVE = 0;
    /** Bit i: license slot i holds a content key this packet's LICENSE put staged (taken in ascending order). */
    static final short LIC_STAGED = 1;
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
    static final byte INIT_REJECTED = 2; // the key object refused the value

    Transients() {
        rx = JCSystem.makeTransientByteArray(RX_LEN, JCSystem.CLEAR_ON_DESELECT);
        scratch = JCSystem.makeTransientByteArray(SCRATCH_LEN, JCSystem.CLEAR_ON_DESELECT);
        out = JCSystem.makeTransientByteArray(OUT_LEN, JCSystem.CLEAR_ON_DESELECT);
        challenge = JCSystem.makeTransientByteArray((short) (Constants.CHALLENGE_LEN + Constants.TERMINAL_NONCE_LEN), JCSystem.CLEAR_ON_DESELECT);
        session = JCSystem.makeTransientByteArray((short) 8, JCSystem.CLEAR_ON_DESELECT);
        shorts = JCSystem.makeTransientShortArray(SHORTS_LEN, JCSystem.CLEAR_ON_DESELECT);
    }
}
