package dev.cardsmith.applet.csp;

import javacard.framework.APDU;
import javacard.framework.Applet;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.OwnerPIN;
import javacard.framework.SystemException;
import javacard.framework.Util;
import javacard.security.CryptoException;
import javacard.security.ECPublicKey;
import javacard.security.KeyPair;
import javacard.security.RSAPublicKey;

/**
 * Seed 003: the device's cryptographic module as the computer's cryptographic service provider.
 * The host (dev.cardsmith.csp) hashes and pads; this applet does only the private-key step
 * (claims 24, 42, 47-48): sign a host-computed hash, RSA PKCS#1 v1.5 decrypt, ECDH, plus key
 * generation in slots with labels and certificates, random numbers, and the user PIN that
 * guards every private-key use (claim 44: the "security manager" answering computer commands).
 * Private keys are generated here and no command returns them. Protocol: docs/csp.md.
 */
public final class CspApplet extends Applet {

    private static final byte[] DEFAULT_PIN = {'1', '2', '3', '4', '5', '6'};
    private static final byte[] DEFAULT_PUK = {'1', '2', '3', '4', '5', '6', '7', '8'};

    private final OwnerPIN pin;
    private final OwnerPIN puk;
    private final Slots slots;
    private final Crypto crypto;
    private final Transients t;

    private CspApplet(byte[] params, short pOff, short pLen) {
        pin = new OwnerPIN(Constants.PIN_TRY_LIMIT, Constants.PIN_MAX_LENGTH);
        puk = new OwnerPIN(Constants.PUK_TRY_LIMIT, Constants.PUK_LENGTH);
        if (pLen == 0) {
            pin.update(DEFAULT_PIN, (short) 0, (byte) DEFAULT_PIN.length);
            puk.update(DEFAULT_PUK, (short) 0, (byte) DEFAULT_PUK.length);
        } else {
            // application parameters: LV(PIN) || LV(PUK)
            short pinLen = (short) (params[pOff] & 0xFF);
            if ((short) (1 + pinLen + 1) > pLen) ISOException.throwIt(ISO7816.SW_WRONG_DATA);
            short pukOff = (short) (pOff + 1 + pinLen);
            short pukLen = (short) (params[pukOff] & 0xFF);
            if ((short) (2 + pinLen + pukLen) != pLen || !pinLengthOk(pinLen) || pukLen != Constants.PUK_LENGTH) {
                ISOException.throwIt(ISO7816.SW_WRONG_DATA);
            }
            pin.update(params, (short) (pOff + 1), (byte) pinLen);
            puk.update(params, (short) (pukOff + 1), (byte) pukLen);
        }
        slots = new Slots();
        crypto = new Crypto(slots.rsaSupported);
        t = new Transients();
    }

    /** GlobalPlatform install data: LV(instance AID) || LV(privileges) || LV(application parameters). */
    public static void install(byte[] bArray, short bOffset, byte bLength) {
        short aidLen = (short) (bArray[bOffset] & 0xFF);
        short privOff = (short) (bOffset + 1 + aidLen);
        short paramOff = (short) (privOff + 1 + (bArray[privOff] & 0xFF));
        short paramLen = (short) (bArray[paramOff] & 0xFF);
        CspApplet applet = new CspApplet(bArray, (short) (paramOff + 1), paramLen);
        applet.register(bArray, (short) (bOffset + 1), bArray[bOffset]);
    }

    private static boolean pinLengthOk(short len) {
        return len >= Constants.PIN_MIN_LENGTH && len <= Constants.PIN_MAX_LENGTH;
    }

    @Override
    public void deselect() {
        pin.reset();
        puk.reset();
    }

