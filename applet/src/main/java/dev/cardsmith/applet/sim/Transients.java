package dev.cardsmith.applet.sim;

import javacard.framework.JCSystem;

/**
 * RAM of the sim applet. Two lifetimes: what the OTA path and the toolkit events use is
 * CLEAR_ON_RESET - processToolkit runs while the applet is not selected, when CLEAR_ON_DESELECT
 * arrays are not accessible (Java Card 3.0.5 runtime 6.1.3; TS 102 241 6.2) - and the terminal
 * session (challenge, authenticated flag, its date) is CLEAR_ON_DESELECT, so it ends with the
 * logical channel that opened it.
 */
final class Transients {

    /** Longest command packet accepted (the toolkit runtime reassembles up to three concatenated SMS of 133 bytes). */
    static final short RX_LEN = 400;
    /**
     * Work area: AUTHENTICATE's message (at most 100 bytes) and MAC, the session-key derivation at
     * 96..160, the content-key block, CC results, the on-curve check of an incoming point (64).
     */
    static final short SCRATCH_LEN = 160;
    /**
     * The response packet (PoR, notification): header 16, CC 8, compact response at {@link #DATA_AT}
     * (at most count, SW and the SIM's 65-byte public point), padding to a cipher block.
     */
    static final short OUT_LEN = 112;
    /** Where the compact response data is written: after the longest response header (16) and CC (8). */
    static final short DATA_AT = 24;

    final byte[] rx;
    final byte[] scratch;
    final byte[] out;
    /** The IMEI this power cycle's terminal gave in PROVIDE LOCAL INFORMATION (valid when ota[O_IMEI_VALID]). */
    final byte[] imei;
    /** [O_PACKET_CIPHERED] [O_INIT_STAGED] [O_IMEI_VALID] [O_FAILURES] [O_KIC_SET] [O_KID_SET]: OTA and power-cycle state */
    final byte[] ota;
    static final short O_PACKET_CIPHERED = 0; // the command packet being executed was ciphered and carried a CC
    static final short O_INIT_STAGED = 1; // INIT_TRUST of this packet: key written to the staging slot?
    static final short O_IMEI_VALID = 2;
    /** Failed AUTHENTICATEs since power-up: past MAX_AUTH_FAILURES the SIM refuses until the next reset (throttle). */
    static final short O_FAILURES = 3;
    /** The key sets (KeySets) of the packet being answered: KIc's for ciphering, KID's for the CC. */
    static final short O_KIC_SET = 4;
    static final short O_KID_SET = 5;
    static final byte INIT_NOT_STAGED = 0;
    static final byte INIT_STAGED = 1;
    static final byte INIT_REJECTED = 2; // the key object refused the value

    /** [LIC_STAGED] license slots staged for this packet, [F_TYPE..F_DATE] value offsets of the INIT_TRUST being staged / executed */
    final short[] shorts;
    /** Bit i: license slot i holds a content key this packet's LICENSE put staged (taken in ascending order). */
    static final short LIC_STAGED = 0;
    static final short F_TYPE = 1;
    static final short F_KEY = 2;
    static final short F_KEY_LEN = 3;
    static final short F_IMEI = 4;
    static final short F_MAX_OUT = 5;
    static final short F_EXP = 6;
    static final short F_LIFE = 7;
    static final short F_DATE = 8; // optional: the last one
    static final short SHORTS_LEN = 9;

    /** card challenge (16) || terminal nonce of the authenticated session (8) */
    final byte[] challenge;
    /** [S_CHALLENGE_VALID] [S_AUTHENTICATED] */
    final byte[] session;
    static final short S_CHALLENGE_VALID = 0;
    static final short S_AUTHENTICATED = 1;
    /** [0]: the date of the authenticated session: max(network date, the terminal's date) - stricter only. */
    final short[] sessionDate;

    Transients() {
        rx = JCSystem.makeTransientByteArray(RX_LEN, JCSystem.CLEAR_ON_RESET);
        scratch = JCSystem.makeTransientByteArray(SCRATCH_LEN, JCSystem.CLEAR_ON_RESET);
        out = JCSystem.makeTransientByteArray(OUT_LEN, JCSystem.CLEAR_ON_RESET);
        imei = JCSystem.makeTransientByteArray(Constants.IMEI_LEN, JCSystem.CLEAR_ON_RESET);
        ota = JCSystem.makeTransientByteArray((short) 6, JCSystem.CLEAR_ON_RESET);
        shorts = JCSystem.makeTransientShortArray(SHORTS_LEN, JCSystem.CLEAR_ON_RESET);
        challenge = JCSystem.makeTransientByteArray((short) (Constants.CHALLENGE_LEN + Constants.TERMINAL_NONCE_LEN), JCSystem.CLEAR_ON_DESELECT);
        session = JCSystem.makeTransientByteArray((short) 2, JCSystem.CLEAR_ON_DESELECT);
        sessionDate = JCSystem.makeTransientShortArray((short) 1, JCSystem.CLEAR_ON_DESELECT);
    }
}
