package dev.cardsmith.applet.module;

import dev.cardsmith.applet.platform.P256;
import dev.cardsmith.applet.platform.Sw;

/**
 * Every INS, tag, role and state of the module applet (seed 002). The host builds its APDUs from
 * this class; docs/module.md describes each command. Status words come from the one table of all
 * applets, {@link Sw} (docs/conventions.md); the module declares none of its own.
 */
public final class Constants {

    private Constants() {}

    // ---- Class bytes ------------------------------------------------------------------------
    /** Proprietary class; bit 0x10 = ISO 7816-4 command chaining (ApduIo.CLA_CHAINING). */
    public static final byte CLA_PROPRIETARY = (byte) 0x80;

    // ---- INS: any state ----------------------------------------------------------------------
    // None of these is a command a UICC answers itself in class 80 (TS 102 221 10.1.2 table 10.5:
    // STATUS F2, TERMINAL PROFILE 10, FETCH 12, TERMINAL RESPONSE 14, ENVELOPE C2, INCREASE 32,
    // RETRIEVE/SET DATA CB/DB, ...), so the module applet also works on a SIM card; none is 6x/9x
    // (T=0 procedure bytes) and none is odd.
    public static final byte INS_GET_STATUS = (byte) 0x30;
    /** Manufacturing: one-time manufacturer checking key when none came with the install parameters. */
    public static final byte INS_SET_CHECKING_KEY = (byte) 0x1A;
    /** Manufacturing: form the permanent identity key pair, once (claim 8). */
    public static final byte INS_GENERATE_IDENTITY = (byte) 0x1C;
    /** Manufacturing: store the manufacturer's certificate of the identity key, once (claim 8). */
    public static final byte INS_STORE_IDENTITY_CERT = (byte) 0x1E;
    /**
     * Changeover to the personalization state; erases the module key (claim 2). In the operating
     * state only with a release authorization: 5F37 signature of the central system (or the perso
     * unit that personalized the module) over 'E' || the RELEASE CHALLENGE || the module public key.
     */
    public static final byte INS_ENTER_PERSONALIZATION = (byte) 0x16;
    /** Operating: a fresh one-time challenge for the release authorization; out: 81 challenge || 85 module public key. */
    public static final byte INS_RELEASE_CHALLENGE = (byte) 0x18;

    // ---- INS: personalization state ---------------------------------------------------------
    /** The identification unit enters the one-time transaction number (claims 13, 16). */
    public static final byte INS_ENTER_TAN = (byte) 0x24;
    /** Perso-unit certificate + ephemeral key in; identity proof, ephemeral key, nonce out (claims 7, 8, 9). */
    public static final byte INS_PERSO_INITIATE = (byte) 0x20;
    /** Secure messaging: perso-unit signature + variation value in; module key + nonce + TAN out (claims 3, 10, 13). */
    public static final byte INS_PERSO_AUTHENTICATE = (byte) 0x22;
    /** Secure messaging: module, central-system and cross certificates in; switches to operating (claims 1, 4-7). */
    public static final byte INS_PERSO_STORE_CERTS = (byte) 0x26;

    // ---- INS: operating state ---------------------------------------------------------------
    /** Ephemeral key of the central system in; ephemeral key, receipt, module certificate out (claims 1, 11). */
    public static final byte INS_CENTRAL_AUTHENTICATE = (byte) 0x40;
    /** The central system's signature over the transcript in; the agreed transaction key is stored (claims 4, 11). */
    public static final byte INS_CENTRAL_CONFIRM = (byte) 0x42;
    /** A transaction protected by the agreed key, with a strictly increasing counter (claim 11). */
    public static final byte INS_TRANSACTION = (byte) 0x50;

    // ---- Life-cycle states (persistent) ------------------------------------------------------
    public static final byte STATE_PERSONALIZATION = (byte) 0x01;
    public static final byte STATE_OPERATING = (byte) 0x02;

    // GET STATUS flags byte
    public static final byte FLAG_CHECKING_KEY = (byte) 0x01;
    public static final byte FLAG_IDENTITY_KEY = (byte) 0x02;
    public static final byte FLAG_IDENTITY_CERT = (byte) 0x04;
    public static final byte FLAG_MODULE_KEY = (byte) 0x08;
    public static final byte FLAG_TRANSACTION_KEY = (byte) 0x10;
    public static final byte FLAG_TAN_ENTERED = (byte) 0x20;

    // ---- Certificate roles: first byte of the CHAT discretionary data (tag 53) ---------------
    public static final byte ROLE_MANUFACTURER = (byte) 0x01;
    public static final byte ROLE_PERSO_UNIT = (byte) 0x02;
    public static final byte ROLE_CENTRAL = (byte) 0x04;
    public static final byte ROLE_IDENTITY = (byte) 0x08;
    public static final byte ROLE_MODULE = (byte) 0x10;

