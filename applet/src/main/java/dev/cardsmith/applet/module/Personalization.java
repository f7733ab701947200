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
import javacard.security.Signature;

/**
 * The personalization state (claims 1-3, 5-10, 13, 16-18): the changeover into it (ENTER
 * PERSONALIZATION), the TAN entry, and the three-step protected exchange with the perso unit
 * (PERSO INITIATE, AUTHENTICATE, STORE CERTS) that ends in the operating state. Every command
 * checks everything it was sent before it writes anything persistent.
 */
final class Personalization {

    private final Persistent p;
    private final Transients t;
    private final Crypto crypto;
    private final SecureMessaging sm;
    private final Cvc cvc;
    private final Tlv tlv;
    private final ApduIo io;
    private final Session session;

    Personalization(Persistent p, Transients t, Crypto crypto, Cvc cvc, Tlv tlv, ApduIo io, Session session) {
        this.p = p;
        this.t = t;
        this.crypto = crypto;
        this.sm = new SecureMessaging(crypto, t);
        this.cvc = cvc;
        this.tlv = tlv;
        this.io = io;
        this.session = session;
    }

    /**
     * RELEASE CHALLENGE (operating state): a fresh 16-byte challenge (RAM, one use) for the
     * release authorization ENTER PERSONALIZATION needs. Out: 81 challenge || 85 module public
     * key (83 bytes, one short APDU), so the authorizing system sees which module key it releases.
     */
    void releaseChallenge(APDU apdu) {
        session.end();
        byte[] ram = t.ram;
        crypto.random.generateData(ram, Transients.NONCE, Constants.NONCE_LENGTH);
        byte[] buf = apdu.getBuffer();
        short r = Cvc.put(buf, (short) 0, Constants.TAG_NONCE, ram, Transients.NONCE, Constants.NONCE_LENGTH);
        r = Cvc.putHeader(buf, r, Constants.TAG_MODULE_KEY, Constants.EC_POINT_LENGTH);
        r = (short) (r + ((ECPublicKey) p.moduleKey.getPublic()).getW(buf, r));
        session.reached(Transients.RELEASE_CHALLENGED);
        io.send(apdu, buf, (short) 0, r);
    }

    /**
     * ENTER PERSONALIZATION (claim 2): a fresh changeover to the personalization state erases the
     * module key. From the personalization state: no data. From the operating state: 5F37
     * signature over 'E' || challenge || module public key by the central key or the perso-unit
     * key the module holds, for the challenge of the RELEASE CHALLENGE just before (6985 without
     * one, 6982 for a wrong signature; either way the challenge is spent).
     */
    void enter(byte[] in, short off, short len) {
        if (p.state == Constants.STATE_OPERATING) {
            checkRelease(in, off, len);
        } else if (len != 0) {
            ISOException.throwIt(Sw.WRONG_LENGTH);
        }
        session.end();
        session.clearTan();
        JCSystem.beginTransaction();
        p.state = Constants.STATE_PERSONALIZATION;
        p.moduleKeySet = false;
        p.moduleCertLength = 0;
        p.centralKeySet = false;
        p.transactionKeySet = false;
        // transactional: a torn ENTER PERSONALIZATION must not leave the old key with a zeroed counter (replay)
        Util.arrayCopy(p.zeroCounter, (short) 0, p.transactionCounter, (short) 0, Constants.COUNTER_LENGTH);
        // the key objects are cleared after the commit (clearKey is not transactional, and before
        // the commit it would leave an OPERATING card with a dead key). A tear in between would
        // leave the old private bytes in EEPROM, flagged unset: wipePending commits with the
        // flags, and every later command finishes the wipe first (completePendingWipe).
        p.wipePending = true;
        JCSystem.commitTransaction();
        completePendingWipe();
    }

    /** The release authorization of an operating module: nothing is written before it verifies. */
    private void checkRelease(byte[] in, short off, short len) {
        session.require(Transients.RELEASE_CHALLENGED);
        tlv.start(in, off, len);
        tlv.expect(Constants.TAG_SIGNATURE, (short) 0, Cvc.ANY_LENGTH);
        short sg = tlv.valueOffset();
        short sgLen = tlv.length();
        tlv.finish();
        if (!(p.centralKeySet && releasedBy(p.centralKey, in, sg, sgLen)) && !releasedBy(p.persoKey, in, sg, sgLen)) {
            ISOException.throwIt(Sw.SECURITY_STATUS_NOT_SATISFIED);
        }
    }