    @Override
    public void process(APDU apdu) {
        completePendingClear(); // a torn GENERATE / DELETE KEY: clear the old key objects first
        if (selectingApplet()) {
            sendAppInfo(apdu);
            return;
        }
        try {
            dispatch(apdu);
        } catch (ISOException e) {
            throw e;
        } catch (CryptoException e) {
            t.clearChain();
            ISOException.throwIt(cryptoSw(e.getReason()));
        } catch (SystemException e) {
            t.clearChain();
            ISOException.throwIt(Constants.SW_FILE_FULL);
        } catch (ArrayIndexOutOfBoundsException e) {
            t.clearChain();
            ISOException.throwIt(Constants.SW_WRONG_LENGTH);
        } catch (RuntimeException e) {
            t.clearChain();
            ISOException.throwIt(Constants.SW_WRONG_DATA);
        } finally {
            if (JCSystem.getTransactionDepth() != 0) JCSystem.abortTransaction();
            completePendingClear(); // a failed generation leaves no half-made key behind
        }
    }

    /** Clears the key objects of the slot named by clearPending (empty by then), then drops the mark. */
    private void completePendingClear() {
        byte s = slots.clearPending;
        if (s == Slots.NO_SLOT) return;
        if (s >= 0 && s < Constants.SLOT_COUNT && slots.algorithm[s] == Constants.ALG_NONE) clearKeys(s);
        slots.clearPending = Slots.NO_SLOT;
    }

    private static short cryptoSw(short reason) {
        switch (reason) {
            case CryptoException.NO_SUCH_ALGORITHM: return Constants.SW_FUNC_NOT_SUPPORTED;
            case CryptoException.UNINITIALIZED_KEY: return Constants.SW_REFERENCED_DATA_NOT_FOUND;
            case CryptoException.INVALID_INIT: return Constants.SW_CONDITIONS_NOT_SATISFIED;
            default: return Constants.SW_WRONG_DATA; // ILLEGAL_VALUE, ILLEGAL_USE (e.g. bad padding)
        }
    }

    private void dispatch(APDU apdu) {
        byte[] buf = apdu.getBuffer();
        byte cla = buf[ISO7816.OFFSET_CLA];
        byte ins = buf[ISO7816.OFFSET_INS];
        boolean chained = (cla & Constants.CLA_CHAINING) != 0;
        byte baseCla = (byte) (cla & (byte) ~Constants.CLA_CHAINING);
        short p1p2 = Util.getShort(buf, ISO7816.OFFSET_P1);
        short insKey = (short) (ins & 0xFF);

        if (ins != Constants.INS_GET_RESPONSE) t.clearResponse();
        // Any other command ends a chain in progress (ISO 7816-4 5.3.3).
        if (t.chainIns() != 0 && (t.chainIns() != insKey || t.chainP1P2() != p1p2)) t.clearChain();
        if (chained && ins != Constants.INS_PUT_CERTIFICATE && ins != Constants.INS_DECRYPT) {
            ISOException.throwIt(Constants.SW_CHAINING_NOT_SUPPORTED);
        }

        switch (ins) {
            case Constants.INS_VERIFY: iso(baseCla); verify(apdu, buf); return;
            case Constants.INS_CHANGE_REFERENCE_DATA: iso(baseCla); changeReferenceData(apdu, buf); return;
            case Constants.INS_RESET_RETRY_COUNTER: iso(baseCla); resetRetryCounter(apdu, buf); return;
            case Constants.INS_GET_CHALLENGE: iso(baseCla); getChallenge(apdu, buf); return;
            case Constants.INS_GET_RESPONSE: iso(baseCla); getResponse(apdu, buf); return;
            case Constants.INS_GENERATE_ASYMMETRIC_KEY_PAIR: iso(baseCla); generateOrRead(apdu, buf); return;
            case Constants.INS_SIGN: proprietary(baseCla); sign(apdu, buf); return;
            case Constants.INS_DECRYPT: proprietary(baseCla); decrypt(apdu, buf, chained, insKey, p1p2); return;
            case Constants.INS_ECDH: proprietary(baseCla); ecdh(apdu, buf); return;
            case Constants.INS_LIST_SLOTS: proprietary(baseCla); listSlots(apdu, buf); return;
            case Constants.INS_PUT_CERTIFICATE: proprietary(baseCla); putCertificate(apdu, buf, chained, insKey, p1p2); return;
            case Constants.INS_GET_CERTIFICATE: proprietary(baseCla); getCertificate(apdu, buf); return;
            case Constants.INS_DELETE_KEY: proprietary(baseCla); deleteKey(apdu, buf); return;
            default: ISOException.throwIt(Constants.SW_INS_NOT_SUPPORTED);
        }
    }

