package dev.cardsmith.applet.piv;

import dev.cardsmith.applet.platform.ApduIo;
import dev.cardsmith.applet.platform.Sw;
import javacard.framework.APDU;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.OwnerPIN;
import javacard.framework.Util;

/**
 * The PIV Card Application PIN (key reference 80) and PUK (81): VERIFY, CHANGE REFERENCE DATA,
 * RESET RETRY COUNTER (SP 800-73-4 Part 2, 3.2.1-3.2.3), and the per-slot PIN policy the key
 * operations ask for: 9A and 9D once per session, 9C immediately before each use ("PIN always":
 * a successful VERIFY arms one use, any other command disarms it), 9E never.
 *
 * <p>Both are 8 bytes of reference data: a PIN is 6 to 8 ASCII digits padded with FF, a PUK any 8
 * bytes. While the PIN is the well-known default (123456), no private-key operation runs
 * ({@link #requireForSlot} answers 6985): a card is usable only after its holder changed the PIN
 * (docs/piv-card-edge.md, "Initialisation").
 */
final class Pins {

    static final byte[] DEFAULT_PIN = {'1', '2', '3', '4', '5', '6', Constants.PAD, Constants.PAD};
    static final byte[] DEFAULT_PUK = {'1', '2', '3', '4', '5', '6', '7', '8'};

    /** Transient flags. */
    private static final short ARMED = 0;

    final OwnerPIN pin;
    final OwnerPIN puk;
    /** The PIN equals {@link #DEFAULT_PIN}: private-key operations are refused. */
    boolean pinDefault;
    boolean pukDefault;
    private final boolean[] flags;

    /** @param ref 16 bytes PIN || PUK, or null for the defaults */
    Pins(byte[] ref, short off) {
        pin = new OwnerPIN(Constants.PIN_TRY_LIMIT, Constants.PIN_LENGTH);
        puk = new OwnerPIN(Constants.PUK_TRY_LIMIT, Constants.PIN_LENGTH);
        flags = JCSystem.makeTransientBooleanArray((short) 1, JCSystem.CLEAR_ON_DESELECT);
        if (ref == null) {
            ref = DEFAULT_PIN;
            off = 0;
            puk.update(DEFAULT_PUK, (short) 0, Constants.PIN_LENGTH);
            pukDefault = true;
        } else {
            if (!pinFormatOk(ref, off)) ISOException.throwIt(Sw.WRONG_DATA);
            short pukOff = (short) (off + Constants.PIN_LENGTH);
            puk.update(ref, pukOff, Constants.PIN_LENGTH);
            pukDefault = Util.arrayCompare(ref, pukOff, DEFAULT_PUK, (short) 0, Constants.PIN_LENGTH) == 0;
        }
        pin.update(ref, off, Constants.PIN_LENGTH);
        pinDefault = isDefaultPin(ref, off);
    }

    static boolean isDefaultPin(byte[] b, short off) {
        return Util.arrayCompare(b, off, DEFAULT_PIN, (short) 0, Constants.PIN_LENGTH) == 0;
    }

    /** 6 to 8 ASCII digits, then FF up to 8 bytes (SP 800-73-4 Part 2, 2.4.3). */
    static boolean pinFormatOk(byte[] b, short off) {
        short digits = 0;
        while (digits < Constants.PIN_LENGTH && b[(short) (off + digits)] >= '0' && b[(short) (off + digits)] <= '9') digits++;
        if (digits < Constants.PIN_MIN_DIGITS) return false;
        for (short i = digits; i < Constants.PIN_LENGTH; i++) {
            if (b[(short) (off + i)] != Constants.PAD) return false;
        }
        return true;
    }

    /** Security status of the PIN and the "PIN always" arming dropped (VERIFY P1=FF, deselect). */
    void release() {
        pin.reset();
        puk.reset();
        flags[ARMED] = false;
    }

    /** Any command other than VERIFY and GENERAL AUTHENTICATE disarms "PIN always". */
    void disarm() {
        flags[ARMED] = false;
    }

    /**
     * The PIN policy of a slot: 9E none; 9A, 9D the PIN verified in this session; 9C a VERIFY
     * right before (consumed here). Then the initialisation rule: no private-key operation while
     * the PIN is the default one.
     */
    void requireForSlot(byte slot) {
        if (slot != Constants.SLOT_9E) {
            if (pin.getTriesRemaining() == 0) ISOException.throwIt(Sw.AUTH_METHOD_BLOCKED);
            if (!pin.isValidated()) ISOException.throwIt(Sw.SECURITY_STATUS_NOT_SATISFIED);
            if (slot == Constants.SLOT_9C) {
                boolean armed = flags[ARMED];
                flags[ARMED] = false;
                if (!armed) ISOException.throwIt(Sw.SECURITY_STATUS_NOT_SATISFIED);
            }
        }
        if (pinDefault) ISOException.throwIt(Sw.CONDITIONS_NOT_SATISFIED);
    }

    private static void failed(OwnerPIN p) {
        byte left = p.getTriesRemaining();
        if (left == 0) ISOException.throwIt(Sw.AUTH_METHOD_BLOCKED);
        ISOException.throwIt((short) (Sw.VERIFY_FAILED_TRIES | left));
    }