    /** Verifies sig over 'E' || challenge || module public key under {@code key}. */
    private boolean releasedBy(ECPublicKey key, byte[] sig, short sigOff, short sigLen) {
        byte[] ram = t.ram;
        ram[Transients.WORK] = Constants.SIG_CONTEXT_RELEASE;
        crypto.verifyInit(key);
        crypto.ecdsa.update(ram, Transients.WORK, (short) 1);
        crypto.ecdsa.update(ram, Transients.NONCE, Constants.NONCE_LENGTH);
        short n = ((ECPublicKey) p.moduleKey.getPublic()).getW(ram, Transients.WORK);
        return crypto.verify(ram, Transients.WORK, n, sig, sigOff, sigLen);
    }

    /**
     * Clears the module, central and transaction key objects and the module certificate bytes
     * once their flags are committed false (ENTER PERSONALIZATION), then drops wipePending.
     * Idempotent; called again at the start of every command while wipePending survives a tear.
     */
    void completePendingWipe() {
        p.moduleKey.getPrivate().clearKey();
        p.moduleKey.getPublic().clearKey();
        p.centralKey.clearKey();
        p.transactionKey.clearKey();
        p.wipeModuleCertificate();
        p.wipePending = false;
    }

    /** ENTER TAN (claims 13, 16): the identification unit enters the TAN (4-16 decimal digits, ASCII). */
    void enterTan(byte[] in, short off, short len) {
        if (len < Constants.TAN_MIN_LENGTH || len > Constants.TAN_MAX_LENGTH) ISOException.throwIt(Sw.WRONG_LENGTH);
        for (short i = 0; i < len; i++) {
            byte c = in[(short) (off + i)];
            if (c < (byte) '0' || c > (byte) '9') ISOException.throwIt(Sw.WRONG_DATA);
        }
        session.setTan(in, off, len);
    }

    /**
     * PERSO INITIATE. In: perso-unit certificate (by the manufacturer) || 5F49 ephemeral key.
     * Checks the certificate with the checking key before anything else (claim 7), answers the
     * challenge with the identity key (claim 8), sends the nonce (claim 9), derives the secure
     * messaging keys (claim 3). Out: 5F49 ephemeral key || 81 nonce || identity certificate || 5F37 signature.
     */
    void initiate(APDU apdu, byte[] in, short off, short len) {
        if (!p.checkingKeySet || p.identityCertLength == 0) ISOException.throwIt(Sw.CONDITIONS_NOT_SATISFIED);
        session.end();
        byte[] ram = t.ram;
        short[] v = t.vars;
        tlv.start(in, off, len);
        cvc.parse(in, Constants.ROLE_PERSO_UNIT);
        cvc.verify(in, p.checkingKey);
        cvc.checkNotExpired(in, p.certificateDate);
        if (v[Transients.CV_NONCE_OFF] >= 0) ISOException.throwIt(Sw.WRONG_DATA);
        tlv.expect(Constants.TAG_EPHEMERAL_KEY, Constants.EC_POINT_LENGTH, Constants.EC_POINT_LENGTH);
        short k = tlv.valueOffset();
        tlv.finish();
        // every incoming point on the curve (6A80): the ephemeral key and the certified perso-unit key
        P256.checkPoint(in, k, Constants.EC_POINT_LENGTH, ram, Transients.WORK);
        P256.checkPoint(in, v[Transients.CV_KEY_OFF], Constants.EC_POINT_LENGTH, ram, Transients.WORK);
        Util.arrayCopyNonAtomic(in, k, ram, Transients.EPK_PEER, Constants.EC_POINT_LENGTH);
        short chrLen = v[Transients.CV_CHR_LEN];
        Util.arrayCopyNonAtomic(in, v[Transients.CV_CHR_OFF], ram, Transients.CHR_PERSO, chrLen);
        v[Transients.V_CHR_PERSO_LEN] = chrLen;

        // the session (RAM): ephemeral-ephemeral ECDH, X9.63 KDF, SM keys, nonce
        crypto.newEphemeral(ram, Transients.EPK_CARD, ram, Transients.WORK);
        crypto.agree(crypto.ePriv, ram, Transients.EPK_PEER, ram, Transients.KDF);
        crypto.clearEphemeral();
        crypto.kdf(ram, Transients.KDF, (short) 32, Constants.KDF_CONTEXT_PERSO, ram, Transients.KOUT);
        crypto.sEnc.setKey(ram, Transients.KOUT);
        crypto.sMac.setKey(ram, (short) (Transients.KOUT + 16));
        crypto.sRmac.setKey(ram, (short) (Transients.KOUT + 32));
        Util.arrayFillNonAtomic(ram, Transients.KOUT, (short) 64, (byte) 0);
        sm.start();
        crypto.random.generateData(ram, Transients.NONCE, Constants.NONCE_LENGTH);

        // identity challenge-response: 'I' || ePK.host || ePK.card || nonce
        ram[Transients.WORK] = Constants.SIG_CONTEXT_IDENTITY;
        crypto.ecdsa.init(p.identityKey.getPrivate(), Signature.MODE_SIGN);
        crypto.ecdsa.update(ram, Transients.WORK, (short) 1);
        crypto.ecdsa.update(ram, Transients.EPK_PEER, (short) (2 * Constants.EC_POINT_LENGTH));
        short sigLen = crypto.ecdsa.sign(ram, Transients.NONCE, Constants.NONCE_LENGTH, ram, Transients.DER);

        // every check passed: the persistent writes, from the command data before the response
        // overwrites the staging buffer. The perso unit's key (Key.setW: outside any transaction;
        // only a session at PERSO_INITIATED, RAM, ever uses it) and the certificate date.
        Crypto.setPoint(p.persoKey, in, v[Transients.CV_KEY_OFF]);
        cvc.advanceDate(in, p.certificateDate);

        byte[] s = io.staging();
        short r = 0;
        r = Cvc.put(s, r, Constants.TAG_EPHEMERAL_KEY, ram, Transients.EPK_CARD, Constants.EC_POINT_LENGTH);
        r = Cvc.put(s, r, Constants.TAG_NONCE, ram, Transients.NONCE, Constants.NONCE_LENGTH);
        r = Util.arrayCopyNonAtomic(p.identityCert, (short) 0, s, r, p.identityCertLength);
        r = Cvc.put(s, r, Constants.TAG_SIGNATURE, ram, Transients.DER, sigLen);
        session.reached(Transients.PERSO_INITIATED);
        io.send(apdu, s, (short) 0, r);
    }

