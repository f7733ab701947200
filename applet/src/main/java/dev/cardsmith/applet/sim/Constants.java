package dev.cardsmith.applet.sim;

/**
 * Every protocol constant of the sim applet (seed 004), named after the specification it
 * comes from. The host builds its APDUs and packets from this class; docs/ota.md lists the
 * same values.
 */
public final class Constants {

    private Constants() {}

    // ---------------------------------------------------------------- APDU classes
    /** Proprietary class of every command (ISO 7816-4 b8 = 1). */
    public static final byte CLA_PROPRIETARY = (byte) 0x80;

    // ---------------------------------------------------------------- terminal-facing INS
    // Reached by SELECT on a logical channel (OMAPI on a handset). Class-80 INS codes of the UICC's
    // own CAT and GlobalPlatform commands (TS 102 221 10.1.2: 10 TERMINAL PROFILE, 12 FETCH,
    // 14 TERMINAL RESPONSE, C2 ENVELOPE, F2 STATUS, AA, 7x; GP 50, 82, CA, D8, E2-E8, F0-F2) are
    // answered by the card's OS and never reach an applet, so the terminal protocol uses 40-4C.
    /** ENVELOPE (SMS-PP data download, TS 102 223 7.1): answered by the UICC's toolkit runtime, which triggers {@code processToolkit}. */
    public static final byte INS_ENVELOPE = (byte) 0xC2;
    /** Fig. 2 step 10: the SIM's challenge, plus state, key generation and flags. */
    public static final byte INS_GET_CHALLENGE = (byte) 0x40;
    /** Fig. 2 steps 11/12/24: terminal response + IMEI/max-output control. P1 selects plain or update. */
    public static final byte INS_AUTHENTICATE = (byte) 0x42;
    /** Fig. 1 step 27 / Fig. 3 step 34: terminal acknowledges the received trust key. */
    public static final byte INS_ACK = (byte) 0x44;
    /** Pull mechanism: the terminal polls the SIM (pending update, revocation). */
    public static final byte INS_POLL = (byte) 0x46;
    /** DRM (Figs. 4-5): content key, encrypted under the session key, within the rights. */
    public static final byte INS_GET_CONTENT_KEY = (byte) 0x4A;
    /** Revocation on the terminal's initiative (authenticated session required). */
    public static final byte INS_TERMINAL_REVOKE = (byte) 0x4C;
    /** The SIM's public key and the operator's certificate over it (EC variant: the SIM proves itself). */
    public static final byte INS_GET_SIM_CERTIFICATE = (byte) 0x48;
    /** One-time personalization of the OTA key set under the transport key of the install parameters. */
    public static final byte INS_PERSONALIZE = (byte) 0x30;

    public static final byte P1_AUTH_PLAIN = 0x00;
    public static final byte P1_AUTH_UPDATE = 0x01;

    // ---------------------------------------------------------------- OTA (remote) commands
    // Carried in the secured data of a command packet as compact remote commands
    // (ETSI TS 102 226 5.1.1: CLA INS P1 P2 Lc data, one after the other).
    public static final byte INS_OTA_SET_DATE = (byte) 0x20;
    public static final byte INS_OTA_INIT_TRUST = (byte) 0x22;
    public static final byte INS_OTA_REVOKE = (byte) 0x24;
    public static final byte INS_OTA_LICENSE = (byte) 0x26;
    public static final byte INS_OTA_STATUS = (byte) 0x28;
    public static final byte INS_OTA_REQUEST_UPDATE = (byte) 0x2A;
    /** SIM identity key: P1 00 read its public point, P1 01 store the operator's certificate over it. */
    public static final byte INS_OTA_SIM_KEY = (byte) 0x2C;
    public static final byte P1_SIM_KEY_READ = 0x00;
    public static final byte P1_SIM_KEY_CERTIFY = 0x01;
    /** Longest certificate: a DER ECDSA P-256 signature. */
    public static final short MAX_CERT_LEN = 72;

    public static final byte P1_LICENSE_PUT = 0x00;
    public static final byte P1_LICENSE_DELETE = 0x01;

    /** INIT_TRUST TLV tags (one byte tag, one byte length). */
    public static final byte TAG_KEY_TYPE = (byte) 0x80;
    public static final byte TAG_AUTH_KEY = (byte) 0x81;
    public static final byte TAG_IMEI = (byte) 0x82;
    public static final byte TAG_MAX_OUTPUT = (byte) 0x83;
    public static final byte TAG_EXPIRY = (byte) 0x84;
    public static final byte TAG_LIFETIME = (byte) 0x85;
    public static final byte TAG_CURRENT_DATE = (byte) 0x86;

    public static final byte KEY_TYPE_AES128 = 0x01;
    public static final byte KEY_TYPE_EC_P256 = 0x02;

