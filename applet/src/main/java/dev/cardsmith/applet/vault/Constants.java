package dev.cardsmith.applet.vault;

import dev.cardsmith.applet.platform.CommandTable;

/**
 * The vault applet's protocol constants (seed 000): class byte, instructions, P1/P2, data
 * object tags, sizes, lifecycle states and the dispatch table. The host builds its APDUs from this class
 * (docs/vault.md documents every value). Status words are the platform table's (platform.Sw,
 * docs/conventions.md).
 */
public final class Constants {

    private Constants() {}

    // ---- class bytes --------------------------------------------------------------------
    /**
     * Every vault command except SELECT: proprietary class, no ISO secure messaging, basic channel.
     * STORE PACKAGE protects its data itself (a sealed package, see SEALED_*).
     */
    public static final byte CLA_PROPRIETARY = (byte) 0x80;
    public static final byte CLA_ISO = (byte) 0x00;

    // ---- instructions -------------------------------------------------------------------
    public static final byte INS_SELECT = (byte) 0xA4;
    /** GET DATA: P1P2 selects the data object (P1P2_*). */
    public static final byte INS_GET_DATA = (byte) 0xCA;
    /** PUT DATA P1P2=00C2: the one-shot SET MANUFACTURER KEY (claims 2, 19). */
    public static final byte INS_PUT_DATA = (byte) 0xDA;
    /**
     * STORE PACKAGE: sealed data package in (after GET CHALLENGE), backup package and its
     * response MAC out (claims 1, 18).
     */
    public static final byte INS_STORE_PACKAGE = (byte) 0x30;
    /** STORE CERTIFICATE: the device-identity certificate, verified on card (claims 2, 19). */
    public static final byte INS_STORE_CERTIFICATE = (byte) 0x32;
    /** RESTORE: backup package in (claim 17). */
    public static final byte INS_RESTORE = (byte) 0x34;
    /** WIPE: erase the data package, authorized by a manufacturer signature over a card challenge. */
    public static final byte INS_WIPE = (byte) 0x36;
    /**
     * GET BACKUP: in PACKAGED only, after GET CHALLENGE, authenticated by the provisioning
     * channel (data = CMAC(channel key, 51 || chip ID || challenge)); answer: a new backup
     * package of the stored package (same version, fresh IV) | CMAC(channel key, 42 || challenge
     * || device public key || backup). Lets the secure processing point finish a provision whose
     * STORE PACKAGE answer was lost, without a wipe.
     */
    public static final byte INS_GET_BACKUP = (byte) 0x38;
    /** GET CHALLENGE: 16 random bytes, single use, for WIPE, STORE PACKAGE or GET BACKUP. */
    public static final byte INS_GET_CHALLENGE = (byte) 0x84;
    /** INTERNAL AUTHENTICATE: proves the stored keys work (P2 selects the key). */
    public static final byte INS_PROVE = (byte) 0x88;

    // ---- P1/P2 --------------------------------------------------------------------------
    public static final short P1P2_NONE = (short) 0x0000;
    /** GET DATA objects. */
    public static final short P1P2_CHIP_INFO = (short) 0x00C0;
    public static final short P1P2_CHIP_ID = (short) 0x00C1;
    public static final short P1P2_MANUFACTURER_KEY = (short) 0x00C2;
    public static final short P1P2_DEVICE_PUBLIC_KEY = (short) 0x00C6;
    /** The chip agreement key (public half): the key a data package is sealed to. */
    public static final short P1P2_AGREEMENT_KEY = (short) 0x00C9;
    public static final short P1P2_CERTIFICATE = (short) 0x00CE;
    /** PROVE: P1=00, P2 = which key. */
    public static final byte P2_PROVE_CHANNEL_KEY = (byte) 0x01;
    public static final byte P2_PROVE_DEVICE_KEY = (byte) 0x02;

