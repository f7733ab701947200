package dev.cardsmith.applet.module;

import javacard.framework.APDU;
import javacard.framework.APDUException;
import javacard.framework.Applet;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.TransactionException;
import javacard.framework.Util;
import javacard.security.CryptoException;
import javacard.security.ECPrivateKey;
import javacard.security.ECPublicKey;
import javacard.security.Signature;
import javacardx.apdu.ExtendedLength;

/**
 * Security module of seed 002: personalization and operating states (claim 1), module key
 * formed afresh on the card and certified by the personalization unit, manufacturer checking
 * key and permanent identity key (claims 7, 8), certificate chains (claims 4-7), nonce and
 * variation value (claims 9, 10), protected perso channel and TAN forwarding (claims 3, 13,
 * 16-18), key agreement with the central system and a stored transaction key (claim 11).
 *
 * <p>Install parameters (GlobalPlatform C9 value): empty, or the manufacturer's public checking
 * key as an uncompressed P-256 point (65 bytes, 04||X||Y). Without it, SET CHECKING KEY sets it
 * once. The APDU protocol is in docs/module.md.
 */
public final class ModuleApplet extends Applet implements ExtendedLength {

    private final Persistent p;
    private final Transients t;
    private final Crypto crypto;
    private final Cvc cvc;

    private ModuleApplet(byte[] params, short off, byte len) {
        p = new Persistent();
        t = new Transients();
        crypto = new Crypto();
        cvc = new Cvc(t, crypto);
        if (len == Constants.EC_POINT_LENGTH) {
            Crypto.setPoint(p.checkingKey, params, off);
            p.checkingKeySet = true;
        } else if (len != 0) {
            ISOException.throwIt(Constants.SW_WRONG_DATA);
        }
    }

    public static void install(byte[] bArray, short bOffset, byte bLength) {
        short o = bOffset;
        short aidLen = bArray[o];
        o = (short) (o + 1 + aidLen);
        short privLen = bArray[o];
        o = (short) (o + 1 + privLen);
        byte paramLen = bArray[o];
        ModuleApplet applet = new ModuleApplet(bArray, (short) (o + 1), paramLen);
        applet.register(bArray, (short) (bOffset + 1), bArray[bOffset]);
    }

    @Override
    public void deselect() {
        crypto.clearSessionKeys();
    }

    @Override
    public void process(APDU apdu) {
        if (p.wipePending) completePendingWipe(); // a torn ENTER PERSONALIZATION: finish erasing first
        if (selectingApplet()) return;
        byte[] buf = apdu.getBuffer();
        try {
            dispatch(apdu, buf);
        } catch (ISOException e) {
            fail(buf);
            throw e;
        } catch (CryptoException e) {
            fail(buf);
            ISOException.throwIt(Constants.SW_WRONG_DATA);
        } catch (ArrayIndexOutOfBoundsException e) {
            fail(buf);
            ISOException.throwIt(Constants.SW_WRONG_DATA);
        } catch (APDUException e) {
            fail(buf);
            ISOException.throwIt(Constants.SW_WRONG_LENGTH);
        } catch (TransactionException e) {
            fail(buf);
            ISOException.throwIt(Constants.SW_INTERNAL);
        } catch (RuntimeException e) {
            fail(buf);
            ISOException.throwIt(Constants.SW_INTERNAL);
        }
    }

    /** The one clean-up path: abort an open transaction; a failed session step ends the session. */
    private void fail(byte[] buf) {
        if (JCSystem.getTransactionDepth() != 0) JCSystem.abortTransaction();
        byte ins = buf[ISO7816.OFFSET_INS];
        if (ins == Constants.INS_PERSO_INITIATE || ins == Constants.INS_PERSO_AUTHENTICATE
                || ins == Constants.INS_PERSO_STORE_CERTS || ins == Constants.INS_CENTRAL_AUTHENTICATE
                || ins == Constants.INS_CENTRAL_CONFIRM) {
            endSession();
        }
        if (ins == Constants.INS_PERSO_AUTHENTICATE) clearTan();
        t.vars[Transients.V_CHAIN_INS] = 0;
        t.vars[Transients.V_CHAIN_LEN] = 0;
    }

    private void endSession() {
        t.vars[Transients.V_SESSION] = Transients.SESSION_NONE;
        crypto.clearSessionKeys();
        // everything but the entered TAN, which waits for the next PERSO AUTHENTICATE
        Util.arrayFillNonAtomic(t.ram, (short) 0, Transients.TAN, (byte) 0);
        Util.arrayFillNonAtomic(t.ram, Transients.RECEIPT, (short) (Transients.RAM_LENGTH - Transients.RECEIPT), (byte) 0);
    }

    private void clearTan() {
        Util.arrayFillNonAtomic(t.ram, Transients.TAN, Constants.TAN_MAX_LENGTH, (byte) 0);
        t.vars[Transients.V_TAN_LEN] = 0;
    }

