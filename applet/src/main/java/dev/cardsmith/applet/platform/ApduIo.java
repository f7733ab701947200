package dev.cardsmith.applet.platform;

import javacard.framework.APDU;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.Util;

/**
 * APDU input and output for every applet.
 *
 * <p>In: a command body that fits the APDU buffer (RAM owned by the JCRE, at least 133 bytes,
 * usually 261 or more) is received there. A longer body - an extended-length command (the applet
 * implements javacardx.apdu.ExtendedLength) or an ISO 7816-4 command chain (CLA bit 10) - is
 * streamed into the one persistent staging buffer declared at install, so no transient RAM is
 * spent on it. Only commands whose {@link CommandTable} row has {@link CommandTable#LONG} may be
 * chained or longer than the APDU buffer; others answer 6884 for chaining. Under T=0 a case-2
 * command (P3 = Le) is never "received": {@link #requireNoData} knows.
 *
 * <p>Out: a response longer than Le (or than 256 bytes in a short APDU) goes out Le bytes at a
 * time with 61xx, the rest fetched with GET RESPONSE (ISO 7816-4 5.3.4), answered by
 * {@link #begin} before the applet's dispatch. A response built in the APDU buffer is first
 * copied to the staging buffer; any other command ends a pending response.
 *
 * <p>RAM: 7 transient shorts and one transient reference.
 */
public final class ApduIo {

    /** Returned by {@link #receive} for a chained command that is not the last: answer 9000 and wait. */
    public static final short IN_CHAIN = -1;
    public static final byte INS_GET_RESPONSE = (byte) 0xC0;
    public static final byte CLA_CHAINING = (byte) 0x10;

    /** INS + 0x100 of the chain in progress (0: none). */
    private static final short CHAIN_INS = 0;
    private static final short CHAIN_P1P2 = 1;
    /** Bytes staged so far by the chain, or the staged length of the last command (see IN_STAGING). */
    private static final short STAGED = 2;
    private static final short OUT_OFF = 3;
    private static final short OUT_LEFT = 4;
    private static final short IN_STAGING = 5;
    /** The command received had an extended-length header. */
    private static final short EXTENDED = 6;

    private final byte[] staging;
    private final short[] s;
    private final Object[] out;

    /** @param stagingLength bytes of persistent staging (0: nothing longer than the APDU buffer) */
    public ApduIo(short stagingLength) {
        staging = stagingLength > 0 ? new byte[stagingLength] : null;
        s = JCSystem.makeTransientShortArray((short) 7, JCSystem.CLEAR_ON_DESELECT);
        out = JCSystem.makeTransientObjectArray((short) 1, JCSystem.CLEAR_ON_DESELECT);
    }

    /** The persistent staging buffer (null when none was declared). */
    public byte[] staging() {
        return staging;
    }

    /**
     * First call of every process() after SELECT: answers GET RESPONSE (returns true: nothing
     * else to do), ends a pending response before any other command, and ends a command chain
     * when this command does not continue it (other INS or P1P2).
     */
    public boolean begin(APDU apdu) {
        byte[] buf = apdu.getBuffer();
        byte ins = buf[ISO7816.OFFSET_INS];
        if (ins == INS_GET_RESPONSE && (byte) (buf[ISO7816.OFFSET_CLA] & (byte) 0xFC) == 0) {
            getResponse(apdu);
            return true;
        }
        s[OUT_LEFT] = 0;
        out[0] = null;
        s[IN_STAGING] = 0;
        s[EXTENDED] = 0;
        if (s[CHAIN_INS] != 0
                && (s[CHAIN_INS] != (short) (0x100 | (ins & 0xFF)) || s[CHAIN_P1P2] != Util.getShort(buf, ISO7816.OFFSET_P1))) {
            abort();
        }
        return false;
    }

    /** Ends an inbound chain (after a failure, or when another command interrupts it). */
    public void abort() {
        s[CHAIN_INS] = 0;
        s[CHAIN_P1P2] = 0;
        s[STAGED] = 0;
    }

    /** True when the current command's CLA has the chaining bit (10) set. */
    public static boolean isChained(APDU apdu) {
        byte cla = apdu.getBuffer()[ISO7816.OFFSET_CLA];
        return cla != (byte) 0xFF && (cla & CLA_CHAINING) != 0;
    }

