package dev.cardsmith.applet.psd;

import dev.cardsmith.applet.platform.CommandTable;
import dev.cardsmith.applet.platform.Sw;

/**
 * Every value of the PSD applet's APDU protocol (docs/psd.md): instruction bytes, P1/P2,
 * lengths, states, SCP03 constants (GlobalPlatform Card Specification v2.3 Amendment D) and the
 * status words. The host builds its APDUs from this class.
 */
public final class PsdProtocol {
    private PsdProtocol() {}

    // ---- class bytes
    public static final byte CLA_ISO = (byte) 0x00;
    public static final byte CLA_GP = (byte) 0x80;
    /** GP proprietary class with secure messaging (SCP03 C-MAC, C-DECRYPTION). */
    public static final byte CLA_GP_SM = (byte) 0x84;

    // ---- instructions
    /** GET DATA (P1P2 = 00DF): the public status, also returned on SELECT. */
    public static final byte INS_GET_DATA = (byte) 0xCA;
    public static final byte P1_STATUS = (byte) 0x00;
    public static final byte P2_STATUS = (byte) 0xDF;
    /** One-time initial injection of KRK and MK under the transport key (claims 8-14). */
    public static final byte INS_INJECT_KEYS = (byte) 0xD8;
    /** SCP03 INITIALIZE UPDATE (GP CS 11.?, Amendment D 7.1). P1 = key version (00 = active MK). */
    public static final byte INS_INITIALIZE_UPDATE = (byte) 0x50;
    /** SCP03 EXTERNAL AUTHENTICATE (Amendment D 7.2). P1 = security level. */
    public static final byte INS_EXTERNAL_AUTHENTICATE = (byte) 0x82;
    /** Proof of the KRK: unlocks the security executive (claims 22-23). Secure channel only. */
    public static final byte INS_UNLOCK = (byte) 0x2E;
    /** Delete the active MK, install the new one, relock - one atomic step (claims 24-26). */
    public static final byte INS_REPLACE_MK = (byte) 0xD4;
    /** Move to a new KRK (issue 12): replace slot 1 inside an unlocked session, relock. */
    public static final byte INS_CHANGE_KRK = (byte) 0xD2;
    /** UNLOCK P1: 00 = unlock by KRK proof (counted), 01 = recover a blocked executive by KRK recovery proof. */
    public static final byte P1_UNLOCK = (byte) 0x00;
    public static final byte P1_RECOVER = (byte) 0x01;

    // ---- SCP03 (Amendment D)
    public static final byte SCP_ID = (byte) 0x03;
    /** i parameter: random card challenge (b5=0), R-MAC (b6) and R-ENC (b7) supported. */
    public static final byte SCP_I = (byte) 0x60;
    public static final byte SL_C_MAC = (byte) 0x01;
    public static final byte SL_C_DEC = (byte) 0x02;
    public static final byte SL_R_MAC = (byte) 0x10;
    public static final byte SL_R_ENC = (byte) 0x20;
    /** Derivation constants (Amendment D table 6-1) and the PSD's own for the unlock proof. */
    public static final byte DC_CARD_CRYPTOGRAM = (byte) 0x00;
    public static final byte DC_HOST_CRYPTOGRAM = (byte) 0x01;
    public static final byte DC_S_ENC = (byte) 0x04;
    public static final byte DC_S_MAC = (byte) 0x06;
    public static final byte DC_S_RMAC = (byte) 0x07;
    /** Proprietary constant (outside Amendment D's range) for the KRK unlock proof. */
    public static final byte DC_UNLOCK_PROOF = (byte) 0x70;
    /** Proprietary constant for the recovery proof of a blocked executive (UNLOCK P1 = 01). */
    public static final byte DC_RECOVERY_PROOF = (byte) 0x72;

    public static final short CHALLENGE_LEN = 8;
    public static final short CRYPTOGRAM_LEN = 8;
    public static final short MAC_LEN = 8;
    public static final short KEY_LEN = 16;
    /** RFC 3394 AES key wrap of a 16-byte key. */
    public static final short WRAPPED_KEY_LEN = 24;
    public static final short PROOF_LEN = 16;
    public static final short KEY_DIV_DATA_LEN = 10;
    /** INITIALIZE UPDATE response: div data 10 | key info 3 | card challenge 8 | card cryptogram 8. */
    public static final short INIT_UPDATE_RESP_LEN = 29;
    /** An MK key set on the wire: K-ENC | K-MAC | K-DEK, each RFC 3394-wrapped (3 x 24 bytes). */
    public static final short WRAPPED_KEY_SET_LEN = 3 * WRAPPED_KEY_LEN;
    /** INJECT KEYS data: KRK version | wrapped KRK | MK version | wrapped K-ENC | K-MAC | K-DEK (all under the transport key). */
    public static final short INJECT_LEN = 2 + WRAPPED_KEY_LEN + WRAPPED_KEY_SET_LEN;
    /**
     * REPLACE MK plain data: new MK version | new K-ENC | K-MAC | K-DEK, each wrapped under the
     * replacement KEK = SP 800-108 CMAC KDF(KRK, "cardsmith/psd/RKEK", host challenge || card challenge).
     */
    public static final short REPLACE_LEN = 1 + WRAPPED_KEY_SET_LEN;
    /** CHANGE KRK plain data: new KRK version | new KRK wrapped under the session's replacement KEK (from the current KRK). */
    public static final short CHANGE_KRK_LEN = 1 + WRAPPED_KEY_LEN;