    private void dispatch(APDU apdu, byte[] buf) {
        byte cla = buf[ISO7816.OFFSET_CLA];
        byte ins = buf[ISO7816.OFFSET_INS];
        t.vars[Transients.V_EXTENDED] = 0;
        if (ins == Constants.INS_GET_RESPONSE && (cla & (byte) 0xFC) == 0) {
            getResponse(apdu);
            return;
        }
        t.vars[Transients.V_OUT_LEN] = 0;
        if ((byte) (cla & ~Constants.CLA_CHAINING) != Constants.CLA_PROPRIETARY) ISOException.throwIt(Constants.SW_CLA_NOT_SUPPORTED);
        boolean chained = (cla & Constants.CLA_CHAINING) != 0;
        if (buf[ISO7816.OFFSET_P1] != 0 && ins != Constants.INS_GET_STATUS) ISOException.throwIt(Constants.SW_WRONG_P1P2);
        if (buf[ISO7816.OFFSET_P2] != 0) ISOException.throwIt(Constants.SW_WRONG_P1P2);

        short chainIns = t.vars[Transients.V_CHAIN_INS];
        if (chainIns != 0 && chainIns != (short) (ins & 0xFF)) {
            t.vars[Transients.V_CHAIN_INS] = 0;
            t.vars[Transients.V_CHAIN_LEN] = 0;
            ISOException.throwIt(Constants.SW_CONDITIONS_NOT_SATISFIED);
        }
        if (isStaged(ins)) {
            short have = t.vars[Transients.V_CHAIN_LEN];
            short got = receiveStaged(apdu, have);
            if (chained) {
                t.vars[Transients.V_CHAIN_INS] = (short) (ins & 0xFF);
                t.vars[Transients.V_CHAIN_LEN] = (short) (have + got);
                return;
            }
            t.vars[Transients.V_CHAIN_INS] = 0;
            t.vars[Transients.V_CHAIN_LEN] = 0;
            short len = (short) (have + got);
            switch (ins) {
                case Constants.INS_STORE_IDENTITY_CERT: storeIdentityCert(len); return;
                case Constants.INS_PERSO_INITIATE: persoInitiate(apdu, len); return;
                default: persoStoreCerts(apdu, buf, len); return;
            }
        }
        if (chained) ISOException.throwIt((short) 0x6884); // ISO 7816-4: command chaining not supported
        // case-2 commands under T=0: P3 is Le, never read it as Lc (setIncomingAndReceive is for case 3/4 only)
        boolean noBody = (ins == Constants.INS_GET_STATUS || ins == Constants.INS_GENERATE_IDENTITY)
                && (byte) (APDU.getProtocol() & APDU.PROTOCOL_TYPE_MASK) == APDU.PROTOCOL_T0;
        short len = noBody ? 0 : receive(apdu);
        short off = noBody ? ISO7816.OFFSET_CDATA : apdu.getOffsetCdata();
        switch (ins) {
            case Constants.INS_GET_STATUS: getStatus(apdu, buf, len); return;
            case Constants.INS_SET_CHECKING_KEY: setCheckingKey(buf, off, len); return;
            case Constants.INS_GENERATE_IDENTITY: generateIdentity(apdu, buf, len); return;
            case Constants.INS_ENTER_PERSONALIZATION: enterPersonalization(len); return;
            case Constants.INS_ENTER_TAN: enterTan(buf, off, len); return;
            case Constants.INS_PERSO_AUTHENTICATE: persoAuthenticate(apdu, buf, off, len); return;
            case Constants.INS_CENTRAL_AUTHENTICATE: centralAuthenticate(apdu, buf, off, len); return;
            case Constants.INS_CENTRAL_CONFIRM: centralConfirm(buf, off, len); return;
            case Constants.INS_TRANSACTION: transaction(apdu, buf, off, len); return;
            default: ISOException.throwIt(Constants.SW_INS_NOT_SUPPORTED);
        }
    }

    private static boolean isStaged(byte ins) {
        return ins == Constants.INS_STORE_IDENTITY_CERT || ins == Constants.INS_PERSO_INITIATE
                || ins == Constants.INS_PERSO_STORE_CERTS;
    }

    // ---- I/O --------------------------------------------------------------------------------

    /** Receives a short command into the APDU buffer; Lc must equal the bytes received. */
    private short receive(APDU apdu) {
        short got = apdu.setIncomingAndReceive();
        short lc = apdu.getIncomingLength();
        if (got != lc) ISOException.throwIt(Constants.SW_WRONG_LENGTH);
        markExtended(apdu, lc);
        return got;
    }

    /** Appends the command data (one APDU of a chain, or one extended APDU) to the stage. */
    private short receiveStaged(APDU apdu, short stageOff) {
        byte[] buf = apdu.getBuffer();
        short n = apdu.setIncomingAndReceive();
        short lc = apdu.getIncomingLength();
        if (lc > (short) (Constants.STAGE_LENGTH - stageOff)) ISOException.throwIt(Constants.SW_WRONG_LENGTH);
        markExtended(apdu, lc);
        short cdata = apdu.getOffsetCdata();
        short got = 0;
        while (n > 0) {
            if (n > (short) (lc - got)) ISOException.throwIt(Constants.SW_WRONG_LENGTH);
            Util.arrayCopyNonAtomic(buf, cdata, p.stage, (short) (stageOff + got), n);
            got += n;
            n = apdu.receiveBytes(cdata);
        }
        if (got != lc) ISOException.throwIt(Constants.SW_WRONG_LENGTH);
        return got;
    }