    private static void iso(byte cla) {
        if (cla != Constants.CLA_ISO) ISOException.throwIt(Constants.SW_CLA_NOT_SUPPORTED);
    }

    private static void proprietary(byte cla) {
        if (cla != Constants.CLA_PROPRIETARY) ISOException.throwIt(Constants.SW_CLA_NOT_SUPPORTED);
    }

    /** Receives the whole data field; Lc must equal the bytes that arrive. */
    private static short receive(APDU apdu) {
        short got = apdu.setIncomingAndReceive();
        short lc = apdu.getIncomingLength();
        short off = apdu.getOffsetCdata();
        while (got < lc) {
            short n = apdu.receiveBytes((short) (off + got));
            if (n <= 0) break;
            got = (short) (got + n);
        }
        if (got != lc) ISOException.throwIt(Constants.SW_WRONG_LENGTH);
        return lc;
    }

    private void requirePin() {
        if (pin.getTriesRemaining() == 0) ISOException.throwIt(Constants.SW_AUTH_METHOD_BLOCKED);
        if (!pin.isValidated()) ISOException.throwIt(Constants.SW_SECURITY_STATUS_NOT_SATISFIED);
    }

    private static short slotFrom(byte p) {
        if (p < 0 || p >= Constants.SLOT_COUNT) ISOException.throwIt(Constants.SW_INCORRECT_P1P2);
        return p;
    }

    private KeyPair keyIn(short slot) {
        KeyPair kp = slots.pair(slot);
        if (kp == null) ISOException.throwIt(Constants.SW_REFERENCED_DATA_NOT_FOUND);
        return kp;
    }

    // ---- Responses ------------------------------------------------------------------------------

    private void sendAppInfo(APDU apdu) {
        byte[] buf = apdu.getBuffer();
        short o = 0;
        buf[o++] = Constants.TAG_APP_INFO;
        buf[o++] = (byte) 13;
        buf[o++] = Constants.TAG_APP_VERSION; buf[o++] = 1; buf[o++] = Constants.APP_VERSION;
        buf[o++] = Constants.TAG_APP_SLOTS; buf[o++] = 1; buf[o++] = Constants.SLOT_COUNT;
        buf[o++] = Constants.TAG_APP_ALGORITHMS; buf[o++] = 1;
        buf[o++] = (byte) (slots.rsaSupported && crypto.rsaPkcs1 != null ? (Constants.ALG_EC_P256 | Constants.ALG_RSA_2048) : Constants.ALG_EC_P256);
        buf[o++] = Constants.TAG_APP_CERT_MAX; buf[o++] = 2;
        o = Util.setShort(buf, o, Constants.CERT_MAX);
        apdu.setOutgoingAndSend((short) 0, o);
    }

    private byte[] source(short src) {
        if (src == Transients.RESP_SCRATCH) return t.scratch;
        return slots.pool((short) (src - Transients.RESP_CERT_BASE));
    }

    /**
     * Sends up to Le bytes of a response from RAM or EEPROM; what does not fit waits for
     * GET RESPONSE, announced with 61xx (ISO 7816-4 5.3.4).
     */
    private void sendLong(APDU apdu, short src, short offset, short total) {
        short le = apdu.setOutgoing();
        if (le <= 0 || le > 256) le = 256;
        short n = total < le ? total : le;
        apdu.setOutgoingLength(n);
        apdu.sendBytesLong(source(src), offset, n);
        short rem = (short) (total - n);
        if (rem > 0) {
            t.response(src, (short) (offset + n), rem);
            ISOException.throwIt((short) (Constants.SW_BYTES_REMAINING | (rem > 255 ? 0 : rem)));
        }
        t.clearResponse();
    }

