package dev.cardsmith.applet.module;

import dev.cardsmith.applet.platform.Sw;
import dev.cardsmith.applet.platform.Tlv;
import javacard.framework.ISOException;
import javacard.framework.Util;
import javacard.security.ECPublicKey;

/**
 * Parser and verifier for the card-verifiable certificates of docs/module.md (BSI TR-03110-3
 * profile: CPI, CAR, public key, CHR, CHAT, dates, signature, in that order), read with the
 * layer's strict nested {@link Tlv} reader: every TLV must end inside its parent and every
 * constructed TLV must be consumed exactly (6A80 otherwise). Offsets of the parsed fields go to
 * {@link Transients#vars}; nothing is copied.
 */
final class Cvc {

    /** Largest TLV value length: containers and signatures are bounded by their parent (the reader checks it). */
    static final short ANY_LENGTH = (short) 0x7FFF;

    private final Transients t;
    private final Crypto crypto;
    private final Tlv tlv;

    Cvc(Transients t, Crypto crypto, Tlv tlv) {
        this.t = t;
        this.crypto = crypto;
        this.tlv = tlv;
    }

    /**
     * Reads the next TLV of the running {@link Tlv} reader, over {@code buf}, as a certificate
     * and checks its role. Afterwards the reader stands after the certificate. Does not verify
     * the signature; call {@link #verify} next.
     */
    void parse(byte[] buf, byte role) {
        short[] v = t.vars;
        short start = tlv.position();
        tlv.expect(Constants.TAG_CV_CERTIFICATE, (short) 0, ANY_LENGTH);
        tlv.enter();
        short bodyOff = tlv.position();
        v[Transients.CV_BODY_OFF] = bodyOff;
        tlv.expect(Constants.TAG_CERTIFICATE_BODY, (short) 0, ANY_LENGTH);
        v[Transients.CV_BODY_LEN] = (short) (tlv.valueOffset() + tlv.length() - bodyOff);
        tlv.enter();

        short o = value(Constants.TAG_CPI, (short) 1, (short) 1);
        if (buf[o] != 0) ISOException.throwIt(Sw.WRONG_DATA);
        v[Transients.CV_CAR_OFF] = value(Constants.TAG_CAR, (short) 1, Constants.MAX_REFERENCE_LENGTH);
        v[Transients.CV_CAR_LEN] = tlv.length();

        tlv.expect(Constants.TAG_PUBLIC_KEY, (short) 0, ANY_LENGTH);
        tlv.enter();
        expectValue(buf, Constants.TAG_OID, Constants.OID_TA_ECDSA_SHA_256);
        o = value(Constants.TAG_EC_POINT, Constants.EC_POINT_LENGTH, Constants.EC_POINT_LENGTH);
        if (buf[o] != 0x04) ISOException.throwIt(Sw.WRONG_DATA);
        v[Transients.CV_KEY_OFF] = o;
        tlv.leave();

        v[Transients.CV_CHR_OFF] = value(Constants.TAG_CHR, (short) 1, Constants.MAX_REFERENCE_LENGTH);
        v[Transients.CV_CHR_LEN] = tlv.length();

        tlv.expect(Constants.TAG_CHAT, (short) 0, ANY_LENGTH);
        tlv.enter();
        expectValue(buf, Constants.TAG_OID, Constants.OID_CARDSMITH_ROLE);
        o = value(Constants.TAG_DISCRETIONARY, (short) 1, (short) (1 + Constants.NONCE_LENGTH));
        short dLen = tlv.length();
        if (dLen != 1 && dLen != (short) (1 + Constants.NONCE_LENGTH)) ISOException.throwIt(Sw.WRONG_DATA);
        if (buf[o] != role) ISOException.throwIt(Sw.WRONG_DATA);
        v[Transients.CV_NONCE_OFF] = dLen == 1 ? (short) -1 : (short) (o + 1);
        tlv.leave();

        v[Transients.CV_EFF_OFF] = date(buf, Constants.TAG_EFFECTIVE_DATE);
        v[Transients.CV_EXP_OFF] = date(buf, Constants.TAG_EXPIRY_DATE);
        tlv.leave(); // the body holds nothing more
        if (Util.arrayCompare(buf, v[Transients.CV_EFF_OFF], buf, v[Transients.CV_EXP_OFF], Constants.DATE_LENGTH) > 0) {
            ISOException.throwIt(Sw.WRONG_DATA);
        }

        v[Transients.CV_SIG_OFF] = value(Constants.TAG_SIGNATURE, (short) 64, (short) 64);
        tlv.leave(); // the certificate holds nothing more
        v[Transients.CV_CERT_LEN] = (short) (tlv.position() - start);
    }