    /**
     * Remembers whether this command came as an extended APDU (Lc byte 00 + 2 bytes). Decided
     * here, where the body was received: APDU.getIncomingLength may only be called after
     * setIncomingAndReceive, so send() must not call it (GET RESPONSE, case-2 commands under T=0).
     */
    private void markExtended(APDU apdu, short lc) {
        t.vars[Transients.V_EXTENDED] = (apdu.getBuffer()[ISO7816.OFFSET_LC] == 0 && lc > 0) ? (short) 1 : (short) 0;
    }

    /**
     * Sends src[off..off+len). Longer than Le on a short APDU: sends Le bytes and 61xx; the rest
     * comes with GET RESPONSE, so the data must sit in the stage.
     */
    private void send(APDU apdu, byte[] src, short off, short len) {
        // Le = 0 means 256 on a short APDU and the maximum on an extended one (Lc byte 00 + 2 bytes);
        // some runtimes (jCardSim) report an extended Le of 0000 as 0.
        boolean extended = t.vars[Transients.V_EXTENDED] != 0;
        short le = apdu.setOutgoing();
        if (le == 0) le = extended ? Constants.STAGE_LENGTH : (short) 256;
        if (len <= le) {
            apdu.setOutgoingLength(len);
            apdu.sendBytesLong(src, off, len);
            return;
        }
        if (src != p.stage) {
            Util.arrayCopyNonAtomic(src, off, p.stage, (short) 0, len);
            off = 0;
        }
        apdu.setOutgoingLength(le);
        apdu.sendBytesLong(p.stage, off, le);
        short rest = (short) (len - le);
        t.vars[Transients.V_OUT_OFF] = (short) (off + le);
        t.vars[Transients.V_OUT_LEN] = rest;
        ISOException.throwIt((short) (ISO7816.SW_BYTES_REMAINING_00 | (rest > 255 ? 0 : rest)));
    }

    private void getResponse(APDU apdu) {
        short rest = t.vars[Transients.V_OUT_LEN];
        if (rest == 0) ISOException.throwIt(Constants.SW_CONDITIONS_NOT_SATISFIED);
        t.vars[Transients.V_OUT_LEN] = 0;
        send(apdu, p.stage, t.vars[Transients.V_OUT_OFF], rest);
    }

    private void requireState(byte state) {
        if (p.state != state) ISOException.throwIt(Constants.SW_CONDITIONS_NOT_SATISFIED);
    }

    private void requireSession(short step) {
        if (t.vars[Transients.V_SESSION] != step) ISOException.throwIt(Constants.SW_SECURITY_STATUS_NOT_SATISFIED);
    }

    private static void requireLength(short len, short expected) {
        if (len != expected) ISOException.throwIt(Constants.SW_WRONG_LENGTH);
    }

    // ---- any state ----------------------------------------------------------------------------

    /**
     * GET STATUS. P1=00: state || flags || certificate date (6) || transaction counter (4).
     * P1=01: the identity certificate. P1=02: the module certificate.
     */
    private void getStatus(APDU apdu, byte[] buf, short len) {
        requireLength(len, (short) 0);
        byte p1 = buf[ISO7816.OFFSET_P1];
        if (p1 == 1 || p1 == 2) {
            short certLen = p1 == 1 ? p.identityCertLength : p.moduleCertLength;
            if (certLen == 0) ISOException.throwIt(Constants.SW_REFERENCE_MISMATCH);
            send(apdu, p1 == 1 ? p.identityCert : p.moduleCert, (short) 0, certLen);
            return;
        }
        if (p1 != 0) ISOException.throwIt(Constants.SW_WRONG_P1P2);
        buf[0] = p.state;
        buf[1] = p.flags(t.vars[Transients.V_TAN_LEN]);
        Util.arrayCopyNonAtomic(p.certificateDate, (short) 0, buf, (short) 2, Constants.DATE_LENGTH);
        Util.arrayCopyNonAtomic(p.transactionCounter, (short) 0, buf, (short) 8, Constants.COUNTER_LENGTH);
        send(apdu, buf, (short) 0, (short) 12);
    }

    /**
     * One-time manufacturer checking key for cards installed without install parameters
     * (simulator, docs): first come, so the manufacturer sends it in the factory right after
     * install. Refused once set, and - defensively, as every state-changing command already needs
     * the key - once an identity key exists or the card left the personalization state.
     */
    private void setCheckingKey(byte[] buf, short off, short len) {
        if (p.checkingKeySet || p.identityKeySet || p.identityCertLength != 0
                || p.state != Constants.STATE_PERSONALIZATION) {
            ISOException.throwIt(Constants.SW_COMMAND_NOT_ALLOWED);
        }
        requireLength(len, Constants.EC_POINT_LENGTH);
        // Key.setW is not transactional on every card: written while checkingKeySet is false
        // (nothing uses the key), then the flag (one field write, atomic by the JCRE) makes it live
        Crypto.setPoint(p.checkingKey, buf, off);
        p.checkingKeySet = true;
    }

