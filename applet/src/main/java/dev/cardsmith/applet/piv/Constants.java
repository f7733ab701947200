package dev.cardsmith.applet.piv;

/**
 * Every constant of the PIV card edge (NIST SP 800-73-4 Part 2, algorithm identifiers from
 * SP 800-78-4 Table 6-2), grouped as the specs name them. The host builds its APDUs from this
 * class; docs/piv-card-edge.md is the prose. Status words: the platform table
 * (dev.cardsmith.applet.platform.Sw); the card edge uses the subset SP 800-73-4 Part 2 Table 6
 * lists (docs/piv-card-edge.md, "Status words").
 */
public final class Constants {

    private Constants() {}

    // ---- AIDs (SP 800-73-4 Part 1, 2.2) --------------------------------------------------------
    /** The PIV application AID (RID A0 00 00 03 08, PIX 00 00 10 00 01 00). */
    public static final byte[] AID = {
        (byte) 0xA0, 0x00, 0x00, 0x03, 0x08, 0x00, 0x00, 0x10, 0x00, 0x01, 0x00,
    };
    /** The application's PIX: the value of tag 4F in the application property template. */
    public static final short PIX_OFFSET = 5;
    /** The RID: coexistent tag allocation authority (79 / 4F) of the property template. */
    public static final short RID_LENGTH = 5;

    // ---- Class and instructions (SP 800-73-4 Part 2, 3) -----------------------------------------
    public static final byte CLA = (byte) 0x00;
    public static final byte INS_VERIFY = (byte) 0x20;
    public static final byte INS_CHANGE_REFERENCE_DATA = (byte) 0x24;
    public static final byte INS_RESET_RETRY_COUNTER = (byte) 0x2C;
    public static final byte INS_GENERATE_ASYMMETRIC_KEY_PAIR = (byte) 0x47;
    public static final byte INS_GENERAL_AUTHENTICATE = (byte) 0x87;
    public static final byte INS_GET_RESPONSE = (byte) 0xC0;
    public static final byte INS_GET_DATA = (byte) 0xCB;
    public static final byte INS_PUT_DATA = (byte) 0xDB;
    /** SET MANAGEMENT KEY (Yubico PIV extension, P1 FF, P2 FF): data = alg || 9B || L || key. */
    public static final byte INS_SET_MANAGEMENT_KEY = (byte) 0xFF;
    /** GET METADATA (Yubico PIV extension 5.3): P2 = key reference; 01 alg, 02 policy, 04 public key, 05 default. */
    public static final byte INS_GET_METADATA = (byte) 0xF7;

    /** VERIFY P1 = FF: reset the security status of the PIN (SP 800-73-4 Part 2, 3.2.1). */
    public static final byte P1_VERIFY_RESET = (byte) 0xFF;
    /** GET DATA / PUT DATA P1 P2 = 3F FF. */
    public static final short P1P2_DATA = (short) 0x3FFF;
    public static final byte P1P2_SET_MGMT = (byte) 0xFF;

    // ---- Key references (SP 800-73-4 Part 1, Table 4b) -------------------------------------------
    public static final byte KEY_PIN = (byte) 0x80;
    public static final byte KEY_PUK = (byte) 0x81;
    public static final byte KEY_GLOBAL_PIN = (byte) 0x00;
    public static final byte KEY_AUTHENTICATION = (byte) 0x9A;
    public static final byte KEY_MANAGEMENT_ADMIN = (byte) 0x9B;
    public static final byte KEY_SIGNATURE = (byte) 0x9C;
    public static final byte KEY_KEY_MANAGEMENT = (byte) 0x9D;
    public static final byte KEY_CARD_AUTHENTICATION = (byte) 0x9E;

    /** Slot numbers of the four key references 9A, 9C, 9D, 9E. */
    public static final byte SLOT_9A = 0;
    public static final byte SLOT_9C = 1;
    public static final byte SLOT_9D = 2;
    public static final byte SLOT_9E = 3;
    public static final byte SLOT_COUNT = 4;

    // ---- Algorithm identifiers (SP 800-78-4 Table 6-2) -------------------------------------------
    public static final byte ALG_NONE = (byte) 0x00;
    public static final byte ALG_3DES = (byte) 0x03;
    public static final byte ALG_RSA_2048 = (byte) 0x07;
    public static final byte ALG_AES_128 = (byte) 0x08;
    public static final byte ALG_AES_192 = (byte) 0x0A;
    public static final byte ALG_AES_256 = (byte) 0x0C;
    public static final byte ALG_EC_P256 = (byte) 0x11;
    /** P-384: the signing slots 9A, 9C, 9E only (where the platform has it). */
    public static final byte ALG_EC_P384 = (byte) 0x14;

