package dev.cardsmith.transport;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

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

    /** 6F01: the platform layer's "unexpected exception" (a card bug or platform fault, never a refusal). */
    public static final int SW_UNEXPECTED = 0x6F01;

    /**
     * The status words of the cardsmith applets, with their meaning in docs/conventions.md
     * ("Status words"); 61xx and 63Cx are in {@link #text}. StatusWordsTest keeps this table equal
     * to the applets' {@code dev.cardsmith.applet.platform.Sw} and to the docs' table.
     */
    private static final Map<Integer, String> CARDSMITH = Map.ofEntries(
            Map.entry(SW_OK, "success"),
            Map.entry(0x6581, "memory failure"),
            Map.entry(SW_WRONG_LENGTH, "wrong length"),
            Map.entry(0x6882, "secure messaging not supported"),
            Map.entry(0x6884, "command chaining not supported"),
            Map.entry(SW_SECURITY_STATUS_NOT_SATISFIED, "security status not satisfied"),
            Map.entry(SW_AUTH_METHOD_BLOCKED, "authentication method blocked"),
            Map.entry(SW_DATA_INVALID, "reference data not usable"),
            Map.entry(SW_CONDITIONS_NOT_SATISFIED, "conditions of use not satisfied"),
            Map.entry(SW_COMMAND_NOT_ALLOWED, "command not allowed"),
            Map.entry(0x6988, "incorrect secure messaging data objects"),
            Map.entry(SW_WRONG_DATA, "incorrect parameters in the data field"),
            Map.entry(SW_FUNC_NOT_SUPPORTED, "function not supported"),
            Map.entry(SW_FILE_NOT_FOUND, "file, application or data object not found"),
            Map.entry(SW_FILE_FULL, "not enough memory space"),
            Map.entry(SW_INCORRECT_P1P2, "incorrect parameters P1-P2"),
            Map.entry(SW_REFERENCED_DATA_NOT_FOUND, "referenced data not found"),
            Map.entry(SW_INS_NOT_SUPPORTED, "instruction not supported"),
            Map.entry(SW_CLA_NOT_SUPPORTED, "class not supported"),
            Map.entry(SW_UNEXPECTED, "unexpected exception on the card: a card bug, not a refusal"));

    /**
     * ISO 7816-4 status words no cardsmith applet answers, which the JCRE, a card manager or
     * another card's applet may (6F00: an exception no applet code caught).
     */
    private static final Map<Integer, String> OTHER = Map.ofEntries(
            Map.entry(0x6281, "part of returned data may be corrupted"),
            Map.entry(0x6883, "last command of the chain expected"),
            Map.entry(0x6987, "expected secure messaging data objects missing"),
            Map.entry(SW_RECORD_NOT_FOUND, "record not found"),
            Map.entry(SW_WRONG_P1P2, "wrong parameters P1-P2"),
            Map.entry(SW_UNKNOWN, "no precise diagnosis"));

    private StatusWords() {}

    /** The meaning of a status word, or null when the host knows none. */
    public static String text(int sw) {
        String name = CARDSMITH.get(sw);
        if (name == null) name = OTHER.get(sw);
        if (name == null && (sw & 0xFFF0) == 0x63C0) name = "verification failed, " + (sw & 0x0F) + " tries left";
        if (name == null && (sw & 0xFF00) == 0x6100) {
            name = ((sw & 0xFF) == 0 ? "256 or more" : String.valueOf(sw & 0xFF)) + " response bytes available";
        }
        return name;
    }

    /** The cardsmith table's status words; 61xx and 63Cx as 6100 and 63C0 (for StatusWordsTest). */
    static Set<Integer> cardsmithTable() {
        Set<Integer> all = new TreeSet<>(CARDSMITH.keySet());
        all.add(0x6100);
        all.add(0x63C0);
        return all;
    }

    public static String describe(int sw) {
        String name = text(sw);
        return String.format("SW %04X", sw) + (name == null ? "" : " (" + name + ")");
    }
}