    /** Claim 8: the permanent identity key is formed once; returns its public point (again, until certified). */
    private void generateIdentity(APDU apdu, byte[] buf, short len) {
        requireLength(len, (short) 0);
        if (!p.checkingKeySet) ISOException.throwIt(Constants.SW_CONDITIONS_NOT_SATISFIED);
        if (p.identityCertLength != 0) ISOException.throwIt(Constants.SW_COMMAND_NOT_ALLOWED);
        if (!p.identityKeySet) {
            // formed once; until its certificate is stored a re-run gets the same public key back
            Crypto.generate(p.identityKey, t.ram, Transients.KOUT);
            p.identityKeySet = true;
        }
        short n = ((ECPublicKey) p.identityKey.getPublic()).getW(buf, (short) 0);
        send(apdu, buf, (short) 0, n);
    }

    /** Claim 8: stores the manufacturer's certificate of the identity key after checking it. */
    private void storeIdentityCert(short len) {
        if (!p.identityKeySet) ISOException.throwIt(Constants.SW_CONDITIONS_NOT_SATISFIED);
        if (p.identityCertLength != 0) ISOException.throwIt(Constants.SW_COMMAND_NOT_ALLOWED);
        byte[] s = p.stage;
        short end = cvc.parse(s, (short) 0, len, Constants.ROLE_IDENTITY);
        if (end != len || t.vars[Transients.CV_CERT_LEN] > Constants.MAX_CERT_LENGTH) ISOException.throwIt(Constants.SW_WRONG_DATA);
        cvc.verify(s, p.checkingKey);
        ((ECPublicKey) p.identityKey.getPublic()).getW(t.ram, Transients.WORK);
        if (!cvc.keyEquals(s, t.ram, Transients.WORK)) ISOException.throwIt(Constants.SW_KEY_MISMATCH);
        // the certificate bytes outside the transaction (small commit buffers on real cards):
        // unreachable while identityCertLength is 0, which the length write below commits
        Util.arrayCopyNonAtomic(s, (short) 0, p.identityCert, (short) 0, len);
        JCSystem.beginTransaction();
        p.identityCertLength = len;
        JCSystem.commitTransaction();
    }