    // ---- Tags (BSI TR-03110 / ISO 7816-6 CV certificates, GP SCP11 key agreement) ------------
    public static final short TAG_CV_CERTIFICATE = (short) 0x7F21;
    public static final short TAG_CERTIFICATE_BODY = (short) 0x7F4E;
    public static final short TAG_CPI = (short) 0x5F29;
    public static final short TAG_CAR = (short) 0x0042;
    public static final short TAG_PUBLIC_KEY = (short) 0x7F49;
    public static final short TAG_OID = (short) 0x0006;
    public static final short TAG_EC_POINT = (short) 0x0086;
    public static final short TAG_CHR = (short) 0x5F20;
    public static final short TAG_CHAT = (short) 0x7F4C;
    public static final short TAG_DISCRETIONARY = (short) 0x0053;
    public static final short TAG_EFFECTIVE_DATE = (short) 0x5F25;
    public static final short TAG_EXPIRY_DATE = (short) 0x5F24;
    public static final short TAG_SIGNATURE = (short) 0x5F37;
    /** Ephemeral public key (GP SCP11 tag). */
    public static final short TAG_EPHEMERAL_KEY = (short) 0x5F49;
    /** Receipt (GP SCP11 tag). */
    public static final short TAG_RECEIPT = (short) 0x0086;
    /** Module-supplied nonce (claim 9). */
    public static final short TAG_NONCE = (short) 0x0081;
    /** Variation value for module key generation (claim 10). */
    public static final short TAG_VARIATION = (short) 0x0083;
    /** Forwarded transaction number (claim 13). */
    public static final short TAG_TAN = (short) 0x0084;
    /** Module public key returned in AUTHENTICATE. */
    public static final short TAG_MODULE_KEY = (short) 0x0085;

    /** id-TA-ECDSA-SHA-256 (0.4.0.127.0.7.2.2.2.2.3), BSI TR-03110-3. */
    public static final byte[] OID_TA_ECDSA_SHA_256 = {
            (byte) 0x04, (byte) 0x00, (byte) 0x7F, (byte) 0x00, (byte) 0x07,
            (byte) 0x02, (byte) 0x02, (byte) 0x02, (byte) 0x02, (byte) 0x03};
    /** cardsmith role OID for the CHAT (1.3.6.1.4.1.55555.2.1, private arc, documented in docs/module.md). */
    public static final byte[] OID_CARDSMITH_ROLE = {
            (byte) 0x2B, (byte) 0x06, (byte) 0x01, (byte) 0x04, (byte) 0x01,
            (byte) 0x83, (byte) 0xB2, (byte) 0x03, (byte) 0x02, (byte) 0x01};

    // ---- Sizes ------------------------------------------------------------------------------
    public static final short EC_POINT_LENGTH = P256.POINT_LENGTH;
    public static final short NONCE_LENGTH = 16;
    public static final short VARIATION_LENGTH = 16;
    public static final short KEY_LENGTH = 16;
    public static final short MAC_LENGTH = 16;
    public static final short DATE_LENGTH = 6;
    public static final short MAX_REFERENCE_LENGTH = 16;
    public static final short TAN_MIN_LENGTH = 4;
    public static final short TAN_MAX_LENGTH = 16;
    public static final short MAX_CERT_LENGTH = 320;
    public static final short COUNTER_LENGTH = 4;
    public static final short MAX_TX_PAYLOAD = 192;
    /** The persistent staging buffer of ApduIo: chained or extended-length commands and multi-part responses. */
    public static final short STAGE_LENGTH = 1024;

    // ---- Key derivation: ANSI X9.63 KDF with SHA-256, GP SCP11 shared info ---------------------
    /** Shared info: key usage (C-MAC, R-MAC, C-ENC) 3C, key type AES 88, key length 16. */
    public static final byte KDF_USAGE = (byte) 0x3C;
    public static final byte KDF_KEY_TYPE_AES = (byte) 0x88;
    /** Domain separators for the perso (01) and the central-system (02) key agreement. */
    public static final byte KDF_CONTEXT_PERSO = (byte) 0x01;
    public static final byte KDF_CONTEXT_CENTRAL = (byte) 0x02;

    /** Signature contexts: first byte of every signed transcript, so no signature can be replayed in another role. */
    public static final byte SIG_CONTEXT_IDENTITY = (byte) 0x49; // 'I': module identity answers the perso-unit challenge
    public static final byte SIG_CONTEXT_PERSO = (byte) 0x50;    // 'P': perso unit answers the module challenge
    public static final byte SIG_CONTEXT_CENTRAL = (byte) 0x43;  // 'C': central system confirms the key agreement
    public static final byte SIG_CONTEXT_RELEASE = (byte) 0x45;  // 'E': central system / perso unit releases an operating module
    public static final byte MAC_CONTEXT_TX = (byte) 0x54;       // 'T': transaction command MAC
    public static final byte MAC_CONTEXT_RX = (byte) 0x52;       // 'R': transaction receipt MAC
}
