package dev.cardsmith.applet.module;

import javacard.framework.JCSystem;

/**
 * The module's own RAM, allocated once: one CLEAR_ON_DESELECT byte array addressed by named
 * chained offsets, and one short array of session variables. APDU I/O state (chaining, 61xx) is
 * the layer's ApduIo, TLV reading state the layer's Tlv, CMAC state the layer's AesCmac.
 *
 * <p>Transient RAM of the module (AllAppletsRobustnessTest measures it on install): here 526 +
 * 2 * 16 = 558 bytes; ApduIo 7 shorts + 1 reference (16), Tlv of depth 3 9 shorts + 1 reference
 * (20), AesCmac 49 bytes: 643 bytes on either CMAC path. Not counted by that measure: the three
 * transient AES keys in {@link Crypto} (48 bytes) and, where the platform offers
 * TYPE_EC_FP_PRIVATE_TRANSIENT_DESELECT, the ephemeral private key (32 bytes, up to about 225
 * if the domain parameters are kept in RAM too). Worst case about 916 bytes, within the 1 KB budget.
 */
final class Transients {

    // ---- byte RAM layout (offsets chain) ----
    static final short EPK_PEER = 0;                                  // peer ephemeral public key (65)
    static final short EPK_CARD = (short) (EPK_PEER + Constants.EC_POINT_LENGTH);  // own ephemeral key (65)
    static final short NONCE = (short) (EPK_CARD + Constants.EC_POINT_LENGTH);     // session nonce (16)
    static final short SSC = (short) (NONCE + Constants.NONCE_LENGTH);             // SM send sequence counter (16)
    static final short CHR_PERSO = (short) (SSC + 16);                              // CHR of the perso unit (16)
    static final short CHR_CENTRAL = (short) (CHR_PERSO + Constants.MAX_REFERENCE_LENGTH); // CHR of the central system (16)
    static final short TAN = (short) (CHR_CENTRAL + Constants.MAX_REFERENCE_LENGTH);       // entered TAN (16)
    static final short RECEIPT = (short) (TAN + Constants.TAN_MAX_LENGTH);                  // central receipt (16)
    static final short DER = (short) (RECEIPT + Constants.MAC_LENGTH);                      // DER signature (80)
    static final short KDF = (short) (DER + 80);                                             // Z1||Z2||ctr||info (76)
    static final short KOUT = (short) (KDF + 76);                                            // KDF output (64)
    static final short WORK = (short) (KOUT + 64);                                           // scratch: points, MACs, IV, on-curve check (80)
    static final short RAM_LENGTH = (short) (WORK + 80);

    // ---- short session variables ----
    static final byte V_SESSION = 0;
    static final byte V_TAN_LEN = 1;
    static final byte V_CHR_PERSO_LEN = 2;
    static final byte V_CHR_CENTRAL_LEN = 3;
    // the certificate Cvc parsed last: offsets into the command data
    static final byte CV_BODY_OFF = 4;
    static final byte CV_BODY_LEN = 5;
    static final byte CV_CAR_OFF = 6;
    static final byte CV_CAR_LEN = 7;
    static final byte CV_KEY_OFF = 8;
    static final byte CV_CHR_OFF = 9;
    static final byte CV_CHR_LEN = 10;
    static final byte CV_NONCE_OFF = 11;
    static final byte CV_EFF_OFF = 12;
    static final byte CV_EXP_OFF = 13;
    static final byte CV_SIG_OFF = 14;
    static final byte CV_CERT_LEN = 15;
    static final byte V_COUNT = 16;

    // session steps
    static final short SESSION_NONE = 0;
    static final short PERSO_INITIATED = 1;
    static final short PERSO_AUTHENTICATED = 2;
    static final short CENTRAL_STARTED = 3;
    /** RELEASE CHALLENGE answered: the challenge waits in NONCE for one ENTER PERSONALIZATION. */
    static final short RELEASE_CHALLENGED = 4;

    final byte[] ram;
    final short[] vars;

    Transients() {
        ram = JCSystem.makeTransientByteArray(RAM_LENGTH, JCSystem.CLEAR_ON_DESELECT);
        vars = JCSystem.makeTransientShortArray(V_COUNT, JCSystem.CLEAR_ON_DESELECT);
    }
}
