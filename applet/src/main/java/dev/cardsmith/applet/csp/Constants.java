package dev.cardsmith.applet.csp;

/**
 * Every constant of the CSP applet protocol (docs/csp.md), grouped as the specs name them:
 * ISO/IEC 7816-4 inter-industry commands (VERIFY, CHANGE REFERENCE DATA, RESET RETRY COUNTER,
 * GET CHALLENGE, GET RESPONSE), ISO/IEC 7816-8 GENERATE ASYMMETRIC KEY PAIR, and the
 * proprietary (CLA 80) commands. Each proprietary command is the APDU form of one PKCS#11
 * function (seed 003 claims 43, 45, 50: a PKCS#11 command set re-encoded for the link to the
 * device), named in the comment. The host builds its APDUs from this class.
 */
public final class Constants {

    private Constants() {}

    // ---- Class bytes -------------------------------------------------------------------------
    /** ISO inter-industry class. */
    public static final byte CLA_ISO = (byte) 0x00;
    /** Proprietary class. */
    public static final byte CLA_PROPRIETARY = (byte) 0x80;

    // ---- ISO 7816-4 / 7816-8 instructions -----------------------------------------------------
    /** VERIFY (C_Login). P2 = PIN reference; empty data asks for the retry counter. */
    public static final byte INS_VERIFY = (byte) 0x20;
    /** CHANGE REFERENCE DATA (C_SetPIN). Data = LV(old) || LV(new). */
    public static final byte INS_CHANGE_REFERENCE_DATA = (byte) 0x24;
    /** RESET RETRY COUNTER (C_InitPIN by the PUK holder). Data = LV(PUK) || LV(new PIN). */
    public static final byte INS_RESET_RETRY_COUNTER = (byte) 0x2C;
    /** GET CHALLENGE (C_GenerateRandom). Le = number of bytes (00 = 256). */
    public static final byte INS_GET_CHALLENGE = (byte) 0x84;
    /** GET RESPONSE: the next part of a long response announced with 61xx. */
    public static final byte INS_GET_RESPONSE = (byte) 0xC0;
    /** GENERATE ASYMMETRIC KEY PAIR (C_GenerateKeyPair / reading the public key). P1 = 80 generate, 81 read. P2 = slot. */
    public static final byte INS_GENERATE_ASYMMETRIC_KEY_PAIR = (byte) 0x47;
    public static final byte P1_GENERATE = (byte) 0x80;
    public static final byte P1_READ_PUBLIC = (byte) 0x81;

    // ---- Proprietary instructions (CLA 80) ----------------------------------------------------
    /** SIGN (C_Sign over a host-computed hash). P1 = slot, P2 = mechanism. */
    public static final byte INS_SIGN = (byte) 0x2A;
    /** DECRYPT (C_Decrypt, RSA PKCS#1 v1.5). P1 = slot, P2 = mechanism. Chaining allowed. */
    public static final byte INS_DECRYPT = (byte) 0x2E;
    /** ECDH (C_DeriveKey, CKM_ECDH1_DERIVE with CKD_NULL). P1 = slot, data = peer point 04||X||Y. */
    public static final byte INS_ECDH = (byte) 0x86;
    /** LIST SLOTS (C_FindObjects). Response = one slot template per slot. */
    public static final byte INS_LIST_SLOTS = (byte) 0x4A;
    /** PUT CERTIFICATE (C_CreateObject CKO_CERTIFICATE). P1 = slot, data = DER certificate (empty deletes). Chaining allowed. */
    public static final byte INS_PUT_CERTIFICATE = (byte) 0xD8;
    /** GET CERTIFICATE (C_GetAttributeValue CKA_VALUE). P1 = slot; long certificates continue with 61xx. */
    public static final byte INS_GET_CERTIFICATE = (byte) 0xCA;
    /** DELETE KEY (C_DestroyObject). P1 = slot: key pair, label and certificate. */
    public static final byte INS_DELETE_KEY = (byte) 0xE4;

    // ---- PIN references (P2 of VERIFY / CHANGE / RESET RETRY COUNTER) -------------------------
    public static final byte PIN_USER = (byte) 0x81;
    public static final byte PIN_PUK = (byte) 0x80;

    public static final byte PIN_TRY_LIMIT = (byte) 3;
    public static final byte PUK_TRY_LIMIT = (byte) 10;
    public static final byte PIN_MIN_LENGTH = (byte) 4;
    public static final byte PIN_MAX_LENGTH = (byte) 8;
    public static final byte PUK_LENGTH = (byte) 8;

    // ---- Key slots ------------------------------------------------------------------------------
    public static final byte SLOT_COUNT = (byte) 4;
    public static final byte LABEL_MAX = (byte) 32;
    /** Largest certificate per slot (DER bytes). */
    public static final short CERT_MAX = (short) 2048;

    /** Slot algorithm (tag 80 in GENERATE data, tag 81 in LIST). */
    public static final byte ALG_NONE = (byte) 0x00;
    public static final byte ALG_EC_P256 = (byte) 0x01;
    public static final byte ALG_RSA_2048 = (byte) 0x02;

    /** SIGN mechanisms (P2). */
    public static final byte MECH_ECDSA_PREHASHED = (byte) 0x01;
    public static final byte MECH_RSA_PKCS1_DIGESTINFO = (byte) 0x02;
    /** DECRYPT mechanisms (P2). */
    public static final byte MECH_RSA_PKCS1_DECRYPT = (byte) 0x01;

    public static final short ECDSA_HASH_LENGTH = (short) 32;
    public static final short EC_POINT_LENGTH = (short) 65;
    public static final short RSA_MODULUS_LENGTH = (short) 256;
    /** PKCS#1 v1.5 type 1 padding needs at least 11 bytes of the modulus. */
    public static final short RSA_PKCS1_MAX_INPUT = (short) (RSA_MODULUS_LENGTH - 11);

    // ---- Tags ---------------------------------------------------------------------------------
    /** GENERATE data: algorithm (1 byte). */
    public static final byte TAG_GEN_ALGORITHM = (byte) 0x80;
    /** GENERATE data: label (0..32 bytes). */
    public static final byte TAG_GEN_LABEL = (byte) 0x81;
    /** Public key template (ISO 7816-8), two-byte tag 7F49. */
    public static final short TAG_PUBLIC_KEY = (short) 0x7F49;
    public static final byte TAG_RSA_MODULUS = (byte) 0x81;
    public static final byte TAG_RSA_EXPONENT = (byte) 0x82;
    public static final byte TAG_EC_POINT = (byte) 0x86;
    /** LIST response: one slot template. */
    public static final byte TAG_SLOT = (byte) 0xE0;
    public static final byte TAG_SLOT_NUMBER = (byte) 0x80;
    public static final byte TAG_SLOT_ALGORITHM = (byte) 0x81;
    public static final byte TAG_SLOT_LABEL = (byte) 0x82;
    public static final byte TAG_SLOT_CERT_LENGTH = (byte) 0x83;
    /** SELECT response: application template with version, slot count, RSA support, CERT_MAX. */
    public static final byte TAG_APP_INFO = (byte) 0x61;
    public static final byte TAG_APP_VERSION = (byte) 0x80;
    public static final byte TAG_APP_SLOTS = (byte) 0x81;
    public static final byte TAG_APP_ALGORITHMS = (byte) 0x82;
    public static final byte TAG_APP_CERT_MAX = (byte) 0x83;

    public static final byte APP_VERSION = (byte) 0x01;

    // Status words: the one table of the platform layer, dev.cardsmith.applet.platform.Sw
    // (docs/conventions.md, docs/csp.md); this applet declares none of its own.
}
