package dev.cardsmith.applet.vault;

import javacard.framework.JCSystem;
import javacard.framework.Util;

/**
 * All RAM the vault uses itself: one CLEAR_ON_DESELECT byte array (249 bytes; the platform layer
 * adds its CMAC state and APDU bookkeeping, well under the 1 KB budget) addressed by named,
 * chained offsets. Nothing here survives a deselect or a reset, so a card challenge can never be
 * replayed across sessions.
 */
final class Transients {

    /** Padded plaintext of the data package, WIPE to-be-signed bytes, KDF input. */
    static final short OFF_SCRATCH = 0;
    static final short SCRATCH_LENGTH = (short) (Constants.PACKAGE_PADDED_MAX + Constants.ECDSA_MAX_LENGTH);
    /**
     * Inside the scratch, after the largest padded package: a self-test signature, a recomputed
     * MAC, or the work area of the P-256 point check (P256.WORK_LENGTH = 64 bytes).
     */
    static final short OFF_SIG = (short) (OFF_SCRATCH + Constants.PACKAGE_PADDED_MAX);
    /** The GET CHALLENGE value a WIPE must sign. */
    static final short OFF_CHALLENGE = (short) (OFF_SCRATCH + SCRATCH_LENGTH);
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

    /** Zeroes the scratch area (never leaves plaintext key bytes behind). */
    void clearWork() {
        Util.arrayFillNonAtomic(ram, OFF_SCRATCH, (short) (OFF_CHALLENGE - OFF_SCRATCH), (byte) 0);
    }
}
