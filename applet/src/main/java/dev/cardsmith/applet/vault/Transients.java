package dev.cardsmith.applet.vault;

import javacard.framework.JCSystem;
import javacard.framework.Util;

/**
 * All RAM the vault uses: one CLEAR_ON_DESELECT byte array (297 bytes, well under the 1 KB
 * budget) addressed by named, chained offsets. Nothing here survives a deselect or a reset,
 * so a card challenge can never be replayed across sessions.
 */
final class Transients {

    /** Padded plaintext of the data package, WIPE to-be-signed bytes, KDF input. */
    static final short OFF_SCRATCH = 0;
    static final short SCRATCH_LENGTH = (short) (Constants.PACKAGE_PADDED_MAX + Constants.ECDSA_MAX_LENGTH);
    /** Inside the scratch, after the largest padded package: a self-test signature or a recomputed MAC. */
    static final short OFF_SIG = (short) (OFF_SCRATCH + Constants.PACKAGE_PADDED_MAX);
    /** AES-CMAC chaining value X. */
    static final short OFF_MAC_X = (short) (OFF_SCRATCH + SCRATCH_LENGTH);
    /** AES-CMAC subkey K1/K2. */
    static final short OFF_MAC_K = (short) (OFF_MAC_X + Constants.AES_BLOCK);
    /** AES-CMAC last (padded) block. */
    static final short OFF_MAC_LAST = (short) (OFF_MAC_K + Constants.AES_BLOCK);
    /** The GET CHALLENGE value a WIPE must sign. */
    static final short OFF_CHALLENGE = (short) (OFF_MAC_LAST + Constants.AES_BLOCK);
    /** 1 while the challenge is fresh (single use). */
    static final short OFF_CHALLENGE_FRESH = (short) (OFF_CHALLENGE + Constants.CHALLENGE_LENGTH);
    static final short LENGTH = (short) (OFF_CHALLENGE_FRESH + 1);

    final byte[] ram;

    Transients() {
        ram = JCSystem.makeTransientByteArray(LENGTH, JCSystem.CLEAR_ON_DESELECT);
    }

    boolean challengeFresh() {
        return ram[OFF_CHALLENGE_FRESH] == (byte) 1;
    }

    void setChallengeFresh(boolean fresh) {
        ram[OFF_CHALLENGE_FRESH] = fresh ? (byte) 1 : (byte) 0;
    }

    /** Zeroes the scratch and MAC areas (never leaves plaintext key bytes behind). */
    void clearWork() {
        Util.arrayFillNonAtomic(ram, OFF_SCRATCH, (short) (OFF_CHALLENGE - OFF_SCRATCH), (byte) 0);
    }
}