    private void getResponse(APDU apdu, byte[] buf) {
        if (p1p2(buf) != 0) ISOException.throwIt(Constants.SW_INCORRECT_P1P2);
        short src = t.respSource();
        if (src == Transients.RESP_NONE) ISOException.throwIt(Constants.SW_CONDITIONS_NOT_SATISFIED);
        sendLong(apdu, src, t.respOffset(), t.respRemaining());
    }

    private static short p1p2(byte[] buf) {
        return Util.getShort(buf, ISO7816.OFFSET_P1);
    }

    // ---- PIN (claim 44: user verification guards the security manager's functions) -------------

    private OwnerPIN pinRef(byte p2) {
        if (p2 == Constants.PIN_USER) return pin;
        if (p2 == Constants.PIN_PUK) return puk;
        ISOException.throwIt(Constants.SW_INCORRECT_P1P2);
        return null;
    }

    private static void failed(OwnerPIN p) {
        byte left = p.getTriesRemaining();
        if (left == 0) ISOException.throwIt(Constants.SW_AUTH_METHOD_BLOCKED);
        ISOException.throwIt((short) (Constants.SW_VERIFY_FAILED | left));
    }

    private void verify(APDU apdu, byte[] buf) {
        if (buf[ISO7816.OFFSET_P1] != 0 || buf[ISO7816.OFFSET_P2] != Constants.PIN_USER) {
            ISOException.throwIt(Constants.SW_INCORRECT_P1P2);
        }
        short len = receive(apdu);
        if (len == 0) {
            if (pin.isValidated()) return;
            failed(pin);
        }
        if (!pinLengthOk(len)) ISOException.throwIt(Constants.SW_WRONG_DATA);
        if (pin.getTriesRemaining() == 0) ISOException.throwIt(Constants.SW_AUTH_METHOD_BLOCKED);
        if (!pin.check(buf, apdu.getOffsetCdata(), (byte) len)) failed(pin);
    }

    /**
     * Parses LV(first) || LV(second) and checks both lengths; returns the offset of the second LV.
     */
    private static short twoLv(byte[] buf, short off, short len, boolean secondIsPuk) {
        if (len < 2) ISOException.throwIt(Constants.SW_WRONG_DATA);
        short l1 = (short) (buf[off] & 0xFF);
        if ((short) (l1 + 2) > len) ISOException.throwIt(Constants.SW_WRONG_DATA);
        short o2 = (short) (off + 1 + l1);
        short l2 = (short) (buf[o2] & 0xFF);
        if ((short) (l1 + l2 + 2) != len) ISOException.throwIt(Constants.SW_WRONG_DATA);
        if (secondIsPuk ? l2 != Constants.PUK_LENGTH : !pinLengthOk(l2)) ISOException.throwIt(Constants.SW_WRONG_DATA);
        if (l1 > Constants.PUK_LENGTH || l1 == 0) ISOException.throwIt(Constants.SW_WRONG_DATA);
        return o2;
    }

    private void changeReferenceData(APDU apdu, byte[] buf) {
        if (buf[ISO7816.OFFSET_P1] != 0) ISOException.throwIt(Constants.SW_INCORRECT_P1P2);
        OwnerPIN ref = pinRef(buf[ISO7816.OFFSET_P2]);
        short len = receive(apdu);
        short off = apdu.getOffsetCdata();
        short o2 = twoLv(buf, off, len, ref == puk);
        if (ref.getTriesRemaining() == 0) ISOException.throwIt(Constants.SW_AUTH_METHOD_BLOCKED);
        if (!ref.check(buf, (short) (off + 1), buf[off])) failed(ref);
        JCSystem.beginTransaction();
        ref.update(buf, (short) (o2 + 1), buf[o2]);
        JCSystem.commitTransaction();
    }