    /**
     * PERSO AUTHENTICATE (secure messaging). In: 5F37 perso-unit signature over
     * 'P' || ePK.card || ePK.host || nonce, 83 variation value. Forms the module key afresh
     * with the variation value (claims 1, 10). Out (protected): 85 module key || 81 nonce || 84 TAN.
     */
    void authenticate(APDU apdu, byte[] in, short off, short len) {
        session.require(Transients.PERSO_INITIATED);
        short tanLen = session.tanLength();
        if (tanLen == 0) ISOException.throwIt(Sw.CONDITIONS_NOT_SATISFIED);
        byte[] ram = t.ram;
        short pl = sm.unwrapCommand(in, off, len, Constants.INS_PERSO_AUTHENTICATE, (byte) 0, (byte) 0);
        tlv.start(in, off, pl);
        tlv.expect(Constants.TAG_SIGNATURE, (short) 0, Cvc.ANY_LENGTH);
        short sg = tlv.valueOffset();
        short sgLen = tlv.length();
        tlv.expect(Constants.TAG_VARIATION, Constants.VARIATION_LENGTH, Constants.VARIATION_LENGTH);
        short var = tlv.valueOffset();
        tlv.finish();

        ram[Transients.WORK] = Constants.SIG_CONTEXT_PERSO;
        crypto.verifyInit(p.persoKey);
        crypto.ecdsa.update(ram, Transients.WORK, (short) 1);
        crypto.ecdsa.update(ram, Transients.EPK_CARD, Constants.EC_POINT_LENGTH);
        crypto.ecdsa.update(ram, Transients.EPK_PEER, Constants.EC_POINT_LENGTH);
        if (!crypto.verify(ram, Transients.NONCE, Constants.NONCE_LENGTH, in, sg, sgLen)) {
            ISOException.throwIt(Sw.SECURITY_STATUS_NOT_SATISFIED);
        }

        // Claims 1, 10: the module key is formed afresh on the card, from its randomness and the variation value.
        p.moduleKeySet = false;
        crypto.formKeyWithVariation(p.moduleKey, in, var, ram, Transients.WORK);
        p.moduleKeySet = true;

        byte[] buf = apdu.getBuffer();
        short r = 0;
        r = Cvc.putHeader(buf, r, Constants.TAG_MODULE_KEY, Constants.EC_POINT_LENGTH);
        r = (short) (r + ((ECPublicKey) p.moduleKey.getPublic()).getW(buf, r));
        r = Cvc.put(buf, r, Constants.TAG_NONCE, ram, Transients.NONCE, Constants.NONCE_LENGTH);
        r = Cvc.put(buf, r, Constants.TAG_TAN, ram, Transients.TAN, tanLen);
        session.clearTan(); // the TAN is forwarded once
        short rl = sm.wrapResponse(buf, (short) 0, r);
        session.reached(Transients.PERSO_AUTHENTICATED);
        io.send(apdu, buf, (short) 0, rl);
    }