    /**
     * Receives the command data, whole: Lc (or the chain's total) in [min, max], else 6700.
     * Returns its length; the data is at {@link #data}/{@link #dataOffset}. For a chained piece
     * that is not the last, returns {@link #IN_CHAIN} (the piece is staged; answer 9000).
     *
     * @param longAllowed the command's table row has {@link CommandTable#LONG}
     */
    public short receive(APDU apdu, short min, short max, boolean longAllowed) {
        boolean chained = isChained(apdu);
        if ((chained || s[CHAIN_INS] != 0) && (!longAllowed || staging == null)) {
            abort();
            ISOException.throwIt(Sw.CHAINING_NOT_SUPPORTED);
        }
        byte[] buf = apdu.getBuffer();
        short got = apdu.setIncomingAndReceive();
        short lc = apdu.getIncomingLength();
        short cdata = apdu.getOffsetCdata();
        if (cdata != ISO7816.OFFSET_CDATA) s[EXTENDED] = 1;
        if (!chained && s[CHAIN_INS] == 0) {
            if (lc < min || lc > max) ISOException.throwIt(Sw.WRONG_LENGTH);
            if (lc <= room(buf, cdata)) {
                while (got < lc) got += apdu.receiveBytes((short) (cdata + got));
                return lc;
            }
            if (!longAllowed || staging == null || lc > (short) staging.length) ISOException.throwIt(Sw.WRONG_LENGTH);
            stream(apdu, got, lc, (short) 0);
            s[IN_STAGING] = 1;
            return lc;
        }
        short have = s[STAGED];
        short room = (short) ((max < (short) staging.length ? max : (short) staging.length) - have);
        if (lc > room) {
            abort();
            ISOException.throwIt(Sw.WRONG_LENGTH);
        }
        stream(apdu, got, lc, have);
        short total = (short) (have + lc);
        if (chained) {
            s[CHAIN_INS] = (short) (0x100 | (buf[ISO7816.OFFSET_INS] & 0xFF));
            s[CHAIN_P1P2] = Util.getShort(buf, ISO7816.OFFSET_P1);
            s[STAGED] = total;
            return IN_CHAIN;
        }
        abort();
        if (total < min) ISOException.throwIt(Sw.WRONG_LENGTH);
        s[IN_STAGING] = 1;
        return total;
    }

    /**
     * Bytes the APDU buffer holds after the header at cdata. Its length is clamped to 7FFF first:
     * jCardSim's extended-length buffer has 32777 bytes, which (short) (length - cdata) would turn
     * negative (then every extended command not marked LONG would answer 6700).
     */
    private static short room(byte[] buf, short cdata) {
        short len = (short) buf.length;
        if (len < 0) len = Short.MAX_VALUE;
        return (short) (len - cdata);
    }

    /** Copies lc incoming bytes (got of them already in the buffer) to staging[at..]. */
    private void stream(APDU apdu, short got, short lc, short at) {
        byte[] buf = apdu.getBuffer();
        short cdata = apdu.getOffsetCdata();
        short done = 0;
        while (true) {
            Util.arrayCopyNonAtomic(buf, cdata, staging, (short) (at + done), got);
            done += got;
            if (done >= lc) break;
            got = apdu.receiveBytes(cdata);
        }
        if (done != lc) ISOException.throwIt(Sw.WRONG_LENGTH);
    }

    /** Where the data {@link #receive} returned lies: the APDU buffer or the staging buffer. */
    public byte[] data(APDU apdu) {
        return s[IN_STAGING] != 0 ? staging : apdu.getBuffer();
    }

    public short dataOffset(APDU apdu) {
        return s[IN_STAGING] != 0 ? (short) 0 : apdu.getOffsetCdata();
    }

    /**
     * For a case-1/2 command: requires that no data came (6700), except under T=0, where P3 is
     * Le and setIncomingAndReceive (allowed on case 3/4 only) would make the card wait for P3
     * data bytes the terminal never sends. Chaining answers 6884.
     */
    public void requireNoData(APDU apdu) {
        if (isChained(apdu)) ISOException.throwIt(Sw.CHAINING_NOT_SUPPORTED);
        if ((byte) (APDU.getProtocol() & APDU.PROTOCOL_TYPE_MASK) == APDU.PROTOCOL_T0) return;
        if (apdu.setIncomingAndReceive() != 0 || apdu.getIncomingLength() != 0) ISOException.throwIt(Sw.WRONG_LENGTH);
    }

    /**
     * Sends {@code src[off..off+len)}: at most Le bytes now; the rest with 61xx for GET RESPONSE
     * (then the source must stay unchanged until it is fetched; a response in the APDU buffer is
     * copied to staging first, which must be large enough).
     */
    public void send(APDU apdu, byte[] src, short off, short len) {
        byte[] buf = apdu.getBuffer();
        short le = apdu.setOutgoing();
        // Le 00 (short) or 0000 (an extended command with data): as much as the case allows
        if (le <= 0) le = s[EXTENDED] != 0 ? (short) 32767 : (short) 256;
        if (len <= le) {
            apdu.setOutgoingLength(len);
            apdu.sendBytesLong(src, off, len);
            return;
        }
        if (src == buf) {
            if (staging == null || len > (short) staging.length) ISOException.throwIt(Sw.UNEXPECTED);
            Util.arrayCopyNonAtomic(buf, off, staging, (short) 0, len);
            src = staging;
            off = 0;
        }
        apdu.setOutgoingLength(le);
        apdu.sendBytesLong(src, off, le);
        out[0] = src;
        s[OUT_OFF] = (short) (off + le);
        s[OUT_LEFT] = (short) (len - le);
        moreAvailable();
    }

    private void moreAvailable() {
        short left = s[OUT_LEFT];
        ISOException.throwIt((short) (Sw.BYTES_REMAINING | (left > 255 ? 0 : left)));
    }

    private void getResponse(APDU apdu) {
        if (s[OUT_LEFT] == 0 || out[0] == null) ISOException.throwIt(Sw.CONDITIONS_NOT_SATISFIED);
        short le = apdu.setOutgoing();
        if (le <= 0 || le > 256) le = 256;
        short left = s[OUT_LEFT];
        short n = left < le ? left : le;
        apdu.setOutgoingLength(n);
        apdu.sendBytesLong((byte[]) out[0], s[OUT_OFF], n);
        s[OUT_OFF] += n;
        s[OUT_LEFT] = (short) (left - n);
        if (s[OUT_LEFT] != 0) moreAvailable();
        out[0] = null;
    }
}