    private void resetRetryCounter(APDU apdu, byte[] buf) {
        if (buf[ISO7816.OFFSET_P1] != 0 || buf[ISO7816.OFFSET_P2] != Constants.PIN_USER) {
            ISOException.throwIt(Constants.SW_INCORRECT_P1P2);
        }
        short len = receive(apdu);
        short off = apdu.getOffsetCdata();
        short o2 = twoLv(buf, off, len, false);
        if (puk.getTriesRemaining() == 0) ISOException.throwIt(Constants.SW_AUTH_METHOD_BLOCKED);
        if (!puk.check(buf, (short) (off + 1), buf[off])) failed(puk);
        JCSystem.beginTransaction();
        pin.update(buf, (short) (o2 + 1), buf[o2]);
        JCSystem.commitTransaction();
        puk.reset();
    }

    // ---- Random (C_GenerateRandom) ---------------------------------------------------------------

    private void getChallenge(APDU apdu, byte[] buf) {
        if (p1p2(buf) != 0) ISOException.throwIt(Constants.SW_INCORRECT_P1P2);
        short le = apdu.setOutgoing();
        if (le <= 0 || le > 256) le = 256;
        crypto.random.generateData(t.scratch, Transients.SCRATCH_OUT, le);
        apdu.setOutgoingLength(le);
        apdu.sendBytesLong(t.scratch, Transients.SCRATCH_OUT, le);
    }

    // ---- Keys ------------------------------------------------------------------------------------

    private void generateOrRead(APDU apdu, byte[] buf) {
        byte p1 = buf[ISO7816.OFFSET_P1];
        short slot = slotFrom(buf[ISO7816.OFFSET_P2]);
        if (p1 == Constants.P1_READ_PUBLIC) {
            keyIn(slot);
            sendPublicKey(apdu, slot);
            return;
        }
        if (p1 != Constants.P1_GENERATE) ISOException.throwIt(Constants.SW_INCORRECT_P1P2);
        requirePin();
        short len = receive(apdu);
        short off = apdu.getOffsetCdata();
        // data: 80 01 alg [81 L label]
        if (len < 3 || buf[off] != Constants.TAG_GEN_ALGORITHM || buf[(short) (off + 1)] != 1) {
            ISOException.throwIt(Constants.SW_WRONG_DATA);
        }
        byte alg = buf[(short) (off + 2)];
        short labelOff = 0;
        short labelLen = 0;
        if (len > 3) {
            if (len < 5 || buf[(short) (off + 3)] != Constants.TAG_GEN_LABEL) ISOException.throwIt(Constants.SW_WRONG_DATA);
            labelLen = (short) (buf[(short) (off + 4)] & 0xFF);
            labelOff = (short) (off + 5);
            if ((short) (5 + labelLen) != len) ISOException.throwIt(Constants.SW_WRONG_DATA);
            if (labelLen > Constants.LABEL_MAX) ISOException.throwIt(Constants.SW_WRONG_DATA);
        }
        if (alg != Constants.ALG_EC_P256 && alg != Constants.ALG_RSA_2048) ISOException.throwIt(Constants.SW_FUNC_NOT_SUPPORTED);
        if (alg == Constants.ALG_RSA_2048 && (!slots.rsaSupported || crypto.rsaPkcs1 == null)) {
            ISOException.throwIt(Constants.SW_FUNC_NOT_SUPPORTED);
        }
        // Keep the label in RAM: the APDU buffer is overwritten by the response.
        Util.arrayCopyNonAtomic(buf, labelOff, t.scratch, Transients.SCRATCH_OUT, labelLen);

        // The old key of this slot is gone from here on: mark the slot empty first, so a tear
        // during generation leaves an empty slot, never a half-written key marked usable.
        JCSystem.beginTransaction();
        emptySlot(slot);
        slots.clearPending = (byte) slot;
        JCSystem.commitTransaction();
        clearKeys(slot);

        if (alg == Constants.ALG_EC_P256) {
            P256.generate(slots.ec[slot], t.scratch, (short) 0);
        } else {
            slots.rsa[slot].genKeyPair();
        }

        // the label bytes outside the transaction: the slot's label length is 0 (committed above)
        Util.arrayCopyNonAtomic(t.scratch, Transients.SCRATCH_OUT, slots.labels, slots.labelOffset(slot), labelLen);
        JCSystem.beginTransaction();
        slots.labelLength[slot] = (byte) labelLen;
        slots.algorithm[slot] = alg;
        slots.clearPending = Slots.NO_SLOT;
        JCSystem.commitTransaction();
        sendPublicKey(apdu, slot);
    }

