package dev.cardsmith.applet.platform;

import javacard.framework.APDUException;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;

/**
 * The one status-word table of every cardsmith applet (docs/conventions.md): ISO/IEC 7816-4
 * values with one meaning each, and the one policy that turns an exception into a status word.
 * An applet names its refusals with these constants; it declares no status word of its own.
 */
public final class Sw {

    private Sw() {}

    public static final short OK = (short) 0x9000;
    /** 61xx: xx more response bytes (00 = 256 or more), fetch them with GET RESPONSE. */
    public static final short BYTES_REMAINING = (short) 0x6100;
    /** 63Cx: a PIN or proof was wrong, x tries are left. */
    public static final short VERIFY_FAILED_TRIES = (short) 0x63C0;
    /** Non-volatile memory write failed. */
    public static final short MEMORY_FAILURE = (short) 0x6581;
    /** Lc or the data length is wrong for this command. */
    public static final short WRONG_LENGTH = (short) 0x6700;
    /** The CLA asks for secure messaging the command does not support. */
    public static final short SECURE_MESSAGING_NOT_SUPPORTED = (short) 0x6882;
    /** Command chaining (CLA bit 10) for a command that does not take it. */
    public static final short CHAINING_NOT_SUPPORTED = (short) 0x6884;
    /** Not authenticated, or a MAC, cryptogram, signature or proof did not verify. */
    public static final short SECURITY_STATUS_NOT_SATISFIED = (short) 0x6982;
    /** The PIN or key is blocked (no tries left). */
    public static final short AUTH_METHOD_BLOCKED = (short) 0x6983;
    /** The referenced data exists but is not usable: expired, superseded (an old backup). */
    public static final short REFERENCE_DATA_NOT_USABLE = (short) 0x6984;
    /** Not in this lifecycle state or not in this sequence; a write-once value is already set. */
    public static final short CONDITIONS_NOT_SATISFIED = (short) 0x6985;
    /** The command is never allowed in this lifecycle state (e.g. personalization after issuance). */
    public static final short COMMAND_NOT_ALLOWED = (short) 0x6986;
    /** Secure-messaging data objects (the MAC of a protected command) are wrong. */
    public static final short SM_DATA_INCORRECT = (short) 0x6988;
    /** Malformed data: TLV structure, field value, a point not on the curve, wrong identity. */
    public static final short WRONG_DATA = (short) 0x6A80;
    /** A function (e.g. an algorithm) this card does not support. */
    public static final short FUNC_NOT_SUPPORTED = (short) 0x6A81;
    /** No room left for the data. */
    public static final short NOT_ENOUGH_MEMORY = (short) 0x6A84;
    /** The data object (file) is not on the card: a PIV GET DATA of an absent object. */
    public static final short FILE_NOT_FOUND = (short) 0x6A82;
    /** P1 or P2 is wrong for this command (never 6B00). */
    public static final short INCORRECT_P1P2 = (short) 0x6A86;
    /** The referenced data (object, key version, certificate) is not present. */
    public static final short REFERENCED_DATA_NOT_FOUND = (short) 0x6A88;
    public static final short INS_NOT_SUPPORTED = (short) 0x6D00;
    public static final short CLA_NOT_SUPPORTED = (short) 0x6E00;
    /**
     * An unexpected runtime exception (NullPointerException, ArrayIndexOutOfBoundsException, a
     * CryptoException no handler expected, a TransactionException...): a bug or a platform
     * fault, never a refusal. 6F = "no precise diagnosis" (ISO 7816-4); 01 tells it apart from
     * 6F00, which the JCRE sends for an exception no applet code caught (and cleaned up after).
     * No legitimate refusal uses it.
     */
    public static final short UNEXPECTED = (short) 0x6F01;

    /**
     * The one exception policy: aborts an open transaction, then answers the status word of an
     * ISOException (a deliberate refusal), 6700 for APDUException.BAD_LENGTH (the terminal's
     * Lc/Le), and {@link #UNEXPECTED} for everything else.
     */
    public static short forException(RuntimeException e) {
        if (JCSystem.getTransactionDepth() != 0) JCSystem.abortTransaction();
        if (e instanceof ISOException) {
            short sw = ((ISOException) e).getReason();
            return sw == (short) 0x6F00 ? UNEXPECTED : sw;
        }
        if (e instanceof APDUException && ((APDUException) e).getReason() == APDUException.BAD_LENGTH) {
            return WRONG_LENGTH;
        }
        return UNEXPECTED;
    }
}
