package dev.cardsmith.applet.csp;

import javacard.framework.JCSystem;

/**
 * RAM of the CSP applet (CLEAR_ON_DESELECT): one 512-byte scratch buffer (chained DECRYPT
 * input at 0..255, results at 256..511 or the public key template) and a few shorts for the
 * command chain and the pending long response. 512 + 2*8 bytes in total.
 */
final class Transients {

    static final short SCRATCH_SIZE = (short) 512;
    static final short SCRATCH_OUT = (short) 256;

    private static final byte CHAIN_INS = 0;      // INS of the chain in progress (0 = none)
    private static final byte CHAIN_P1P2 = 1;     // P1P2 of the chain in progress
    private static final byte CHAIN_LENGTH = 2;   // bytes received so far
    private static final byte CHAIN_STAGE = 3;    // certificate pool buffer being filled
    private static final byte RESP_SOURCE = 4;    // RESP_NONE, RESP_SCRATCH or 16 + certificate pool index
    private static final byte RESP_OFFSET = 5;
    private static final byte RESP_REMAINING = 6;
    private static final byte SHORTS = 8;

    static final short RESP_NONE = 0;
    static final short RESP_SCRATCH = 1;
    static final short RESP_CERT_BASE = 16;

    final byte[] scratch;
    private final short[] s;

    Transients() {
        scratch = JCSystem.makeTransientByteArray(SCRATCH_SIZE, JCSystem.CLEAR_ON_DESELECT);
        s = JCSystem.makeTransientShortArray(SHORTS, JCSystem.CLEAR_ON_DESELECT);
    }

    short chainIns() { return s[CHAIN_INS]; }
    short chainP1P2() { return s[CHAIN_P1P2]; }
    short chainLength() { return s[CHAIN_LENGTH]; }
    short chainStage() { return s[CHAIN_STAGE]; }

    void startChain(short ins, short p1p2, short stage) {
        s[CHAIN_INS] = ins;
        s[CHAIN_P1P2] = p1p2;
        s[CHAIN_LENGTH] = 0;
        s[CHAIN_STAGE] = stage;
    }

    void chainLength(short len) { s[CHAIN_LENGTH] = len; }

    void clearChain() {
        s[CHAIN_INS] = 0;
        s[CHAIN_P1P2] = 0;
        s[CHAIN_LENGTH] = 0;
        s[CHAIN_STAGE] = 0;
    }

    short respSource() { return s[RESP_SOURCE]; }
    short respOffset() { return s[RESP_OFFSET]; }
    short respRemaining() { return s[RESP_REMAINING]; }

    void response(short source, short offset, short remaining) {
        s[RESP_SOURCE] = source;
        s[RESP_OFFSET] = offset;
        s[RESP_REMAINING] = remaining;
    }

    void clearResponse() {
        response(RESP_NONE, (short) 0, (short) 0);
    }
}