    private void emptySlot(short slot) {
        slots.algorithm[slot] = Constants.ALG_NONE;
        slots.labelLength[slot] = 0;
        slots.certBuffer[slot] = Slots.NO_CERT;
        slots.certLength[slot] = 0;
    }

    private void clearKeys(short slot) {
        slots.ec[slot].getPrivate().clearKey();
        slots.ec[slot].getPublic().clearKey();
        if (slots.rsaSupported) {
            slots.rsa[slot].getPrivate().clearKey();
            slots.rsa[slot].getPublic().clearKey();
        }
    }

    /** 7F49 { 86 W } for EC, 7F49 { 81 n, 82 e } for RSA (ISO 7816-8 public key template). */
    private void sendPublicKey(APDU apdu, short slot) {
        byte[] s = t.scratch;
        KeyPair kp = keyIn(slot);
        short total;
        if (slots.algorithm[slot] == Constants.ALG_EC_P256) {
            short wLen = ((ECPublicKey) kp.getPublic()).getW(s, (short) 5);
            Util.setShort(s, (short) 0, Constants.TAG_PUBLIC_KEY);
            s[2] = (byte) (wLen + 2);
            s[3] = Constants.TAG_EC_POINT;
            s[4] = (byte) wLen;
            total = (short) (5 + wLen);
        } else {
            RSAPublicKey pub = (RSAPublicKey) kp.getPublic();
            short modLen = pub.getModulus(s, (short) 9);
            s[5] = Constants.TAG_RSA_MODULUS;
            s[6] = (byte) 0x82;
            Util.setShort(s, (short) 7, modLen);
            short e = (short) (9 + modLen);
            short expLen = pub.getExponent(s, (short) (e + 2));
            s[e] = Constants.TAG_RSA_EXPONENT;
            s[(short) (e + 1)] = (byte) expLen;
            short inner = (short) (4 + modLen + 2 + expLen);
            Util.setShort(s, (short) 0, Constants.TAG_PUBLIC_KEY);
            s[2] = (byte) 0x82;
            Util.setShort(s, (short) 3, inner);
            total = (short) (5 + inner);
        }
        sendLong(apdu, Transients.RESP_SCRATCH, (short) 0, total);
    }

    private void deleteKey(APDU apdu, byte[] buf) {
        short slot = slotFrom(buf[ISO7816.OFFSET_P1]);
        if (buf[ISO7816.OFFSET_P2] != 0) ISOException.throwIt(Constants.SW_INCORRECT_P1P2);
        requirePin();
        keyIn(slot);
        JCSystem.beginTransaction();
        emptySlot(slot);
        slots.clearPending = (byte) slot;
        JCSystem.commitTransaction();
        completePendingClear();
    }

