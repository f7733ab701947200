package dev.cardsmith.applet.platform;

import javacard.framework.ISOException;

/**
 * The lifecycle dispatch table: which instruction each lifecycle state allows. process()
 * consults it before any handler runs, so the state x command matrix lives in one array per
 * applet (documented beside it) instead of in every handler.
 *
 * <p>The table is a byte array of {@link #ENTRY}-byte rows: INS, allowed-state mask (bit s set =
 * allowed in state s, states 0..7; {@link #ANY_STATE} for all), flags ({@link #REFUSE_NOT_ALLOWED}
 * answers 6986 instead of 6985 in a state the row excludes; {@link #LONG} accepts command chaining
 * and extended length through {@link ApduIo}).
 */
public final class CommandTable {

    public static final short ENTRY = 3;
    public static final byte ANY_STATE = (byte) 0xFF;
    /** Disallowed state answers 6986 (never allowed there) instead of 6985 (not now). */
    public static final byte REFUSE_NOT_ALLOWED = (byte) 0x01;
    /** The command may be chained (CLA bit 10) or extended; otherwise {@link ApduIo} refuses both. */
    public static final byte LONG = (byte) 0x02;

    private final byte[] rows;

    public CommandTable(byte[] rows) {
        this.rows = rows;
    }

    /** The state-mask bit of lifecycle state {@code state} (0..7). */
    public static byte bit(byte state) {
        return (byte) (1 << state);
    }

    /**
     * Checks {@code ins} against the table for lifecycle state {@code state} (0..7): 6D00 if the
     * table has no row for it, 6985 or 6986 (per the row) if the state is not allowed. Returns
     * the row's flags.
     */
    public byte check(byte ins, byte state) {
        short n = (short) rows.length;
        for (short i = 0; i < n; i = (short) (i + ENTRY)) {
            if (rows[i] != ins) continue;
            if (state < 0 || state > 7 || (rows[(short) (i + 1)] & bit(state)) == 0) {
                ISOException.throwIt((rows[(short) (i + 2)] & REFUSE_NOT_ALLOWED) != 0
                        ? Sw.COMMAND_NOT_ALLOWED : Sw.CONDITIONS_NOT_SATISFIED);
            }
            return rows[(short) (i + 2)];
        }
        ISOException.throwIt(Sw.INS_NOT_SUPPORTED);
        return 0;
    }
}