    /** P2 80 is the PIN; the PUK (81) and the global PIN (00) are not verified here: 6A88. */
    private static void requirePinReference(byte p2) {
        if (p2 == Constants.KEY_PUK || p2 == Constants.KEY_GLOBAL_PIN) ISOException.throwIt(Sw.REFERENCED_DATA_NOT_FOUND);
        if (p2 != Constants.KEY_PIN) ISOException.throwIt(Sw.INCORRECT_P1P2);
    }

    /**
     * VERIFY: P1 00 with 8 bytes checks the PIN (63Cx, 6983); with no data reports the status
     * (9000 verified, 63Cx not); P1 FF without data resets the security status (9000).
     */
    void verify(APDU apdu, ApduIo io) {
        byte[] buf = apdu.getBuffer();
        byte p1 = buf[ISO7816.OFFSET_P1];
        byte p2 = buf[ISO7816.OFFSET_P2];
        if (p1 == Constants.P1_VERIFY_RESET) {
            if (p2 != Constants.KEY_PIN) ISOException.throwIt(Sw.INCORRECT_P1P2);
            io.requireNoData(apdu);
            release();
            return;
        }
        if (p1 != 0) ISOException.throwIt(Sw.INCORRECT_P1P2);
        requirePinReference(p2);
        short len = io.receive(apdu, (short) 0, Constants.PIN_LENGTH, false);
        if (len == 0) {
            if (pin.isValidated()) return;
            failed(pin);
        }
        if (len != Constants.PIN_LENGTH) ISOException.throwIt(Sw.WRONG_DATA);
        if (pin.getTriesRemaining() == 0) ISOException.throwIt(Sw.AUTH_METHOD_BLOCKED);
        if (!pin.check(buf, apdu.getOffsetCdata(), Constants.PIN_LENGTH)) {
            flags[ARMED] = false;
            failed(pin);
        }
        flags[ARMED] = true;
    }

    /** Receives old || new (16 bytes); returns the data offset. */
    private static short receivePair(APDU apdu, ApduIo io) {
        short len = io.receive(apdu, (short) 0, (short) (2 * Constants.PIN_LENGTH), false);
        if (len != (short) (2 * Constants.PIN_LENGTH)) ISOException.throwIt(Sw.WRONG_DATA);
        return apdu.getOffsetCdata();
    }

    /** CHANGE REFERENCE DATA, P2 80 (PIN) or 81 (PUK): data = current (8) || new (8). */
    void change(APDU apdu, ApduIo io) {
        byte[] buf = apdu.getBuffer();
        byte p2 = buf[ISO7816.OFFSET_P2];
        if (buf[ISO7816.OFFSET_P1] != 0 || (p2 != Constants.KEY_PIN && p2 != Constants.KEY_PUK)) {
            ISOException.throwIt(Sw.INCORRECT_P1P2);
        }
        boolean isPin = p2 == Constants.KEY_PIN;
        OwnerPIN ref = isPin ? pin : puk;
        short off = receivePair(apdu, io);
        short newOff = (short) (off + Constants.PIN_LENGTH);
        if (isPin && !pinFormatOk(buf, off)) ISOException.throwIt(Sw.WRONG_DATA);
        if (isPin && !pinFormatOk(buf, newOff)) ISOException.throwIt(Sw.WRONG_DATA);
        if (ref.getTriesRemaining() == 0) ISOException.throwIt(Sw.AUTH_METHOD_BLOCKED);
        if (!ref.check(buf, off, Constants.PIN_LENGTH)) failed(ref);
        JCSystem.beginTransaction();
        ref.update(buf, newOff, Constants.PIN_LENGTH);
        if (isPin) {
            pinDefault = isDefaultPin(buf, newOff);
        } else {
            pukDefault = Util.arrayCompare(buf, newOff, DEFAULT_PUK, (short) 0, Constants.PIN_LENGTH) == 0;
        }
        JCSystem.commitTransaction();
        ref.reset();
        flags[ARMED] = false;
    }

    /** RESET RETRY COUNTER, P2 80: data = PUK (8) || new PIN (8); unblocks the PIN. */
    void resetRetryCounter(APDU apdu, ApduIo io) {
        byte[] buf = apdu.getBuffer();
        if (buf[ISO7816.OFFSET_P1] != 0) ISOException.throwIt(Sw.INCORRECT_P1P2);
        requirePinReference(buf[ISO7816.OFFSET_P2]);
        short off = receivePair(apdu, io);
        short newOff = (short) (off + Constants.PIN_LENGTH);
        if (!pinFormatOk(buf, newOff)) ISOException.throwIt(Sw.WRONG_DATA);
        if (puk.getTriesRemaining() == 0) ISOException.throwIt(Sw.AUTH_METHOD_BLOCKED);
        if (!puk.check(buf, off, Constants.PIN_LENGTH)) failed(puk);
        JCSystem.beginTransaction();
        pin.update(buf, newOff, Constants.PIN_LENGTH);
        pinDefault = isDefaultPin(buf, newOff);
        JCSystem.commitTransaction();
        puk.reset();
        pin.reset();
        flags[ARMED] = false;
    }
}