    private void listSlots(APDU apdu, byte[] buf) {
        if (p1p2(buf) != 0) ISOException.throwIt(Constants.SW_INCORRECT_P1P2);
        byte[] s = t.scratch;
        short o = 0;
        for (short slot = 0; slot < Constants.SLOT_COUNT; slot++) {
            short ll = slots.labelLength[slot];
            s[o++] = Constants.TAG_SLOT;
            s[o++] = (byte) (3 + 3 + 2 + ll + 4);
            s[o++] = Constants.TAG_SLOT_NUMBER; s[o++] = 1; s[o++] = (byte) slot;
            s[o++] = Constants.TAG_SLOT_ALGORITHM; s[o++] = 1; s[o++] = slots.algorithm[slot];
            s[o++] = Constants.TAG_SLOT_LABEL; s[o++] = (byte) ll;
            o = Util.arrayCopyNonAtomic(slots.labels, slots.labelOffset(slot), s, o, ll);
            s[o++] = Constants.TAG_SLOT_CERT_LENGTH; s[o++] = 2;
            o = Util.setShort(s, o, slots.certLength[slot]);
        }
        sendLong(apdu, Transients.RESP_SCRATCH, (short) 0, o);
    }

    // ---- Certificates ----------------------------------------------------------------------------

    private void putCertificate(APDU apdu, byte[] buf, boolean chained, short insKey, short p1p2) {
        short slot = slotFrom(buf[ISO7816.OFFSET_P1]);
        if (buf[ISO7816.OFFSET_P2] != 0) ISOException.throwIt(Constants.SW_INCORRECT_P1P2);
        requirePin();
        keyIn(slot);
        short len = receive(apdu);
        if (t.chainIns() == 0) t.startChain(insKey, p1p2, slots.freeBuffer());
        short stage = t.chainStage();
        short have = t.chainLength();
        if ((short) (Constants.CERT_MAX - have) < len) {
            t.clearChain();
            ISOException.throwIt(Constants.SW_FILE_FULL);
        }
        byte[] target = slots.pool(stage);
        Util.arrayCopyNonAtomic(buf, apdu.getOffsetCdata(), target, have, len);
        have = (short) (have + len);
        if (chained) {
            t.chainLength(have);
            return;
        }
        t.clearChain();
        if (have > 0 && target[0] != (byte) 0x30) ISOException.throwIt(Constants.SW_WRONG_DATA); // DER SEQUENCE
        JCSystem.beginTransaction();
        slots.certBuffer[slot] = have == 0 ? Slots.NO_CERT : (byte) stage;
        slots.certLength[slot] = have;
        JCSystem.commitTransaction();
    }

    private void getCertificate(APDU apdu, byte[] buf) {
        short slot = slotFrom(buf[ISO7816.OFFSET_P1]);
        if (buf[ISO7816.OFFSET_P2] != 0) ISOException.throwIt(Constants.SW_INCORRECT_P1P2);
        byte b = slots.certBuffer[slot];
        if (b == Slots.NO_CERT || slots.algorithm[slot] == Constants.ALG_NONE) {
            ISOException.throwIt(Constants.SW_REFERENCED_DATA_NOT_FOUND);
        }
        sendLong(apdu, (short) (Transients.RESP_CERT_BASE + b), (short) 0, slots.certLength[slot]);
    }

    // ---- Private-key operations (the card's part of the split, claims 42, 47-48) -----------------

