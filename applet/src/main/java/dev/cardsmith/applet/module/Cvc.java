package dev.cardsmith.applet.module;

import javacard.framework.ISOException;
import javacard.framework.Util;
import javacard.security.ECPublicKey;

/**
 * Strict, bounds-checked parser and verifier for the card-verifiable certificates of
 * docs/module.md (BSI TR-03110-3 profile: CPI, CAR, public key, CHR, CHAT, dates, signature,
 * in that order). Offsets of the parsed fields go to {@link Transients#vars}; nothing is copied.
 */
final class Cvc {

    private final Transients t;
    private final Crypto crypto;

    Cvc(Transients t, Crypto crypto) {
        this.t = t;
        this.crypto = crypto;
    }

    /**
     * Reads the TLV at buf[off] (end = parent end), checks its tag, stores the value length in
     * V_TLV_LEN and returns the value offset. Tags of one or two bytes, lengths up to 82xxxx.
     */
    short expect(byte[] buf, short off, short end, short tag) {
        if (off >= end) ISOException.throwIt(Constants.SW_WRONG_DATA);
        short got = (short) (buf[off++] & 0xFF);
        if ((got & 0x1F) == 0x1F) {
            if (off >= end) ISOException.throwIt(Constants.SW_WRONG_DATA);
            got = (short) ((got << 8) | (buf[off++] & 0xFF));
        }
        if (got != tag || off >= end) ISOException.throwIt(Constants.SW_WRONG_DATA);
        short len = (short) (buf[off++] & 0xFF);
        if (len == 0x81) {
            if (off >= end) ISOException.throwIt(Constants.SW_WRONG_DATA);
            len = (short) (buf[off++] & 0xFF);
        } else if (len == 0x82) {
            if ((short) (off + 1) >= end) ISOException.throwIt(Constants.SW_WRONG_DATA);
            len = Util.getShort(buf, off);
            off += 2;
            if (len < 0) ISOException.throwIt(Constants.SW_WRONG_DATA);
        } else if (len > 0x7F) {
            ISOException.throwIt(Constants.SW_WRONG_DATA);
        }
        if (len > (short) (end - off)) ISOException.throwIt(Constants.SW_WRONG_DATA);
        t.vars[Transients.V_TLV_LEN] = len;
        return off;
    }

    short tlvLength() {
        return t.vars[Transients.V_TLV_LEN];
    }

    /**
     * Parses the certificate at buf[off..end) and checks its role. Returns the offset after it.
     * Does not verify the signature; call {@link #verify} next.
     */
    short parse(byte[] buf, short off, short end, byte role) {
        short[] v = t.vars;
        v[Transients.CV_START] = off;
        short o = expect(buf, off, end, Constants.TAG_CV_CERTIFICATE);
        short certEnd = (short) (o + tlvLength());
        v[Transients.CV_BODY_OFF] = o;
        short b = expect(buf, o, certEnd, Constants.TAG_CERTIFICATE_BODY);
        short bodyEnd = (short) (b + tlvLength());
        v[Transients.CV_BODY_LEN] = (short) (bodyEnd - o);

        b = expect(buf, b, bodyEnd, Constants.TAG_CPI);
        if (tlvLength() != 1 || buf[b] != 0) ISOException.throwIt(Constants.SW_WRONG_DATA);
        b++;
        b = expect(buf, b, bodyEnd, Constants.TAG_CAR);
        checkReferenceLength();
        v[Transients.CV_CAR_OFF] = b;
        v[Transients.CV_CAR_LEN] = tlvLength();
        b += tlvLength();

        short k = expect(buf, b, bodyEnd, Constants.TAG_PUBLIC_KEY);
        short keyEnd = (short) (k + tlvLength());
        k = expect(buf, k, keyEnd, Constants.TAG_OID);
        if (tlvLength() != (short) Constants.OID_TA_ECDSA_SHA_256.length
                || Util.arrayCompare(buf, k, Constants.OID_TA_ECDSA_SHA_256, (short) 0, tlvLength()) != 0) {
            ISOException.throwIt(Constants.SW_WRONG_DATA);
        }
        k += tlvLength();
        k = expect(buf, k, keyEnd, Constants.TAG_EC_POINT);
        if (tlvLength() != Constants.EC_POINT_LENGTH || buf[k] != 0x04) ISOException.throwIt(Constants.SW_WRONG_DATA);
        v[Transients.CV_KEY_OFF] = k;
        if ((short) (k + Constants.EC_POINT_LENGTH) != keyEnd) ISOException.throwIt(Constants.SW_WRONG_DATA);
        b = keyEnd;

        b = expect(buf, b, bodyEnd, Constants.TAG_CHR);
        checkReferenceLength();
        v[Transients.CV_CHR_OFF] = b;
        v[Transients.CV_CHR_LEN] = tlvLength();
        b += tlvLength();

        short c = expect(buf, b, bodyEnd, Constants.TAG_CHAT);
        short chatEnd = (short) (c + tlvLength());
        c = expect(buf, c, chatEnd, Constants.TAG_OID);
        if (tlvLength() != (short) Constants.OID_CARDSMITH_ROLE.length
                || Util.arrayCompare(buf, c, Constants.OID_CARDSMITH_ROLE, (short) 0, tlvLength()) != 0) {
            ISOException.throwIt(Constants.SW_WRONG_DATA);
        }
        c += tlvLength();
        c = expect(buf, c, chatEnd, Constants.TAG_DISCRETIONARY);
        short dLen = tlvLength();
        if (dLen != 1 && dLen != (short) (1 + Constants.NONCE_LENGTH)) ISOException.throwIt(Constants.SW_WRONG_DATA);
        if (buf[c] != role) ISOException.throwIt(Constants.SW_WRONG_DATA);
        v[Transients.CV_ROLE] = buf[c];
        v[Transients.CV_NONCE_OFF] = dLen == 1 ? (short) -1 : (short) (c + 1);
        if ((short) (c + dLen) != chatEnd) ISOException.throwIt(Constants.SW_WRONG_DATA);
        b = chatEnd;

        b = expect(buf, b, bodyEnd, Constants.TAG_EFFECTIVE_DATE);
        checkDate(buf, b);
        v[Transients.CV_EFF_OFF] = b;
        b += Constants.DATE_LENGTH;
        b = expect(buf, b, bodyEnd, Constants.TAG_EXPIRY_DATE);
        checkDate(buf, b);
        v[Transients.CV_EXP_OFF] = b;
        b += Constants.DATE_LENGTH;
        if (b != bodyEnd) ISOException.throwIt(Constants.SW_WRONG_DATA);
        if (Util.arrayCompare(buf, v[Transients.CV_EFF_OFF], buf, v[Transients.CV_EXP_OFF], Constants.DATE_LENGTH) > 0) {
            ISOException.throwIt(Constants.SW_WRONG_DATA);
        }

        short s = expect(buf, bodyEnd, certEnd, Constants.TAG_SIGNATURE);
        if (tlvLength() != 64 || (short) (s + 64) != certEnd) ISOException.throwIt(Constants.SW_WRONG_DATA);
        v[Transients.CV_SIG_OFF] = s;
        v[Transients.CV_END] = certEnd;
        v[Transients.CV_CERT_LEN] = (short) (certEnd - off);
        return certEnd;
    }