    // ---- data object tags (one byte, one-byte length < 0x80) ---------------------------
    /** Format version inside the certificate. */
    public static final byte TAG_FORMAT = (byte) 0xC0;
    public static final byte TAG_CHIP_ID = (byte) 0xC1;
    public static final byte TAG_MANUFACTURER_KEY = (byte) 0xC2;
    public static final byte TAG_IDENTITY = (byte) 0xC3;
    public static final byte TAG_CHANNEL_KEY = (byte) 0xC4;
    public static final byte TAG_DEVICE_PRIVATE_KEY = (byte) 0xC5;
    public static final byte TAG_DEVICE_PUBLIC_KEY = (byte) 0xC6;
    public static final byte TAG_STATE = (byte) 0xC7;
    public static final byte TAG_PACKAGE_VERSION = (byte) 0xC8;
    /** Chip agreement key, public half (uncompressed P-256 point), in the chip info. */
    public static final byte TAG_AGREEMENT_KEY = (byte) 0xC9;
    public static final byte TAG_SIGNATURE = (byte) 0x9E;

    // ---- sizes --------------------------------------------------------------------------
    public static final short CHIP_ID_LENGTH = 16;
    public static final short IDENTITY_MIN = 1;
    public static final short IDENTITY_MAX = 32;
    public static final short CHANNEL_KEY_LENGTH = 16;
    public static final short EC_PRIVATE_LENGTH = 32;
    /** Uncompressed P-256 point: 04 || X || Y. */
    public static final short EC_POINT_LENGTH = 65;
    public static final short EC_FIELD_LENGTH = 32;
    public static final short ECDSA_MAX_LENGTH = 72;
    public static final short CERTIFICATE_MAX = 200;
    public static final short CHALLENGE_LENGTH = 16;
    public static final short PROVE_CHALLENGE_MAX = 64;
    public static final short AES_BLOCK = 16;
    public static final short MAC_LENGTH = 16;
    /** Plain data package: four TLVs, the identity at most IDENTITY_MAX. */
    public static final short PACKAGE_MAX = (short) (8 + IDENTITY_MAX + CHANNEL_KEY_LENGTH + EC_PRIVATE_LENGTH + EC_POINT_LENGTH);
    /** Padded package (ISO/IEC 9797-1 method 2 always adds at least one byte). */
    public static final short PACKAGE_PADDED_MAX = (short) (((PACKAGE_MAX + 1 + 15) / 16) * 16);

    // ---- backup package layout ------------------------------------------------------------
    public static final byte BACKUP_FORMAT = (byte) 0x01;
    public static final byte CERTIFICATE_FORMAT = (byte) 0x01;
    public static final short BACKUP_OFF_FORMAT = 0;
    public static final short BACKUP_OFF_CHIP_ID = 1;
    public static final short BACKUP_OFF_VERSION = 17;
    public static final short BACKUP_OFF_IV = 19;
    public static final short BACKUP_OFF_CIPHERTEXT = 35;
    /** Header + IV + MAC; the ciphertext is the rest. */
    public static final short BACKUP_OVERHEAD = (short) (BACKUP_OFF_CIPHERTEXT + MAC_LENGTH);

    // ---- sealed data package (STORE PACKAGE command data) ----------------------------------
    // 02 | host ephemeral P-256 point (65) | AES-CBC(K_seal_enc, IV 0, pad(package)) | CMAC(K_seal_mac, all before).
    // Z = ECDH(chip agreement key, host point) (x only); K_seal_enc / K_seal_mac =
    // CMAC(Z as AES-256, 01 || 'e' / 'm' || 00 || chip ID || challenge || 0080), challenge = the
    // last GET CHALLENGE (single use). Answer: backup package | CMAC(K_seal_mac, 52 || backup).
    public static final byte SEALED_FORMAT = (byte) 0x02;
    public static final short SEALED_OFF_FORMAT = 0;
    public static final short SEALED_OFF_POINT = 1;
    public static final short SEALED_OFF_CIPHERTEXT = (short) (SEALED_OFF_POINT + EC_POINT_LENGTH);
    /** Format + point + MAC; the ciphertext is the rest (16..PACKAGE_PADDED_MAX, whole blocks). */
    public static final short SEALED_OVERHEAD = (short) (SEALED_OFF_CIPHERTEXT + MAC_LENGTH);
    public static final short SEALED_MAX = (short) (SEALED_OVERHEAD + PACKAGE_PADDED_MAX);
    public static final byte KDF_LABEL_SEAL_ENC = (byte) 0x65; // 'e'
    public static final byte KDF_LABEL_SEAL_MAC = (byte) 0x6D; // 'm'
    /** First byte of the response MAC input, so no command MAC input (starting 02) is ever a response MAC input. */
    public static final byte SEAL_RESPONSE_DOMAIN = (byte) 0x52; // 'R'

