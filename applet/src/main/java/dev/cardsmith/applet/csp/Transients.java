package dev.cardsmith.applet.csp;

import javacard.framework.JCSystem;

/**
 * RAM of the CSP applet (CLEAR_ON_DESELECT): one scratch buffer for results (signature,
 * decrypted block, ECDH secret, random bytes, the public key template of an RSA-2048 key - 270
 * bytes - or the slot list) and the on-curve check of an ECDH peer point. Command chains and the
 * pending long response are the platform layer's ApduIo (chained input is staged in EEPROM, not
 * here). 272 bytes; with ApduIo and Tlv about 300.
 */
final class Transients {

    static final short SCRATCH_SIZE = (short) 272;
    /** GENERATE keeps the label here while the key pair is generated (which uses 0..31). */
    static final short SCRATCH_LABEL = (short) 64;

    final byte[] scratch;

    Transients() {
        scratch = JCSystem.makeTransientByteArray(SCRATCH_SIZE, JCSystem.CLEAR_ON_DESELECT);
    }
}
