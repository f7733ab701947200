package uicc.toolkit;

/**
 * Constants of the toolkit API (TS 102 241 annex; tag, device and command values from ETSI
 * TS 102 223 clauses 8, 9 and annex C, TS 101 220 for the tag space). Only the values cardsmith uses.
 */
public interface ToolkitConstants {

    // ---- events (TS 102 241 clause 6.2)
    /** TERMINAL PROFILE received. */
    short EVENT_PROFILE_DOWNLOAD = (short) 1;

    // ---- findTLV results
    byte TLV_NOT_FOUND = (byte) 0;
    byte TLV_FOUND_CR_SET = (byte) 1;
    byte TLV_FOUND_CR_NOT_SET = (byte) 2;

    // ---- BER-TLV tags (TS 101 220 7.2, TS 102 223 9.1)
    byte BTAG_PROACTIVE_COMMAND = (byte) 0xD0;
    byte BTAG_SMS_PP_DOWNLOAD = (byte) 0xD1;

    // ---- COMPREHENSION-TLV tags (TS 102 223 9.3)
    byte TAG_SET_CR = (byte) 0x80;
    byte TAG_COMMAND_DETAILS = (byte) 0x01;
    byte TAG_DEVICE_IDENTITIES = (byte) 0x02;
    byte TAG_RESULT = (byte) 0x03;
    byte TAG_ADDRESS = (byte) 0x06;
    byte TAG_SMS_TPDU = (byte) 0x0B;
    byte TAG_IMEI = (byte) 0x14;

    // ---- device identities (TS 102 223 8.7)
    byte DEV_ID_UICC = (byte) 0x81;
    byte DEV_ID_TERMINAL = (byte) 0x82;
    byte DEV_ID_NETWORK = (byte) 0x83;

    // ---- proactive command types (TS 102 223 9.4)
    byte PRO_CMD_SEND_SHORT_MESSAGE = (byte) 0x13;
    byte PRO_CMD_PROVIDE_LOCAL_INFORMATION = (byte) 0x26;

    // ---- general results (TS 102 223 8.12)
    byte RES_CMD_PERF = (byte) 0x00;
    byte RES_TEMP_PB_IN_ME = (byte) 0x20;
    byte RES_ERROR_CMD_BEYOND_ME_CAPAB = (byte) 0x30;
}