    // ---- PIN policy ------------------------------------------------------------------------------
    public static final byte PIN_TRY_LIMIT = (byte) 3;
    public static final byte PUK_TRY_LIMIT = (byte) 3;
    /** PIN and PUK reference data: 8 bytes, a PIN padded with FF (SP 800-73-4 Part 2, 2.4.3). */
    public static final byte PIN_LENGTH = (byte) 8;
    public static final byte PIN_MIN_DIGITS = (byte) 6;
    public static final byte PAD = (byte) 0xFF;
    /** Slot PIN policies (GET METADATA tag 02, first byte; Yubico's encoding). */
    public static final byte POLICY_NEVER = (byte) 0x01;
    public static final byte POLICY_ONCE = (byte) 0x02;
    public static final byte POLICY_ALWAYS = (byte) 0x03;

    // ---- Tags -------------------------------------------------------------------------------------
    /** Application property template (SELECT response) and its parts. */
    public static final byte TAG_APT = (byte) 0x61;
    public static final byte TAG_AID = (byte) 0x4F;
    public static final byte TAG_AUTHORITY = (byte) 0x79;
    public static final byte TAG_LABEL = (byte) 0x50;
    public static final byte TAG_ALGORITHMS = (byte) 0xAC;
    public static final byte TAG_ALG_ID = (byte) 0x80;
    public static final byte TAG_OID = (byte) 0x06;

    /** GET DATA / PUT DATA: tag list and data. */
    public static final byte TAG_TAG_LIST = (byte) 0x5C;
    public static final byte TAG_DATA = (byte) 0x53;
    public static final byte TAG_CERTIFICATE = (byte) 0x70;
    /** The discovery object's own tag (its GET DATA answer is 7E ..., not 53 ...). */
    public static final byte TAG_DISCOVERY = (byte) 0x7E;
    public static final short TAG_PIN_USAGE_POLICY = (short) 0x5F2F;

    /** GENERATE: control reference template AC { 80 alg }; response 7F49 { 81 n, 82 e | 86 point }. */
    public static final byte TAG_CONTROL = (byte) 0xAC;
    public static final short TAG_PUBLIC_KEY = (short) 0x7F49;
    public static final byte TAG_RSA_MODULUS = (byte) 0x81;
    public static final byte TAG_RSA_EXPONENT = (byte) 0x82;
    public static final byte TAG_EC_POINT = (byte) 0x86;

    /** GENERAL AUTHENTICATE: dynamic authentication template 7C and its parts. */
    public static final byte TAG_DYNAMIC_AUTH = (byte) 0x7C;
    public static final byte TAG_WITNESS = (byte) 0x80;
    public static final byte TAG_CHALLENGE = (byte) 0x81;
    public static final byte TAG_RESPONSE = (byte) 0x82;
    public static final byte TAG_EXPONENTIATION = (byte) 0x85;

    /** GET METADATA response tags (Yubico). */
    public static final byte TAG_META_ALGORITHM = (byte) 0x01;
    public static final byte TAG_META_POLICY = (byte) 0x02;
    public static final byte TAG_META_PUBLIC_KEY = (byte) 0x04;
    public static final byte TAG_META_DEFAULT = (byte) 0x05;
    public static final byte TAG_META_RETRIES = (byte) 0x06;

    // ---- Data objects (SP 800-73-4 Part 1, Table 3): third byte of 5F C1 xx, or 7E -------------------
    public static final byte OBJ_PREFIX_1 = (byte) 0x5F;
    public static final byte OBJ_PREFIX_2 = (byte) 0xC1;
    public static final byte OBJ_CERT_9E = (byte) 0x01;
    public static final byte OBJ_CHUID = (byte) 0x02;
    public static final byte OBJ_CERT_9A = (byte) 0x05;
    public static final byte OBJ_CCC = (byte) 0x07;
    public static final byte OBJ_CERT_9C = (byte) 0x0A;
    public static final byte OBJ_CERT_9D = (byte) 0x0B;
    public static final byte OBJ_KEY_HISTORY = (byte) 0x0C;

    // ---- Sizes -----------------------------------------------------------------------------------
    public static final short RSA_BYTES = (short) 256;
    public static final short EC_FIELD_BYTES = (short) 32;
    public static final short EC384_FIELD_BYTES = (short) 48;
    /** Largest certificate object (53 TLV with 70 certificate, 71 info, FE LRC). */
    public static final short CERT_OBJECT_MAX = (short) 2100;
    public static final short CHUID_MAX = (short) 512;
    public static final short SMALL_OBJECT_MAX = (short) 128;
    /** The persistent staging buffer: a whole PUT DATA command (tag list + largest object). */
    public static final short STAGING = (short) (CERT_OBJECT_MAX + 8);

    public static final byte APP_VERSION = (byte) 0x01;
}
