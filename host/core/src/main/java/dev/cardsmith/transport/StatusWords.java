package dev.cardsmith.transport;

import java.util.Map;

/** ISO 7816-4 status words as the host names them. */
public final class StatusWords {
    public static final int SW_OK = 0x9000;
    public static final int SW_WRONG_LENGTH = 0x6700;
    public static final int SW_SECURITY_STATUS_NOT_SATISFIED = 0x6982;
    public static final int SW_AUTH_METHOD_BLOCKED = 0x6983;
    public static final int SW_DATA_INVALID = 0x6984;
    public static final int SW_CONDITIONS_NOT_SATISFIED = 0x6985;
    public static final int SW_COMMAND_NOT_ALLOWED = 0x6986;
    public static final int SW_WRONG_DATA = 0x6A80;
    public static final int SW_FUNC_NOT_SUPPORTED = 0x6A81;
    public static final int SW_FILE_NOT_FOUND = 0x6A82;
    public static final int SW_RECORD_NOT_FOUND = 0x6A83;
    public static final int SW_FILE_FULL = 0x6A84;
    public static final int SW_INCORRECT_P1P2 = 0x6A86;
    public static final int SW_REFERENCED_DATA_NOT_FOUND = 0x6A88;
    public static final int SW_WRONG_P1P2 = 0x6B00;
    public static final int SW_INS_NOT_SUPPORTED = 0x6D00;
    public static final int SW_CLA_NOT_SUPPORTED = 0x6E00;
    public static final int SW_UNKNOWN = 0x6F00;

    private static final Map<Integer, String> NAMES = Map.ofEntries(
            Map.entry(SW_OK, "success"),
            Map.entry(0x6281, "part of returned data may be corrupted"),
            Map.entry(0x6581, "memory failure"),
            Map.entry(SW_WRONG_LENGTH, "wrong length"),
            Map.entry(0x6882, "secure messaging not supported"),
            Map.entry(0x6883, "last command of the chain expected"),
            Map.entry(0x6884, "command chaining not supported"),
            Map.entry(SW_SECURITY_STATUS_NOT_SATISFIED, "security status not satisfied"),
            Map.entry(SW_AUTH_METHOD_BLOCKED, "authentication method blocked"),
            Map.entry(SW_DATA_INVALID, "reference data not usable"),
            Map.entry(SW_CONDITIONS_NOT_SATISFIED, "conditions of use not satisfied"),
            Map.entry(SW_COMMAND_NOT_ALLOWED, "command not allowed"),
            Map.entry(0x6987, "expected secure messaging data objects missing"),
            Map.entry(0x6988, "incorrect secure messaging data objects"),
            Map.entry(SW_WRONG_DATA, "incorrect parameters in the data field"),
            Map.entry(SW_FUNC_NOT_SUPPORTED, "function not supported"),
            Map.entry(SW_FILE_NOT_FOUND, "file or application not found"),
            Map.entry(SW_RECORD_NOT_FOUND, "record not found"),
            Map.entry(SW_FILE_FULL, "not enough memory space"),
            Map.entry(SW_INCORRECT_P1P2, "incorrect parameters P1-P2"),
            Map.entry(SW_REFERENCED_DATA_NOT_FOUND, "referenced data not found"),
            Map.entry(SW_WRONG_P1P2, "wrong parameters P1-P2"),
            Map.entry(SW_INS_NOT_SUPPORTED, "instruction not supported"),
            Map.entry(SW_CLA_NOT_SUPPORTED, "class not supported"),
            Map.entry(SW_UNKNOWN, "no precise diagnosis"));

    private StatusWords() {}

    public static String describe(int sw) {
        String name = NAMES.get(sw);
        if (name == null && (sw & 0xFFF0) == 0x63C0) name = "verification failed, " + (sw & 0x0F) + " tries left";
        if (name == null && (sw & 0xFF00) == 0x6100) name = (sw & 0xFF) + " response bytes available";
        return String.format("SW %04X", sw) + (name == null ? "" : " (" + name + ")");
    }
}
