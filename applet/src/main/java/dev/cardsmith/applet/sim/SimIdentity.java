package dev.cardsmith.applet.sim;

import dev.cardsmith.applet.platform.P256;
import dev.cardsmith.applet.platform.Sw;
import javacard.framework.ISOException;
import javacard.framework.Util;
import javacard.security.ECKey;
import javacard.security.ECPublicKey;
import javacard.security.KeyBuilder;
import javacard.security.KeyPair;
import javacard.security.Signature;

/**
 * The SIM's own identity towards the terminal in the EC variant (docs/ota.md "SIM identity"): an
 * EC P-256 key pair generated on the card at install (the private key never leaves it), and the
 * operator's certificate over its public key - ECDSA-SHA256 of the operator CA over
 * 'O' || public point - which the OTA server issues after reading the point by OTA
 * (SIM_KEY P1 00, then P1 01 with the certificate, both in a ciphered and checksummed packet).
 * The terminal reads point and certificate (GET SIM CERTIFICATE), checks the certificate against
 * the operator CA it pinned and then the SIM's signature over its challenge and the ECDH
 * transcript in AUTHENTICATE, before it accepts a trust key. Depends on Crypto only.
 */
final class SimIdentity {

    private final Crypto crypto;
    private final KeyPair key;
    /**
     * Two slots of MAX_CERT_LEN for the operator's DER ECDSA certificate; certSlot names the one in
     * use, certLen[slot] its length (0: none). A new certificate is written into the other slot
     * before the packet's transaction, which only flips certSlot and sets the length.
     */
    private final byte[] cert;
    private final byte[] certLen;
    private byte certSlot;

    SimIdentity(Crypto crypto) {
        this.crypto = crypto;
        key = new KeyPair(KeyPair.ALG_EC_FP, KeyBuilder.LENGTH_EC_FP_256);
        P256.setCurve((ECKey) key.getPublic());
        P256.setCurve((ECKey) key.getPrivate());
        key.genKeyPair();
        cert = new byte[(short) (2 * Constants.MAX_CERT_LEN)];
        certLen = new byte[2];
    }

    /** The public point (65 bytes, uncompressed) at out[off]; returns its length. */
    short publicPoint(byte[] out, short off) {
        return ((ECPublicKey) key.getPublic()).getW(out, off);
    }

    /** Is b[off..off+len) a DER SEQUENCE that fits a certificate slot? */
    private static boolean wellFormed(byte[] b, short off, short len) {
        return len >= 8 && len <= Constants.MAX_CERT_LEN && b[off] == 0x30 && (short) ((b[(short) (off + 1)] & 0xFF) + 2) == len;
    }

    private short otherSlot() {
        return certSlot == 0 ? Constants.MAX_CERT_LEN : 0;
    }

    /** Before the packet's transaction: a well-formed certificate goes into the slot not in use. */
    void stage(byte[] b, short off, short len) {
        if (wellFormed(b, off, len)) Util.arrayCopyNonAtomic(b, off, cert, otherSlot(), len);
    }

    /**
     * OTA SIM_KEY (inside the packet's transaction): P1 00 answers the public point, P1 01 makes the
     * staged certificate - a DER SEQUENCE of at most 72 bytes; its signature is the terminal's to
     * check (the card holds no CA key) - the one in use. Returns the response length at out[outOff].
     */
    short remote(byte p1, byte[] b, short off, short len, byte[] out, short outOff) {
        if (p1 == Constants.P1_SIM_KEY_READ) {
            if (len != 0) ISOException.throwIt(Sw.WRONG_LENGTH);
            return publicPoint(out, outOff);
        }
        if (p1 != Constants.P1_SIM_KEY_CERTIFY) ISOException.throwIt(Sw.INCORRECT_P1P2);
        if (len < 8 || len > Constants.MAX_CERT_LEN) ISOException.throwIt(Sw.WRONG_LENGTH);
        if (!wellFormed(b, off, len)) ISOException.throwIt(Sw.WRONG_DATA);
        short other = otherSlot();
        // staged before the transaction; another certificate in the same packet overwrote it
        if (Util.arrayCompare(b, off, cert, other, len) != 0) ISOException.throwIt(Sw.CONDITIONS_NOT_SATISFIED);
        byte slot = other == 0 ? (byte) 0 : (byte) 1;
        certLen[slot] = (byte) len;
        certSlot = slot;
        return 0;
    }

    /** GET SIM CERTIFICATE: public point || certificate; 6985 until the operator certified the key. */
    short certificate(byte[] buf) {
        short n = certLen[certSlot];
        if (n == 0) ISOException.throwIt(Sw.CONDITIONS_NOT_SATISFIED);
        short o = publicPoint(buf, (short) 0);
        return Util.arrayCopyNonAtomic(cert, certSlot == 0 ? 0 : Constants.MAX_CERT_LEN, buf, o, n);
    }

    /**
     * ECDSA-SHA256 with the SIM key over 'I' || challenge || transcript || E_card, where transcript
     * = in[tOff..tOff+tLen) (the terminal's date, IMEI, max output, nonce and E_T, as received) and
     * E_card = the card's ephemeral public point; work (66 bytes) is scratch. Returns the
     * signature length written at out[outOff] (must not overlap the transcript).
     */
    short signTranscript(byte[] challenge, byte[] in, short tOff, short tLen, KeyPair ephemeral, byte[] work, byte[] out, short outOff) {
        Signature sig = crypto.ecdsa;
        sig.init(key.getPrivate(), Signature.MODE_SIGN);
        work[0] = Constants.LABEL_SIM_SIGNATURE;
        sig.update(work, (short) 0, (short) 1);
        sig.update(challenge, (short) 0, Constants.CHALLENGE_LEN);
        sig.update(in, tOff, tLen);
        short w = ((ECPublicKey) ephemeral.getPublic()).getW(work, (short) 0);
        return sig.sign(work, (short) 0, w, out, outOff);
    }
}