    // ---- key derivation labels (SP 800-108 counter mode, AES-CMAC PRF, on card) ----------
    /** K_enc = CMAC(chip key, 01 || 'E' || 00 || chip ID || 0080), K_mac the same with 'M'. */
    public static final byte KDF_LABEL_ENC = (byte) 0x45; // 'E'
    public static final byte KDF_LABEL_MAC = (byte) 0x4D; // 'M'
    /** Domain separator of the WIPE authorization: ECDSA over 57 || chip ID || challenge. */
    public static final byte WIPE_DOMAIN = (byte) 0x57; // 'W'
    /**
     * Domain separator of PROVE: the card MACs / signs 50 || challenge, never the bare challenge,
     * so the unauthenticated PROVE is no MAC/signature oracle over chosen data. Any other use of
     * the channel key or device key must never authenticate a message that starts with 50.
     */
    public static final byte PROVE_DOMAIN = (byte) 0x50; // 'P'

    /** First byte of the GET BACKUP request MAC input: 51 || chip ID || challenge. */
    public static final byte BACKUP_REQUEST_DOMAIN = (byte) 0x51; // 'Q'
    /** First byte of the GET BACKUP response MAC input: 42 || challenge || device public key || backup. */
    public static final byte BACKUP_RESPONSE_DOMAIN = (byte) 0x42; // 'B'

    // ---- lifecycle ----------------------------------------------------------------------
    /** Only while install() runs; never seen by a command. */
    public static final byte STATE_NEW = (byte) 0x00;
    /** Chip ID and chip key present, no data package. */
    public static final byte STATE_EMPTY = (byte) 0x01;
    /** Data package stored (or restored), certificate missing. */
    public static final byte STATE_PACKAGED = (byte) 0x02;
    /** Data package and verified certificate present. */
    public static final byte STATE_PROVISIONED = (byte) 0x03;

    // ---- install parameters (value of GP tag C9): TLVs C1 chip ID, C2 manufacturer key ---

    /** Lifecycle state masks of the dispatch table (bit s = state s). */
    static final byte IN_EMPTY = (byte) (1 << STATE_EMPTY);
    static final byte IN_PACKAGED = (byte) (1 << STATE_PACKAGED);
    static final byte IN_PROVISIONED = (byte) (1 << STATE_PROVISIONED);

    /**
     * The lifecycle dispatch table (CommandTable rows: INS, states, flags): which command each
     * state allows; every other state answers 6985. docs/vault.md has the same matrix.
     */
    static final byte[] COMMANDS = {
        INS_GET_DATA, CommandTable.ANY_STATE, 0,
        INS_PUT_DATA, IN_EMPTY, 0,
        INS_STORE_PACKAGE, IN_EMPTY, 0,
        INS_STORE_CERTIFICATE, IN_PACKAGED, 0,
        INS_RESTORE, IN_EMPTY, 0,
        INS_GET_CHALLENGE, CommandTable.ANY_STATE, 0,
        INS_WIPE, CommandTable.ANY_STATE, 0,
        INS_PROVE, (byte) (IN_PACKAGED | IN_PROVISIONED), 0,
        INS_GET_BACKUP, IN_PACKAGED, 0,
    };

    // ---- status words: the platform table (dev.cardsmith.applet.platform.Sw), docs/conventions.md.
    // Vault-specific uses: 6982 backup MAC / sealed package MAC / certificate or WIPE signature wrong; 6984 a superseded
    // backup (rollback); 6985 wrong state, manufacturer key already set, WIPE, STORE PACKAGE or
    // GET BACKUP without a fresh challenge; 6982 also a GET BACKUP request MAC that is not the channel key's; 6A80 malformed TLV or sealed-package format, point not on
    // P-256, other chip's backup, certificate not for this chip; 6A88 GET DATA of an absent object.
}