    private void sign(APDU apdu, byte[] buf) {
        short slot = slotFrom(buf[ISO7816.OFFSET_P1]);
        byte mech = buf[ISO7816.OFFSET_P2];
        if (mech != Constants.MECH_ECDSA_PREHASHED && mech != Constants.MECH_RSA_PKCS1_DIGESTINFO) {
            ISOException.throwIt(Constants.SW_INCORRECT_P1P2);
        }
        requirePin();
        KeyPair kp = keyIn(slot);
        short len = receive(apdu);
        short off = apdu.getOffsetCdata();
        short n;
        if (mech == Constants.MECH_ECDSA_PREHASHED) {
            if (slots.algorithm[slot] != Constants.ALG_EC_P256) ISOException.throwIt(Constants.SW_CONDITIONS_NOT_SATISFIED);
            if (len != Constants.ECDSA_HASH_LENGTH) ISOException.throwIt(Constants.SW_WRONG_LENGTH);
            crypto.ecdsa.init(kp.getPrivate(), javacard.security.Signature.MODE_SIGN);
            n = crypto.ecdsa.signPreComputedHash(buf, off, len, t.scratch, Transients.SCRATCH_OUT);
        } else {
            if (slots.algorithm[slot] != Constants.ALG_RSA_2048) ISOException.throwIt(Constants.SW_CONDITIONS_NOT_SATISFIED);
            if (len == 0 || len > Constants.RSA_PKCS1_MAX_INPUT) ISOException.throwIt(Constants.SW_WRONG_LENGTH);
            // PKCS#1 v1.5 type 1 padding of the host's DigestInfo with the private key = RSASSA-PKCS1-v1_5.
            crypto.rsaPkcs1.init(kp.getPrivate(), javacardx.crypto.Cipher.MODE_ENCRYPT);
            n = crypto.rsaPkcs1.doFinal(buf, off, len, t.scratch, Transients.SCRATCH_OUT);
        }
        sendLong(apdu, Transients.RESP_SCRATCH, Transients.SCRATCH_OUT, n);
    }

    private void decrypt(APDU apdu, byte[] buf, boolean chained, short insKey, short p1p2) {
        short slot = slotFrom(buf[ISO7816.OFFSET_P1]);
        if (buf[ISO7816.OFFSET_P2] != Constants.MECH_RSA_PKCS1_DECRYPT) ISOException.throwIt(Constants.SW_INCORRECT_P1P2);
        requirePin();
        KeyPair kp = keyIn(slot);
        if (slots.algorithm[slot] != Constants.ALG_RSA_2048) ISOException.throwIt(Constants.SW_CONDITIONS_NOT_SATISFIED);
        short len = receive(apdu);
        if (t.chainIns() == 0) t.startChain(insKey, p1p2, (short) 0);
        short have = t.chainLength();
        if ((short) (Constants.RSA_MODULUS_LENGTH - have) < len) {
            t.clearChain();
            ISOException.throwIt(Constants.SW_WRONG_LENGTH);
        }
        Util.arrayCopyNonAtomic(buf, apdu.getOffsetCdata(), t.scratch, have, len);
        have = (short) (have + len);
        if (chained) {
            t.chainLength(have);
            return;
        }
        t.clearChain();
        if (have != Constants.RSA_MODULUS_LENGTH) ISOException.throwIt(Constants.SW_WRONG_LENGTH);
        crypto.rsaPkcs1.init(kp.getPrivate(), javacardx.crypto.Cipher.MODE_DECRYPT);
        short n = crypto.rsaPkcs1.doFinal(t.scratch, (short) 0, have, t.scratch, Transients.SCRATCH_OUT);
        sendLong(apdu, Transients.RESP_SCRATCH, Transients.SCRATCH_OUT, n);
    }

    private void ecdh(APDU apdu, byte[] buf) {
        short slot = slotFrom(buf[ISO7816.OFFSET_P1]);
        if (buf[ISO7816.OFFSET_P2] != 0) ISOException.throwIt(Constants.SW_INCORRECT_P1P2);
        requirePin();
        KeyPair kp = keyIn(slot);
        if (slots.algorithm[slot] != Constants.ALG_EC_P256) ISOException.throwIt(Constants.SW_CONDITIONS_NOT_SATISFIED);
        short len = receive(apdu);
        short off = apdu.getOffsetCdata();
        if (len != Constants.EC_POINT_LENGTH) ISOException.throwIt(Constants.SW_WRONG_LENGTH);
        if (buf[off] != (byte) 0x04) ISOException.throwIt(Constants.SW_WRONG_DATA);
        crypto.ecdh.init(kp.getPrivate());
        short n = crypto.ecdh.generateSecret(buf, off, len, t.scratch, Transients.SCRATCH_OUT);
        sendLong(apdu, Transients.RESP_SCRATCH, Transients.SCRATCH_OUT, n);
    }
}
