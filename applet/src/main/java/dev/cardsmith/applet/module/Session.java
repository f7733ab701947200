package dev.cardsmith.applet.module;

import dev.cardsmith.applet.platform.Sw;
import javacard.framework.ISOException;
import javacard.framework.Util;

/**
 * The session in progress (RAM only): which step of the personalization or central-system
 * exchange was reached, and the TAN the identification unit entered for the next
 * personalization. A failed step ends the session (ModuleApplet.process).
 */
final class Session {

    private final Transients t;
    private final Crypto crypto;

    Session(Transients t, Crypto crypto) {
        this.t = t;
        this.crypto = crypto;
    }

    /** Requires the session to stand at {@code step}: else 6985 (a protocol step is missing). */
    void require(short step) {
        if (t.vars[Transients.V_SESSION] != step) ISOException.throwIt(Sw.CONDITIONS_NOT_SATISFIED);
    }

    void reached(short step) {
        t.vars[Transients.V_SESSION] = step;
    }

    /** Ends the session: keys, nonce, transcripts wiped; the entered TAN waits for the next PERSO AUTHENTICATE. */
    void end() {
        t.vars[Transients.V_SESSION] = Transients.SESSION_NONE;
        crypto.clearSessionKeys();
        Util.arrayFillNonAtomic(t.ram, (short) 0, Transients.TAN, (byte) 0);
        Util.arrayFillNonAtomic(t.ram, Transients.RECEIPT, (short) (Transients.RAM_LENGTH - Transients.RECEIPT), (byte) 0);
    }

    short tanLength() {
        return t.vars[Transients.V_TAN_LEN];
    }

    void setTan(byte[] in, short off, short len) {
        Util.arrayCopyNonAtomic(in, off, t.ram, Transients.TAN, len);
        t.vars[Transients.V_TAN_LEN] = len;
    }

    void clearTan() {
        Util.arrayFillNonAtomic(t.ram, Transients.TAN, Constants.TAN_MAX_LENGTH, (byte) 0);
        t.vars[Transients.V_TAN_LEN] = 0;
    }
}
