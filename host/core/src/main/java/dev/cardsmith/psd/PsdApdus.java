package dev.cardsmith.psd;

import dev.cardsmith.applet.psd.PsdProtocol;

import javax.smartcardio.CommandAPDU;

/** Pure builders of the PSD applet's plain commands (secure ones go through {@link Scp03#wrap}). */
public final class PsdApdus {
    private PsdApdus() {}

    public static CommandAPDU getStatus() {
        return new CommandAPDU(PsdProtocol.CLA_GP & 0xFF, PsdProtocol.INS_GET_DATA, PsdProtocol.P1_STATUS, PsdProtocol.P2_STATUS & 0xFF, 256);
    }

    /**
     * INJECT KEYS: KRK version | KRK wrapped under TK | MK version | K-ENC | K-MAC | K-DEK, each
     * wrapped under TK ({@code wrappedKeySet}: the three RFC 3394 blocks, 72 bytes).
     */
    public static CommandAPDU injectKeys(int krkVersion, byte[] wrappedKrk, int mkVersion, byte[] wrappedKeySet) {
        checkVersion(krkVersion);
        checkVersion(mkVersion);
        if (wrappedKrk.length != PsdProtocol.WRAPPED_KEY_LEN) {
            throw new IllegalArgumentException("wrapped KRK must be " + PsdProtocol.WRAPPED_KEY_LEN + " bytes (RFC 3394 of AES-128)");
        }
        checkKeySet(wrappedKeySet);
        byte[] d = new byte[PsdProtocol.INJECT_LEN];
        d[0] = (byte) krkVersion;
        System.arraycopy(wrappedKrk, 0, d, 1, PsdProtocol.WRAPPED_KEY_LEN);
        d[1 + PsdProtocol.WRAPPED_KEY_LEN] = (byte) mkVersion;
        System.arraycopy(wrappedKeySet, 0, d, 2 + PsdProtocol.WRAPPED_KEY_LEN, PsdProtocol.WRAPPED_KEY_SET_LEN);
        return new CommandAPDU(PsdProtocol.CLA_GP & 0xFF, PsdProtocol.INS_INJECT_KEYS, 0, 0, d);
    }

    private static void checkKeySet(byte[] wrappedKeySet) {
        if (wrappedKeySet.length != PsdProtocol.WRAPPED_KEY_SET_LEN) {
            throw new IllegalArgumentException("wrapped key set must be " + PsdProtocol.WRAPPED_KEY_SET_LEN + " bytes (K-ENC, K-MAC, K-DEK, RFC 3394 each)");
        }
    }

    /** UNLOCK plain form (wrap with the session): the 16-byte KRK proof. */
    public static CommandAPDU unlock(byte[] proof) {
        if (proof.length != PsdProtocol.PROOF_LEN) throw new IllegalArgumentException("proof must be 16 bytes");
        return new CommandAPDU(PsdProtocol.CLA_GP & 0xFF, PsdProtocol.INS_UNLOCK, 0, 0, proof);
    }

    /**
     * REPLACE MK plain form: new version | new K-ENC | K-MAC | K-DEK, each wrapped (RFC 3394)
     * under the session's replacement KEK (72 bytes).
     */
    public static CommandAPDU replaceMk(int newVersion, byte[] wrappedKeySet) {
        checkVersion(newVersion);
        checkKeySet(wrappedKeySet);
        byte[] d = new byte[PsdProtocol.REPLACE_LEN];
        d[0] = (byte) newVersion;
        System.arraycopy(wrappedKeySet, 0, d, 1, PsdProtocol.WRAPPED_KEY_SET_LEN);
        return new CommandAPDU(PsdProtocol.CLA_GP & 0xFF, PsdProtocol.INS_REPLACE_MK, 0, 0, d, 256);
    }

    /** RECOVER (UNLOCK P1 = 01, only on a blocked executive): the 16-byte KRK recovery proof. */
    public static CommandAPDU recover(byte[] proof) {
        if (proof.length != PsdProtocol.PROOF_LEN) throw new IllegalArgumentException("proof must be 16 bytes");
        return new CommandAPDU(PsdProtocol.CLA_GP & 0xFF, PsdProtocol.INS_UNLOCK, PsdProtocol.P1_RECOVER, 0, proof);
    }

    /** CHANGE KRK plain form: new KRK version | new KRK wrapped (RFC 3394) under the session's replacement KEK. */
    public static CommandAPDU changeKrk(int newVersion, byte[] wrappedKrk) {
        checkVersion(newVersion);
        if (wrappedKrk.length != PsdProtocol.WRAPPED_KEY_LEN) throw new IllegalArgumentException("wrapped KRK must be 24 bytes");
        byte[] d = new byte[PsdProtocol.CHANGE_KRK_LEN];
        d[0] = (byte) newVersion;
        System.arraycopy(wrappedKrk, 0, d, 1, PsdProtocol.WRAPPED_KEY_LEN);
        return new CommandAPDU(PsdProtocol.CLA_GP & 0xFF, PsdProtocol.INS_CHANGE_KRK, 0, 0, d, 256);
    }

    /** The answer to REPLACE MK / CHANGE KRK: the one byte of the key version the card now holds. */
    public static int confirmedVersion(byte[] response) {
        if (response.length != 1) throw new PsdException("PSD confirmed the MK replacement with " + response.length + " bytes");
        return response[0] & 0xFF;
    }

    /** The unlock proof's KDF input: SCP03 KDF block with constant 70, L = 128, session context. */
    public static byte[] unlockProofInput(byte[] sessionContext) {
        return Scp03.kdfInput(PsdProtocol.DC_UNLOCK_PROOF, 128, sessionContext);
    }

    /** The recovery proof's KDF input: SCP03 KDF block with constant 72, L = 128, session context. */
    public static byte[] recoveryProofInput(byte[] sessionContext) {
        return Scp03.kdfInput(PsdProtocol.DC_RECOVERY_PROOF, 128, sessionContext);
    }

    static void checkVersion(int v) {
        if (v < 1 || v > 0x7F) throw new IllegalArgumentException("key version must be 1..127, got " + v);
    }
}