    private void checkReferenceLength() {
        if (tlvLength() < 1 || tlvLength() > Constants.MAX_REFERENCE_LENGTH) ISOException.throwIt(Constants.SW_WRONG_DATA);
    }

    /** Dates are six unpacked BCD digits YYMMDD (TR-03110 A.6.2.3). */
    private static void checkDate(byte[] buf, short off) {
        for (short i = 0; i < Constants.DATE_LENGTH; i++) {
            byte d = buf[(short) (off + i)];
            if (d < 0 || d > 9) ISOException.throwIt(Constants.SW_WRONG_DATA);
        }
    }

    /** The certificate's CAR must equal the reference at ref[refOff..refOff+refLen) (chain order, claim 7). */
    void checkIssuer(byte[] buf, byte[] ref, short refOff, short refLen) {
        short[] v = t.vars;
        if (v[Transients.CV_CAR_LEN] != refLen
                || Util.arrayCompare(buf, v[Transients.CV_CAR_OFF], ref, refOff, refLen) != 0) {
            ISOException.throwIt(Constants.SW_REFERENCE_MISMATCH);
        }
    }

    /** Verifies the parsed certificate's signature (r||s over the encoded body) with {@code issuerKey}. */
    void verify(byte[] buf, ECPublicKey issuerKey) {
        short[] v = t.vars;
        short derLen = Crypto.plainToDer(buf, v[Transients.CV_SIG_OFF], t.ram, Transients.DER);
        crypto.ecdsa.init(issuerKey, javacard.security.Signature.MODE_VERIFY);
        if (!crypto.ecdsa.verify(buf, v[Transients.CV_BODY_OFF], v[Transients.CV_BODY_LEN], t.ram, Transients.DER, derLen)) {
            ISOException.throwIt(Constants.SW_VERIFICATION_FAILED);
        }
    }

    /** Rejects a certificate whose expiry date lies before the module's certificate date. */
    void checkNotExpired(byte[] buf, byte[] today) {
        if (Util.arrayCompare(buf, t.vars[Transients.CV_EXP_OFF], today, (short) 0, Constants.DATE_LENGTH) < 0) {
            ISOException.throwIt(Constants.SW_CERT_EXPIRED);
        }
    }

    /** Advances the module's certificate date to this certificate's effective date if later (TR-03110 A.6.2.3). */
    void advanceDate(byte[] buf, byte[] today) {
        short eff = t.vars[Transients.CV_EFF_OFF];
        if (Util.arrayCompare(buf, eff, today, (short) 0, Constants.DATE_LENGTH) > 0) {
            Util.arrayCopy(buf, eff, today, (short) 0, Constants.DATE_LENGTH);
        }
    }

    /** True when the certified public key equals the point at pt[off]. */
    boolean keyEquals(byte[] buf, byte[] pt, short off) {
        return Util.arrayCompare(buf, t.vars[Transients.CV_KEY_OFF], pt, off, Constants.EC_POINT_LENGTH) == 0;
    }
}