    /** Claim 2: a fresh changeover to the personalization state erases the module key. */
    private void enterPersonalization(short len) {
        requireLength(len, (short) 0);
        endSession();
        clearTan();
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

    /**
     * Clears the module, central and transaction key objects and the module certificate bytes
     * once their flags are committed false (ENTER PERSONALIZATION), then drops wipePending.
     * Idempotent; called again at the start of every command while wipePending survives a tear.
     */
    private void completePendingWipe() {
        p.moduleKey.getPrivate().clearKey();
        p.moduleKey.getPublic().clearKey();
        p.centralKey.clearKey();
        p.transactionKey.clearKey();
        p.wipeModuleCertificate();
        p.wipePending = false;
    }

    // ---- personalization state ----------------------------------------------------------------

    /** Claims 13, 16: the identification unit enters the TAN (4-16 decimal digits, ASCII). */
    private void enterTan(byte[] buf, short off, short len) {
        requireState(Constants.STATE_PERSONALIZATION);
        if (len < Constants.TAN_MIN_LENGTH || len > Constants.TAN_MAX_LENGTH) ISOException.throwIt(Constants.SW_WRONG_LENGTH);
        for (short i = 0; i < len; i++) {
            byte c = buf[(short) (off + i)];
            if (c < (byte) '0' || c > (byte) '9') ISOException.throwIt(Constants.SW_WRONG_DATA);
        }
        Util.arrayCopyNonAtomic(buf, off, t.ram, Transients.TAN, len);
        t.vars[Transients.V_TAN_LEN] = len;
    }

    /**
     * PERSO INITIATE. In: perso-unit certificate (by the manufacturer) || 5F49 ephemeral key.
     * Checks the certificate with the checking key before anything else (claim 7), answers the
     * challenge with the identity key (claim 8), sends the nonce (claim 9), derives the secure
     * messaging keys (claim 3). Out: 5F49 ephemeral key || 81 nonce || identity certificate || 5F37 signature.
     */
    private void persoInitiate(APDU apdu, short len) {
        requireState(Constants.STATE_PERSONALIZATION);
        if (!p.checkingKeySet || p.identityCertLength == 0) ISOException.throwIt(Constants.SW_CONDITIONS_NOT_SATISFIED);
        endSession();
        byte[] s = p.stage;
        byte[] ram = t.ram;
        short o = cvc.parse(s, (short) 0, len, Constants.ROLE_PERSO_UNIT);
        cvc.verify(s, p.checkingKey);
        cvc.checkNotExpired(s, p.certificateDate);
        if (t.vars[Transients.CV_NONCE_OFF] >= 0) ISOException.throwIt(Constants.SW_WRONG_DATA);
        short chrLen = t.vars[Transients.CV_CHR_LEN];
        Util.arrayCopyNonAtomic(s, t.vars[Transients.CV_CHR_OFF], ram, Transients.CHR_PERSO, chrLen);
        t.vars[Transients.V_CHR_PERSO_LEN] = chrLen;
        Crypto.setPoint(p.persoKey, s, t.vars[Transients.CV_KEY_OFF]);
        short k = cvc.expect(s, o, len, Constants.TAG_EPHEMERAL_KEY);
        requireLength(cvc.tlvLength(), Constants.EC_POINT_LENGTH);
        if ((short) (k + Constants.EC_POINT_LENGTH) != len) ISOException.throwIt(Constants.SW_WRONG_DATA);
        Util.arrayCopyNonAtomic(s, k, ram, Transients.EPK_PEER, Constants.EC_POINT_LENGTH);
        cvc.advanceDate(s, p.certificateDate); // the perso-unit certificate's fields are still parsed

        crypto.newEphemeral(ram, Transients.EPK_CARD, ram, Transients.WORK);
        crypto.agree(crypto.ePriv, ram, Transients.EPK_PEER, ram, Transients.KDF);
        crypto.clearEphemeral();
        crypto.kdf(ram, Transients.KDF, (short) 32, Constants.KDF_CONTEXT_PERSO, ram, Transients.KOUT);
        crypto.sEnc.setKey(ram, Transients.KOUT);
        crypto.sMac.setKey(ram, (short) (Transients.KOUT + 16));
        crypto.sRmac.setKey(ram, (short) (Transients.KOUT + 32));
        Util.arrayFillNonAtomic(ram, Transients.KOUT, (short) 64, (byte) 0);
        Util.arrayFillNonAtomic(ram, Transients.SSC, (short) 16, (byte) 0);
        crypto.random.generateData(ram, Transients.NONCE, Constants.NONCE_LENGTH);

        // identity challenge-response: 'I' || ePK.host || ePK.card || nonce
        ram[Transients.WORK] = Constants.SIG_CONTEXT_IDENTITY;
        crypto.ecdsa.init(p.identityKey.getPrivate(), Signature.MODE_SIGN);
        crypto.ecdsa.update(ram, Transients.WORK, (short) 1);
        crypto.ecdsa.update(ram, Transients.EPK_PEER, (short) (2 * Constants.EC_POINT_LENGTH));
        short sigLen = crypto.ecdsa.sign(ram, Transients.NONCE, Constants.NONCE_LENGTH, ram, Transients.DER);

        short r = 0;
        r = putTlvHeader(s, r, Constants.TAG_EPHEMERAL_KEY, Constants.EC_POINT_LENGTH);
        r = Util.arrayCopyNonAtomic(ram, Transients.EPK_CARD, s, r, Constants.EC_POINT_LENGTH);
        r = putTlvHeader(s, r, Constants.TAG_NONCE, Constants.NONCE_LENGTH);
        r = Util.arrayCopyNonAtomic(ram, Transients.NONCE, s, r, Constants.NONCE_LENGTH);
        r = Util.arrayCopyNonAtomic(p.identityCert, (short) 0, s, r, p.identityCertLength);
        r = putTlvHeader(s, r, Constants.TAG_SIGNATURE, sigLen);
        r = Util.arrayCopyNonAtomic(ram, Transients.DER, s, r, sigLen);
        t.vars[Transients.V_SESSION] = Transients.PERSO_INITIATED;
        send(apdu, s, (short) 0, r);
    }

    /**
     * PERSO AUTHENTICATE (secure messaging). In: 5F37 perso-unit signature over
     * 'P' || ePK.card || ePK.host || nonce, 83 variation value. Forms the module key afresh
     * with the variation value (claims 1, 10). Out (protected): 85 module key || 81 nonce || 84 TAN.
     */
    private void persoAuthenticate(APDU apdu, byte[] buf, short off, short len) {
        requireState(Constants.STATE_PERSONALIZATION);
        requireSession(Transients.PERSO_INITIATED);
        short tanLen = t.vars[Transients.V_TAN_LEN];
        if (tanLen == 0) ISOException.throwIt(Constants.SW_CONDITIONS_NOT_SATISFIED);
        byte[] ram = t.ram;
        short pl = crypto.unwrapCommand(buf, off, len, buf[ISO7816.OFFSET_INS], buf[ISO7816.OFFSET_P1], buf[ISO7816.OFFSET_P2], ram);
        short end = (short) (off + pl);
        short sg = cvc.expect(buf, off, end, Constants.TAG_SIGNATURE);
        short sgLen = cvc.tlvLength();
        short v = cvc.expect(buf, (short) (sg + sgLen), end, Constants.TAG_VARIATION);
        requireLength(cvc.tlvLength(), Constants.VARIATION_LENGTH);
        if ((short) (v + Constants.VARIATION_LENGTH) != end) ISOException.throwIt(Constants.SW_WRONG_DATA);

        ram[Transients.WORK] = Constants.SIG_CONTEXT_PERSO;
        crypto.ecdsa.init(p.persoKey, Signature.MODE_VERIFY);
        crypto.ecdsa.update(ram, Transients.WORK, (short) 1);
        crypto.ecdsa.update(ram, Transients.EPK_CARD, Constants.EC_POINT_LENGTH);
        crypto.ecdsa.update(ram, Transients.EPK_PEER, Constants.EC_POINT_LENGTH);
        if (!crypto.ecdsa.verify(ram, Transients.NONCE, Constants.NONCE_LENGTH, buf, sg, sgLen)) {
            ISOException.throwIt(Constants.SW_VERIFICATION_FAILED);
        }

        // Claims 1, 10: the module key is formed afresh on the card, from its randomness and the variation value.
        p.moduleKeySet = false;
        crypto.formKeyWithVariation(p.moduleKey, buf, v, ram, Transients.WORK);
        p.moduleKeySet = true;

        short r = 0;
        r = putTlvHeader(buf, r, Constants.TAG_MODULE_KEY, Constants.EC_POINT_LENGTH);
        r = (short) (r + ((ECPublicKey) p.moduleKey.getPublic()).getW(buf, r));
        r = putTlvHeader(buf, r, Constants.TAG_NONCE, Constants.NONCE_LENGTH);
        r = Util.arrayCopyNonAtomic(ram, Transients.NONCE, buf, r, Constants.NONCE_LENGTH);
        r = putTlvHeader(buf, r, Constants.TAG_TAN, tanLen);
        r = Util.arrayCopyNonAtomic(ram, Transients.TAN, buf, r, tanLen);
        clearTan(); // the TAN is forwarded once
        short rl = crypto.wrapResponse(buf, (short) 0, r, ram);
        t.vars[Transients.V_SESSION] = Transients.PERSO_AUTHENTICATED;
        send(apdu, buf, (short) 0, rl);
    }

    /**
     * PERSO STORE CERTS (secure messaging). In: module certificate (by the perso unit, with the
     * nonce and the new key), central-system certificate (by the perso unit, claim 5), perso-unit
     * certificate (by the central system, claim 6). All checked, then the switch to operating in
     * one transaction (claims 1, 7). Out (protected): R-MAC only.
     */
    private void persoStoreCerts(APDU apdu, byte[] buf, short len) {
        requireState(Constants.STATE_PERSONALIZATION);
        requireSession(Transients.PERSO_AUTHENTICATED);
        byte[] s = p.stage;
        byte[] ram = t.ram;
        short[] v = t.vars;
        short pl = crypto.unwrapCommand(s, (short) 0, len, Constants.INS_PERSO_STORE_CERTS, (byte) 0, (byte) 0, ram);

        // 1. module certificate, signed by the perso unit
        short o = cvc.parse(s, (short) 0, pl, Constants.ROLE_MODULE);
        short modLen = v[Transients.CV_CERT_LEN];
        if (modLen > Constants.MAX_CERT_LENGTH) ISOException.throwIt(Constants.SW_WRONG_DATA);
        cvc.checkIssuer(s, ram, Transients.CHR_PERSO, v[Transients.V_CHR_PERSO_LEN]);
        cvc.verify(s, p.persoKey);
        short nonce = v[Transients.CV_NONCE_OFF];
        if (nonce < 0 || Util.arrayCompare(s, nonce, ram, Transients.NONCE, Constants.NONCE_LENGTH) != 0) {
            ISOException.throwIt(Constants.SW_NONCE_MISMATCH);
        }
        ((ECPublicKey) p.moduleKey.getPublic()).getW(ram, Transients.WORK);
        if (!cvc.keyEquals(s, ram, Transients.WORK)) ISOException.throwIt(Constants.SW_KEY_MISMATCH);
        cvc.checkNotExpired(s, p.certificateDate);
        short modEff = v[Transients.CV_EFF_OFF];

        // 2. central-system certificate, signed by the perso unit (claim 5)
        o = cvc.parse(s, o, pl, Constants.ROLE_CENTRAL);
        cvc.checkIssuer(s, ram, Transients.CHR_PERSO, v[Transients.V_CHR_PERSO_LEN]);
        cvc.verify(s, p.persoKey);
        cvc.checkNotExpired(s, p.certificateDate);
        short chrLen = v[Transients.CV_CHR_LEN];
        Util.arrayCopyNonAtomic(s, v[Transients.CV_CHR_OFF], ram, Transients.CHR_CENTRAL, chrLen);
        v[Transients.V_CHR_CENTRAL_LEN] = chrLen;
        short centralKeyOff = v[Transients.CV_KEY_OFF];
        Crypto.setPoint(p.candidateKey, s, centralKeyOff); // scratch key of this command, no flag

        // 3. perso-unit key certified by the central system (claim 6)
        o = cvc.parse(s, o, pl, Constants.ROLE_PERSO_UNIT);
        cvc.checkIssuer(s, ram, Transients.CHR_CENTRAL, chrLen);
        cvc.verify(s, p.candidateKey);
        p.persoKey.getW(ram, Transients.WORK);
        if (!cvc.keyEquals(s, ram, Transients.WORK)) ISOException.throwIt(Constants.SW_KEY_MISMATCH);
        cvc.checkNotExpired(s, p.certificateDate);
        if (o != pl) ISOException.throwIt(Constants.SW_WRONG_DATA);

        // every check passed. The certificate bytes go in before the transaction (a real card's
        // commit buffer is too small for them): in the personalization state moduleCertLength is
        // 0 (ENTER PERSONALIZATION commits that), so nothing reads moduleCert until the
        // transaction below commits its length together with the state change.
        Util.arrayCopyNonAtomic(s, (short) 0, p.moduleCert, (short) 0, modLen);
        // The central key likewise, outside the transaction (Key.setW is not transactional on
        // every card): centralKeySet is false in the personalization state; written again here
        // (one atomic field write) so the key is unreachable whatever happened before.
        p.centralKeySet = false;
        Crypto.setPoint(p.centralKey, s, centralKeyOff);
        JCSystem.beginTransaction();
        p.moduleCertLength = modLen;
        p.centralKeySet = true;
        p.transactionKeySet = false;
        v[Transients.CV_EFF_OFF] = modEff;
        cvc.advanceDate(s, p.certificateDate);
        p.state = Constants.STATE_OPERATING;
        JCSystem.commitTransaction();

        short rl = crypto.wrapResponse(buf, (short) 0, (short) 0, ram);
        endSession();
        send(apdu, buf, (short) 0, rl);
    }

    // ---- operating state ----------------------------------------------------------------------

    /**
     * CENTRAL AUTHENTICATE. In: 5F49 ephemeral key of the central system. The module forms an
     * ephemeral key and derives, with ANSI X9.63 (SHA-256) over ECDH(eSK.card, ePK.cs) ||
     * ECDH(SK.module, ePK.cs), a receipt key and the transaction key (GP SCP11b-like; only the
     * holder of the private module key gets the same keys). Out: 5F49 ephemeral key || 86 receipt
     * || module certificate (claim 1: the certificate goes to the central system).
     */
    private void centralAuthenticate(APDU apdu, byte[] buf, short off, short len) {
        requireState(Constants.STATE_OPERATING);
        if (!p.moduleKeySet || !p.centralKeySet || p.moduleCertLength == 0) ISOException.throwIt(Constants.SW_CONDITIONS_NOT_SATISFIED);
        endSession();
        byte[] ram = t.ram;
        short k = cvc.expect(buf, off, (short) (off + len), Constants.TAG_EPHEMERAL_KEY);
        requireLength(cvc.tlvLength(), Constants.EC_POINT_LENGTH);
        if ((short) (k + Constants.EC_POINT_LENGTH) != (short) (off + len)) ISOException.throwIt(Constants.SW_WRONG_DATA);
        Util.arrayCopyNonAtomic(buf, k, ram, Transients.EPK_PEER, Constants.EC_POINT_LENGTH);

        crypto.newEphemeral(ram, Transients.EPK_CARD, ram, Transients.WORK);
        crypto.agree(crypto.ePriv, ram, Transients.EPK_PEER, ram, Transients.KDF);
        crypto.clearEphemeral();
        crypto.agree((ECPrivateKey) p.moduleKey.getPrivate(), ram, Transients.EPK_PEER, ram, (short) (Transients.KDF + 32));
        crypto.kdf(ram, Transients.KDF, (short) 64, Constants.KDF_CONTEXT_CENTRAL, ram, Transients.KOUT);
        crypto.sMac.setKey(ram, Transients.KOUT);      // receipt key
        crypto.sEnc.setKey(ram, (short) (Transients.KOUT + 16)); // transaction key, stored on CONFIRM
        Util.arrayFillNonAtomic(ram, Transients.KOUT, (short) 64, (byte) 0);

        // receipt = CMAC(K_receipt, 5F49 ePK.cs || 5F49 ePK.card)
        short w = putTlvHeader(ram, Transients.WORK, Constants.TAG_EPHEMERAL_KEY, Constants.EC_POINT_LENGTH);
        crypto.cmac.init(crypto.sMac);
        crypto.cmac.update(ram, Transients.WORK, (short) (w - Transients.WORK));
        crypto.cmac.update(ram, Transients.EPK_PEER, Constants.EC_POINT_LENGTH);
        crypto.cmac.update(ram, Transients.WORK, (short) (w - Transients.WORK));
        crypto.cmac.sign(ram, Transients.EPK_CARD, Constants.EC_POINT_LENGTH, ram, Transients.RECEIPT);

        byte[] s = p.stage;
        short r = 0;
        r = putTlvHeader(s, r, Constants.TAG_EPHEMERAL_KEY, Constants.EC_POINT_LENGTH);
        r = Util.arrayCopyNonAtomic(ram, Transients.EPK_CARD, s, r, Constants.EC_POINT_LENGTH);
        r = putTlvHeader(s, r, Constants.TAG_RECEIPT, Constants.MAC_LENGTH);
        r = Util.arrayCopyNonAtomic(ram, Transients.RECEIPT, s, r, Constants.MAC_LENGTH);
        r = Util.arrayCopyNonAtomic(p.moduleCert, (short) 0, s, r, p.moduleCertLength);
        t.vars[Transients.V_SESSION] = Transients.CENTRAL_STARTED;
        send(apdu, s, (short) 0, r);
    }

    /**
     * CENTRAL CONFIRM. In: 5F37 signature of the central system over 'C' || ePK.cs || ePK.card
     * || receipt, checked with the central key the perso unit certified (claim 4). Then the
     * agreed transaction key is stored (claim 11) and its counter reset, in one transaction.
     */
    private void centralConfirm(byte[] buf, short off, short len) {
        requireState(Constants.STATE_OPERATING);
        requireSession(Transients.CENTRAL_STARTED);
        byte[] ram = t.ram;
        short sg = cvc.expect(buf, off, (short) (off + len), Constants.TAG_SIGNATURE);
        short sgLen = cvc.tlvLength();
        if ((short) (sg + sgLen) != (short) (off + len)) ISOException.throwIt(Constants.SW_WRONG_DATA);
        ram[Transients.WORK] = Constants.SIG_CONTEXT_CENTRAL;
        crypto.ecdsa.init(p.centralKey, Signature.MODE_VERIFY);
        crypto.ecdsa.update(ram, Transients.WORK, (short) 1);
        crypto.ecdsa.update(ram, Transients.EPK_PEER, (short) (2 * Constants.EC_POINT_LENGTH));
        if (!crypto.ecdsa.verify(ram, Transients.RECEIPT, Constants.MAC_LENGTH, buf, sg, sgLen)) {
            ISOException.throwIt(Constants.SW_VERIFICATION_FAILED);
        }
        crypto.sEnc.getKey(ram, Transients.KOUT);
        // Key.setKey is not transactional on many cards: drop the flag first (one atomic write), so a
        // tear inside setKey leaves no transaction key rather than a half-written one marked usable
        p.transactionKeySet = false;
        p.transactionKey.setKey(ram, Transients.KOUT);
        JCSystem.beginTransaction();
        p.transactionKeySet = true;
        // arrayCopy, not arrayFillNonAtomic: the counter reset must roll back with the flag (replay)
        Util.arrayCopy(p.zeroCounter, (short) 0, p.transactionCounter, (short) 0, Constants.COUNTER_LENGTH);
        JCSystem.commitTransaction();
        Util.arrayFillNonAtomic(ram, Transients.KOUT, Constants.KEY_LENGTH, (byte) 0);
        endSession();
    }

    /**
     * TRANSACTION. In: counter (4, strictly increasing) || payload || CMAC(K_tx, 'T' || counter ||
     * payload). Out: CMAC(K_tx, 'R' || counter || payload), the module's authenticated receipt.
     */
    private void transaction(APDU apdu, byte[] buf, short off, short len) {
        requireState(Constants.STATE_OPERATING);
        if (!p.transactionKeySet) ISOException.throwIt(Constants.SW_SECURITY_STATUS_NOT_SATISFIED);
        short min = (short) (Constants.COUNTER_LENGTH + Constants.MAC_LENGTH);
        if (len < min || len > (short) (min + Constants.MAX_TX_PAYLOAD)) ISOException.throwIt(Constants.SW_WRONG_LENGTH);
        short dataLen = (short) (len - Constants.MAC_LENGTH);
        byte[] ram = t.ram;
        ram[Transients.WORK] = Constants.MAC_CONTEXT_TX;
        crypto.cmac.init(p.transactionKey);
        crypto.cmac.update(ram, Transients.WORK, (short) 1);
        crypto.cmac.sign(buf, off, dataLen, ram, (short) (Transients.WORK + 16));
        if (!Crypto.macEquals(ram, (short) (Transients.WORK + 16), buf, (short) (off + dataLen), Constants.MAC_LENGTH)) {
            ISOException.throwIt(Constants.SW_SM_MAC_WRONG);
        }
        if (!greater(buf, off, p.transactionCounter)) ISOException.throwIt(Constants.SW_REPLAY);
        Util.arrayCopy(buf, off, p.transactionCounter, (short) 0, Constants.COUNTER_LENGTH);
        ram[Transients.WORK] = Constants.MAC_CONTEXT_RX;
        crypto.cmac.init(p.transactionKey);
        crypto.cmac.update(ram, Transients.WORK, (short) 1);
        crypto.cmac.sign(buf, off, dataLen, buf, (short) 0);
        send(apdu, buf, (short) 0, Constants.MAC_LENGTH);
    }

    /** Unsigned big-endian a[off..off+4) > b[0..4). */
    private static boolean greater(byte[] a, short off, byte[] b) {
        for (short i = 0; i < Constants.COUNTER_LENGTH; i++) {
            short x = (short) (a[(short) (off + i)] & 0xFF);
            short y = (short) (b[i] & 0xFF);
            if (x != y) return x > y;
        }
        return false;
    }

    private static short putTlvHeader(byte[] dst, short o, short tag, short len) {
        if ((tag & (short) 0xFF00) != 0) dst[o++] = (byte) (tag >> 8);
        dst[o++] = (byte) tag;
        if (len > 0x7F) dst[o++] = (byte) 0x81;
        dst[o++] = (byte) len;
        return o;
    }
}