    // ---- install parameters (value of tag C9): transport key (16) [|| unique ID (8..16)]
    public static final short TRANSPORT_KEY_LEN = 16;
    public static final short ID_MIN = 8;
    public static final short ID_MAX = 16;
    public static final short ID_GENERATED_LEN = 16;

    // ---- life cycle and security executive
    public static final byte STATE_INSTALLED = (byte) 0x01;
    public static final byte STATE_ISSUED = (byte) 0x07;
    public static final byte EXEC_LOCKED = (byte) 0x00;
    public static final byte EXEC_UNLOCKED = (byte) 0x01;
    public static final byte EXEC_BLOCKED = (byte) 0x02;
    public static final byte KRK_TRIES = (byte) 3;

    /**
     * Status (GET DATA 00DF, and inside the SELECT FCI): state | executive | MK version | KRK
     * version | KRK tries left | ID length | ID.
     */
    public static final short STATUS_FIXED_LEN = 6;

    /**
     * SELECT answers with an ISO 7816-4 FCI: 6F L { 84 L instance AID, 85 L status } (85 =
     * proprietary information, not BER-TLV encoded), so GlobalPlatform hosts that parse the
     * SELECT response as BER-TLV (GlobalPlatformPro) accept it.
     */
    public static final byte TAG_FCI = (byte) 0x6F;
    public static final byte TAG_DF_NAME = (byte) 0x84;
    public static final byte TAG_PROPRIETARY = (byte) 0x85;

    /** Lifecycle state masks of the dispatch table (bit s = state s). */
    static final byte IN_INSTALLED = (byte) (1 << STATE_INSTALLED);
    static final byte IN_ISSUED = (byte) (1 << STATE_ISSUED);

    /**
     * The lifecycle dispatch table (CommandTable rows: INS, states, flags), checked before any
     * handler: INJECT KEYS only while INSTALLED, the secure channel and what it carries only
     * once ISSUED; every other state answers 6985. docs/psd.md has the same matrix.
     */
    static final byte[] COMMANDS = {
        INS_GET_DATA, CommandTable.ANY_STATE, 0,
        INS_INJECT_KEYS, IN_INSTALLED, 0,
        INS_INITIALIZE_UPDATE, IN_ISSUED, 0,
        INS_EXTERNAL_AUTHENTICATE, IN_ISSUED, 0,
        INS_UNLOCK, IN_ISSUED, 0,
        INS_REPLACE_MK, IN_ISSUED, 0,
        INS_CHANGE_KRK, IN_ISSUED, 0,
    };

    // ---- status words: aliases of the platform table (dev.cardsmith.applet.platform.Sw,
    // docs/conventions.md) under the names the host and its tests use; the PSD declares none of its own
    public static final short SW_WRONG_LENGTH = Sw.WRONG_LENGTH;
    public static final short SW_SECURITY_NOT_SATISFIED = Sw.SECURITY_STATUS_NOT_SATISFIED;
    public static final short SW_AUTH_BLOCKED = Sw.AUTH_METHOD_BLOCKED;
    public static final short SW_CONDITIONS_NOT_SATISFIED = Sw.CONDITIONS_NOT_SATISFIED;
    public static final short SW_WRONG_DATA = Sw.WRONG_DATA;
    public static final short SW_INCORRECT_P1P2 = Sw.INCORRECT_P1P2;
    public static final short SW_REFERENCED_DATA_NOT_FOUND = Sw.REFERENCED_DATA_NOT_FOUND;
    public static final short SW_INS_NOT_SUPPORTED = Sw.INS_NOT_SUPPORTED;
    public static final short SW_CLA_NOT_SUPPORTED = Sw.CLA_NOT_SUPPORTED;
    /** Wrong KRK proof: 63Cx, x = tries left. */
    public static final short SW_WRONG_PROOF_BASE = Sw.VERIFY_FAILED_TRIES;
}