    /** The next TLV must have {@code tag} and a value of min..max bytes; returns the value offset. */
    private short value(short tag, short min, short max) {
        tlv.expect(tag, min, max);
        return tlv.valueOffset();
    }

    /** The next TLV must be {@code tag} with exactly the value {@code expected}. */
    private void expectValue(byte[] buf, short tag, byte[] expected) {
        short len = (short) expected.length;
        short o = value(tag, len, len);
        if (Util.arrayCompare(buf, o, expected, (short) 0, len) != 0) ISOException.throwIt(Sw.WRONG_DATA);
    }

    /** Dates are six unpacked BCD digits YYMMDD (TR-03110 A.6.2.3). Returns the value offset. */
    private short date(byte[] buf, short tag) {
        short o = value(tag, Constants.DATE_LENGTH, Constants.DATE_LENGTH);
        for (short i = 0; i < Constants.DATE_LENGTH; i++) {
            byte d = buf[(short) (o + i)];
            if (d < 0 || d > 9) ISOException.throwIt(Sw.WRONG_DATA);
        }
        return o;
    }

    /** The certificate's CAR must equal the reference at ref[refOff..refOff+refLen) (chain order, claim 7): else 6A88. */
    void checkIssuer(byte[] buf, byte[] ref, short refOff, short refLen) {
        short[] v = t.vars;
        if (v[Transients.CV_CAR_LEN] != refLen
                || Util.arrayCompare(buf, v[Transients.CV_CAR_OFF], ref, refOff, refLen) != 0) {
            ISOException.throwIt(Sw.REFERENCED_DATA_NOT_FOUND);
        }
    }

    /** Verifies the parsed certificate's signature (r||s over the encoded body) with {@code issuerKey}: else 6982. */
    void verify(byte[] buf, ECPublicKey issuerKey) {
        short[] v = t.vars;
        short derLen = Crypto.plainToDer(buf, v[Transients.CV_SIG_OFF], t.ram, Transients.DER);
        crypto.verifyInit(issuerKey);
        if (!crypto.verify(buf, v[Transients.CV_BODY_OFF], v[Transients.CV_BODY_LEN], t.ram, Transients.DER, derLen)) {
            ISOException.throwIt(Sw.SECURITY_STATUS_NOT_SATISFIED);
        }
    }

    /** Rejects (6984) a certificate whose expiry date lies before the module's certificate date. */
    void checkNotExpired(byte[] buf, byte[] today) {
        if (Util.arrayCompare(buf, t.vars[Transients.CV_EXP_OFF], today, (short) 0, Constants.DATE_LENGTH) < 0) {
            ISOException.throwIt(Sw.REFERENCE_DATA_NOT_USABLE);
        }
    }

    /**
     * Advances the module's certificate date to this certificate's effective date if later
     * (TR-03110 A.6.2.3). One Util.arrayCopy: atomic on its own, and part of the caller's
     * transaction when there is one.
     */
    void advanceDate(byte[] buf, byte[] today) {
        short eff = t.vars[Transients.CV_EFF_OFF];
        if (Util.arrayCompare(buf, eff, today, (short) 0, Constants.DATE_LENGTH) > 0) {
            Util.arrayCopy(buf, eff, today, (short) 0, Constants.DATE_LENGTH);
        }
    }

    /** Requires (6A80) the certified public key to equal the point at pt[off]. */
    void checkKey(byte[] buf, byte[] pt, short off) {
        if (Util.arrayCompare(buf, t.vars[Transients.CV_KEY_OFF], pt, off, Constants.EC_POINT_LENGTH) != 0) {
            ISOException.throwIt(Sw.WRONG_DATA);
        }
    }

    /**
     * Writes the header of a TLV with a one- or two-byte tag (00XX / XXYY, as the reader reports
     * tags) and a value of {@code len} bytes; returns the value offset.
     */
    static short putHeader(byte[] out, short off, short tag, short len) {
        if ((tag & (short) 0xFF00) != 0) out[off++] = (byte) (tag >> 8);
        return Tlv.putHeader(out, off, (byte) tag, len);
    }

    /** Writes tag || length || value[vOff..vOff+len); returns the offset after it. */
    static short put(byte[] out, short off, short tag, byte[] value, short vOff, short len) {
        return Util.arrayCopyNonAtomic(value, vOff, out, putHeader(out, off, tag, len), len);
    }
}