    // ---------------------------------------------------------------- trust state machine
    public static final byte STATE_EMPTY = 0x00;
    public static final byte STATE_INITIALIZED = 0x01;
    public static final byte STATE_TRUSTED = 0x02;
    public static final byte STATE_REVOKED = 0x03;

    /** Flags byte of GET CHALLENGE / POLL / STATUS. */
    public static final byte FLAG_UPDATE_PENDING = 0x01;
    public static final byte FLAG_KEY_DELIVERED = 0x02;
    public static final byte FLAG_EXPIRED = 0x04;
    public static final byte FLAG_OTA_PERSONALIZED = 0x08;

    /** Events the SIM reports to the OTA server (notification data, STATUS). */
    public static final byte EVENT_NONE = 0x00;
    public static final byte EVENT_TRUST_ACK = 0x01;
    public static final byte EVENT_REVOKED_BY_SIM = 0x02;
    public static final byte EVENT_REVOKED_BY_NETWORK = 0x03;
    public static final byte EVENT_REVOKED_BY_TERMINAL = 0x04;
    public static final byte EVENT_INITIALIZED = 0x05;
    /** Tag of the event record in notifications and STATUS. */
    public static final byte TAG_EVENT = (byte) 0xE0;

    /** Domain-separation labels of the terminal protocol MACs. */
    public static final byte LABEL_TERMINAL_PROOF = 0x54; // 'T'
    public static final byte LABEL_SESSION_KEY = 0x53;    // 'S'
    public static final byte LABEL_CARD_PROOF = 0x43;     // 'C'
    public static final byte LABEL_ACK = 0x41;            // 'A'
    public static final byte LABEL_KEY_CONFIRM = 0x4B;    // 'K'
    public static final byte LABEL_PERSONALIZE = 0x50;    // 'P'
    /** The SIM's signature over the challenge and the ECDH transcript (EC variant). */
    public static final byte LABEL_SIM_SIGNATURE = 0x49;  // 'I'
    /** What the operator CA signs: 'O' || the SIM's public point. */
    public static final byte LABEL_SIM_CERTIFICATE = 0x4F; // 'O'

    public static final short CHALLENGE_LEN = 16;
    /** The terminal's fresh nonce in AUTHENTICATE: makes the symmetric session keys fresh for the terminal too. */
    public static final short TERMINAL_NONCE_LEN = 8;
    public static final short KEY_LEN = 16;
    /**
     * IMEI as a handset answers PROVIDE LOCAL INFORMATION (TS 102 223 8.20): the TS 24.008
     * 10.5.1.4 mobile identity without IEI and length - digit 1 and type 1010 ("IMEI, odd") in the
     * first octet, digits 2..15 in swapped semi-octets, the check digit sent as 0. The network's
     * INIT_TRUST and the terminal's AUTHENTICATE carry it in the same coding.
     */
    public static final short IMEI_LEN = 8;
    /** Low nibble of the first IMEI octet: type of identity IMEI (010), odd number of digits (1). */
    public static final byte IMEI_TYPE_ODD = 0x0A;
    public static final short EC_POINT_LEN = 65;
    public static final short PROOF_LEN = 16;
    public static final short MAC8_LEN = 8;
    public static final byte MAX_AUTH_FAILURES = 3;
    /** The failure count saturates here (a byte; no limit applies before the trust key exists). */
    public static final byte MAX_FAIL_COUNT = 127;
    public static final short LICENSE_SLOTS = 8;
    public static final short UNLIMITED_PLAYS = (short) 0xFFFF;

    // ---------------------------------------------------------------- ETSI TS 102 225 / 3GPP TS 31.115
    /** SPI first octet (TS 102 225 5.1.1). */
    public static final byte SPI1_RCCCDS_MASK = 0x03;
    public static final byte SPI1_CC = 0x02;
    public static final byte SPI1_CIPHER = 0x04;
    public static final byte SPI1_COUNTER_MASK = 0x18;
    public static final byte SPI1_COUNTER_NONE = 0x00;
    public static final byte SPI1_COUNTER_AVAILABLE = 0x08;
    public static final byte SPI1_COUNTER_HIGHER = 0x10;
    public static final byte SPI1_COUNTER_PLUS_ONE = 0x18;
    /** SPI second octet. */
    public static final byte SPI2_POR_MASK = 0x03;
    public static final byte SPI2_POR_NONE = 0x00;
    public static final byte SPI2_POR_ALWAYS = 0x01;
    public static final byte SPI2_POR_ON_ERROR = 0x02;
    public static final byte SPI2_POR_CC = 0x08;
    public static final byte SPI2_POR_CC_MASK = 0x0C;
    public static final byte SPI2_POR_CIPHER = 0x10;
    public static final byte SPI2_POR_VIA_SUBMIT = 0x20;
    /** KIc / KID: b1b2 = 10 AES, b3b4 = 00 (CBC resp. CMAC), b5..b8 key index. */
    public static final byte KEY_ALG_MASK = 0x0F;
    public static final byte KEY_ALG_AES = 0x02;
    /** b1b2 = 01 DES, b3b4 = 01: triple DES outer-CBC with two keys (CBC-MAC for KID). */
    public static final byte KEY_ALG_3DES2 = 0x05;
    /** b1b2 = 01, b3b4 = 10: triple DES outer-CBC with three keys (CBC-MAC for KID). */
    public static final byte KEY_ALG_3DES3 = 0x09;
    public static final short DES3_KEY_LEN = 24;
    public static final short DES_BLOCK = 8;
    public static final byte KEY_ALG_DES_MASK = 0x03;

