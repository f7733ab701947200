package dev.cardsmith.applet.module;

import dev.cardsmith.applet.platform.ApduIo;
import dev.cardsmith.applet.platform.P256;
import dev.cardsmith.applet.platform.Sw;
import dev.cardsmith.applet.platform.Tlv;
import javacard.framework.APDU;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.Util;
import javacard.security.ECPublicKey;

/**
 * The manufacturer's steps (claims 7, 8): the checking key (install parameter or SET CHECKING
 * KEY, once), the permanent identity key formed on the card (GENERATE IDENTITY, once) and the
 * manufacturer's certificate of it (STORE IDENTITY CERT, once). Each command checks everything
 * before it writes anything.
 */
final class Manufacturing {

    private final Persistent p;
    private final Transients t;
    private final Cvc cvc;
    private final Tlv tlv;
    private final ApduIo io;

    Manufacturing(Persistent p, Transients t, Cvc cvc, Tlv tlv, ApduIo io) {
        this.p = p;
        this.t = t;
        this.cvc = cvc;
        this.tlv = tlv;
        this.io = io;
    }

    /**
     * Sets the checking key from an uncompressed P-256 point (install parameters, SET CHECKING
     * KEY) after checking that it lies on the curve (6A80). Key.setW is not transactional on
     * every card: written while checkingKeySet is false (nothing uses the key), then the flag
     * (one field write, atomic by the JCRE) makes it live.
     */
    void installCheckingKey(byte[] in, short off) {
        P256.checkPoint(in, off, Constants.EC_POINT_LENGTH, t.ram, Transients.WORK);
        Crypto.setPoint(p.checkingKey, in, off);
        p.checkingKeySet = true;
    }

    /**
     * SET CHECKING KEY: one-time manufacturer checking key for cards installed without install
     * parameters (simulator, docs): first come, so the manufacturer sends it in the factory right
     * after install. Refused (6985, a write-once value) once set, and - defensively, as every
     * state-changing command already needs the key - once an identity key exists. In the
     * operating state the table answers 6986.
     */
    void setCheckingKey(byte[] in, short off, short len) {
        if (p.checkingKeySet || p.identityKeySet || p.identityCertLength != 0) {
            ISOException.throwIt(Sw.CONDITIONS_NOT_SATISFIED);
        }
        if (len != Constants.EC_POINT_LENGTH) ISOException.throwIt(Sw.WRONG_LENGTH);
        installCheckingKey(in, off);
    }

    /** GENERATE IDENTITY (claim 8): the permanent identity key is formed once; returns its public point (again, until certified). */
    void generateIdentity(APDU apdu) {
        if (!p.checkingKeySet) ISOException.throwIt(Sw.CONDITIONS_NOT_SATISFIED);
        if (p.identityCertLength != 0) ISOException.throwIt(Sw.CONDITIONS_NOT_SATISFIED); // write-once, done
        if (!p.identityKeySet) {
            // formed once; until its certificate is stored a re-run gets the same public key back
            Crypto.generate(p.identityKey, t.ram, Transients.KOUT);
            p.identityKeySet = true;
        }
        byte[] buf = apdu.getBuffer();
        short n = ((ECPublicKey) p.identityKey.getPublic()).getW(buf, (short) 0);
        io.send(apdu, buf, (short) 0, n);
    }

    /**
     * STORE IDENTITY CERT (claim 8): the manufacturer's certificate of the identity key - role
     * 08, signed with the checking key (6982), naming the identity key (6A80) - stored once.
     */
    void storeIdentityCert(byte[] in, short off, short len) {
        if (!p.identityKeySet) ISOException.throwIt(Sw.CONDITIONS_NOT_SATISFIED);
        if (p.identityCertLength != 0) ISOException.throwIt(Sw.CONDITIONS_NOT_SATISFIED); // write-once, done
        tlv.start(in, off, len);
        cvc.parse(in, Constants.ROLE_IDENTITY);
        tlv.finish();
        if (t.vars[Transients.CV_CERT_LEN] > Constants.MAX_CERT_LENGTH) ISOException.throwIt(Sw.WRONG_DATA);
        cvc.verify(in, p.checkingKey);
        ((ECPublicKey) p.identityKey.getPublic()).getW(t.ram, Transients.WORK);
        cvc.checkKey(in, t.ram, Transients.WORK);
        // the certificate bytes outside the transaction (small commit buffers on real cards):
        // unreachable while identityCertLength is 0, which the length write below commits
        Util.arrayCopyNonAtomic(in, off, p.identityCert, (short) 0, len);
        JCSystem.beginTransaction();
        p.identityCertLength = len;
        JCSystem.commitTransaction();
    }
}