    /**
     * PERSO STORE CERTS (secure messaging). In: module certificate (by the perso unit, with the
     * nonce and the new key), central-system certificate (by the perso unit, claim 5), perso-unit
     * certificate (by the central system, claim 6). All checked, then the switch to operating in
     * one transaction (claims 1, 7). Out (protected): R-MAC only.
     */
    void storeCertificates(APDU apdu, byte[] in, short off, short len) {
        session.require(Transients.PERSO_AUTHENTICATED);
        byte[] ram = t.ram;
        short[] v = t.vars;
        short pl = sm.unwrapCommand(in, off, len, Constants.INS_PERSO_STORE_CERTS, (byte) 0, (byte) 0);
        tlv.start(in, off, pl);

        // 1. module certificate, signed by the perso unit, for this session's nonce and new key
        cvc.parse(in, Constants.ROLE_MODULE);
        short modLen = v[Transients.CV_CERT_LEN];
        if (modLen > Constants.MAX_CERT_LENGTH) ISOException.throwIt(Sw.WRONG_DATA);
        cvc.checkIssuer(in, ram, Transients.CHR_PERSO, v[Transients.V_CHR_PERSO_LEN]);
        cvc.verify(in, p.persoKey);
        short nonce = v[Transients.CV_NONCE_OFF];
        if (nonce < 0 || Util.arrayCompare(in, nonce, ram, Transients.NONCE, Constants.NONCE_LENGTH) != 0) {
            ISOException.throwIt(Sw.WRONG_DATA); // a certificate for another session (claim 9)
        }
        ((ECPublicKey) p.moduleKey.getPublic()).getW(ram, Transients.WORK);
        cvc.checkKey(in, ram, Transients.WORK);
        cvc.checkNotExpired(in, p.certificateDate);
        short modEff = v[Transients.CV_EFF_OFF];

        // 2. central-system certificate, signed by the perso unit (claim 5)
        cvc.parse(in, Constants.ROLE_CENTRAL);
        cvc.checkIssuer(in, ram, Transients.CHR_PERSO, v[Transients.V_CHR_PERSO_LEN]);
        cvc.verify(in, p.persoKey);
        cvc.checkNotExpired(in, p.certificateDate);
        short chrLen = v[Transients.CV_CHR_LEN];
        Util.arrayCopyNonAtomic(in, v[Transients.CV_CHR_OFF], ram, Transients.CHR_CENTRAL, chrLen);
        v[Transients.V_CHR_CENTRAL_LEN] = chrLen;
        short centralKeyOff = v[Transients.CV_KEY_OFF];
        P256.checkPoint(in, centralKeyOff, Constants.EC_POINT_LENGTH, ram, Transients.WORK);
        Crypto.setPoint(p.candidateKey, in, centralKeyOff); // scratch key of this command, no flag

        // 3. perso-unit key certified by the central system (claim 6)
        cvc.parse(in, Constants.ROLE_PERSO_UNIT);
        cvc.checkIssuer(in, ram, Transients.CHR_CENTRAL, chrLen);
        cvc.verify(in, p.candidateKey);
        p.persoKey.getW(ram, Transients.WORK);
        cvc.checkKey(in, ram, Transients.WORK);
        cvc.checkNotExpired(in, p.certificateDate);
        tlv.finish();

        // every check passed. The certificate bytes go in before the transaction (a real card's
        // commit buffer is too small for them): in the personalization state moduleCertLength is
        // 0 (ENTER PERSONALIZATION commits that), so nothing reads moduleCert until the
        // transaction below commits its length together with the state change.
        Util.arrayCopyNonAtomic(in, off, p.moduleCert, (short) 0, modLen);
        // The central key likewise, outside the transaction (Key.setW is not transactional on
        // every card): centralKeySet is false in the personalization state; written again here
        // (one atomic field write) so the key is unreachable whatever happened before.
        p.centralKeySet = false;
        Crypto.setPoint(p.centralKey, in, centralKeyOff);
        JCSystem.beginTransaction();
        p.moduleCertLength = modLen;
        p.centralKeySet = true;
        p.transactionKeySet = false;
        v[Transients.CV_EFF_OFF] = modEff;
        cvc.advanceDate(in, p.certificateDate);
        p.state = Constants.STATE_OPERATING;
        JCSystem.commitTransaction();

        byte[] buf = apdu.getBuffer();
        short rl = sm.wrapResponse(buf, (short) 0, (short) 0);
        session.end();
        io.send(apdu, buf, (short) 0, rl);
    }
}