    /** Response status codes (TS 102 225 table 5, TS 31.115 7.1.2). */
    public static final byte POR_OK = 0x00;
    public static final byte POR_RC_CC_DS_FAILED = 0x01;
    public static final byte POR_CNTR_LOW = 0x02;
    public static final byte POR_CNTR_HIGH = 0x03;
    public static final byte POR_CNTR_BLOCKED = 0x04;
    public static final byte POR_CIPHERING_ERROR = 0x05;
    public static final byte POR_UNIDENTIFIED_SECURITY_ERROR = 0x06;
    public static final byte POR_INSUFFICIENT_MEMORY = 0x07;
    public static final byte POR_MORE_TIME = 0x08;
    public static final byte POR_TAR_UNKNOWN = 0x09;
    public static final byte POR_INSUFFICIENT_SECURITY_LEVEL = 0x0A;
    public static final byte POR_DATA_VIA_SUBMIT = 0x0B;

    /** CC length for AES-CMAC (TS 102 225 5.1.3.1; 8 bytes as deployed, see docs/ota.md). */
    public static final short CC_LEN = 8;
    public static final short CNTR_LEN = 5;
    public static final short TAR_LEN = 3;
    /** CHL without RC/CC/DS: SPI(2) KIc KID TAR(3) CNTR(5) PCNTR. */
    public static final short CHL_BASE = 13;
    public static final short AES_BLOCK = 16;

    /** 3GPP TS 23.040 user-data-header IEIs. */
    public static final byte IEI_CONCAT_8 = 0x00;
    public static final byte IEI_CONCAT_16 = 0x08;
    public static final byte IEI_CPI = 0x70;
    public static final byte IEI_RPI = 0x71;
    /** TP-PID "(U)SIM data download" (TS 23.040 9.2.3.9). */
    public static final byte TP_PID_SIM_DATA_DOWNLOAD = 0x7F;
    /** SMS-DELIVER first octet: MTI 00, TP-UDHI. */
    public static final byte TP_MTI_MASK = 0x03;
    public static final byte TP_UDHI = 0x40;
    /** SMS-SUBMIT first octet for a PoR by SMS-SUBMIT: MTI 01, TP-UDHI, no validity period (TS 23.040 9.2.2.2). */
    public static final byte TP_MTI_SUBMIT_UDHI = 0x41;
    /** TP-DCS class 2 (SIM specific), 8-bit data (TS 23.038 4). */
    public static final byte TP_DCS_CLASS2_8BIT = (byte) 0xF6;

    /** TS 102 223 / TS 101 220 BER-TLV and COMPREHENSION-TLV tags of the SMS-PP download envelope. */
    public static final byte TAG_SMS_PP_DOWNLOAD = (byte) 0xD1;
    public static final byte CTAG_DEVICE_IDENTITIES = 0x02;
    public static final byte CTAG_ADDRESS = 0x06;
    public static final byte CTAG_SMS_TPDU = 0x0B;
    public static final byte CTAG_MASK = 0x7F;
    public static final byte DEVICE_NETWORK = (byte) 0x83;
    public static final byte DEVICE_UICC = (byte) 0x81;

    // ---------------------------------------------------------------- install parameters
    /**
     * C9 value: one to KeySets.MAX key sets - KIc id(1) KIc KID id(1) KID - then TAR(3) MSL(1), or
     * empty. The high nibble of an id byte is the algorithm (0 or 2 AES, 5 two-key 3DES: 16-byte
     * keys; 9 three-key 3DES: 24-byte keys; 1 single DES refused), the low nibble the key index.
     * One AES or two-key set makes 38 bytes, the length PERSONALIZE carries.
     */
    public static final short INSTALL_PARAMS_LEN = 38;
    // or 16 bytes: a transport key (AES-128); PERSONALIZE then carries the key set under it
    // (docs/ota.md "On the card"); no parameters: the SIM can never be personalized by APDU

    // Status words: the one table of the platform layer, dev.cardsmith.applet.platform.Sw
    // (docs/conventions.md); this applet declares none of its own.
}
