package dev.cardsmith.applet.csp;

import dev.cardsmith.applet.platform.ApduIo;
import dev.cardsmith.applet.platform.CommandTable;
import dev.cardsmith.applet.platform.InstallParams;
import dev.cardsmith.applet.platform.P256;
import dev.cardsmith.applet.platform.Sw;
import dev.cardsmith.applet.platform.Tlv;
import javacard.framework.APDU;
import javacard.framework.Applet;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.OwnerPIN;
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
 *
 * <p>Built on the platform layer: ApduIo (inbound chaining of DECRYPT and PUT CERTIFICATE into
 * its persistent staging buffer, outbound 61xx / GET RESPONSE), the dispatch table below, Sw and
 * its exception policy, P256 (the ECDH peer point is checked on the curve), Tlv.
 */
public final class CspApplet extends Applet {

    /** The applet has one lifecycle state (0): the table says which INS exist and which take chaining. */
    private static final byte STATE = 0;
    private static final byte ANY = CommandTable.ANY_STATE;
    private static final byte[] TABLE = {
        Constants.INS_VERIFY,                       ANY, 0,
        Constants.INS_CHANGE_REFERENCE_DATA,        ANY, 0,
        Constants.INS_RESET_RETRY_COUNTER,          ANY, 0,
        Constants.INS_GET_CHALLENGE,                ANY, 0,
        Constants.INS_GET_RESPONSE,                 ANY, 0, // a CLA that is not 00 (ApduIo answers 00 C0)
        Constants.INS_GENERATE_ASYMMETRIC_KEY_PAIR, ANY, 0,
        Constants.INS_SIGN,                         ANY, 0,
        Constants.INS_DECRYPT,                      ANY, CommandTable.LONG,
        Constants.INS_ECDH,                         ANY, 0,
        Constants.INS_LIST_SLOTS,                   ANY, 0,
        Constants.INS_PUT_CERTIFICATE,              ANY, CommandTable.LONG,
        Constants.INS_GET_CERTIFICATE,              ANY, 0,
        Constants.INS_DELETE_KEY,                   ANY, 0,
    };

    private static final byte[] DEFAULT_PIN = {'1', '2', '3', '4', '5', '6'};
    private static final byte[] DEFAULT_PUK = {'1', '2', '3', '4', '5', '6', '7', '8'};

    private final OwnerPIN pin;
    private final OwnerPIN puk;
    private final Slots slots;
    private final Crypto crypto;
    private final Transients t;
    private final ApduIo io;
    private final CommandTable table;
    private final Tlv tlv;

    private CspApplet(byte[] params, short pOff, short pLen) {
        pin = new OwnerPIN(Constants.PIN_TRY_LIMIT, Constants.PIN_MAX_LENGTH);
        puk = new OwnerPIN(Constants.PUK_TRY_LIMIT, Constants.PUK_LENGTH);
        if (pLen == 0) {
            pin.update(DEFAULT_PIN, (short) 0, (byte) DEFAULT_PIN.length);
            puk.update(DEFAULT_PUK, (short) 0, (byte) DEFAULT_PUK.length);
        } else {
            // application parameters: LV(PIN) || LV(PUK)
            short pinLen = (short) (params[pOff] & 0xFF);
            if ((short) (1 + pinLen + 1) > pLen) ISOException.throwIt(Sw.WRONG_DATA);
            short pukOff = (short) (pOff + 1 + pinLen);
            short pukLen = (short) (params[pukOff] & 0xFF);
            if ((short) (2 + pinLen + pukLen) != pLen || !pinLengthOk(pinLen) || pukLen != Constants.PUK_LENGTH) {
                ISOException.throwIt(Sw.WRONG_DATA);
            }
            pin.update(params, (short) (pOff + 1), (byte) pinLen);
            puk.update(params, (short) (pukOff + 1), (byte) pukLen);
        }
        slots = new Slots();
        crypto = new Crypto(slots.rsaSupported);
        t = new Transients();
        // the one persistent staging buffer: a chained certificate (or DECRYPT input) lands here,
        // is validated, and only then copied into its slot's certificate buffer (Slots)
        io = new ApduIo(Constants.CERT_MAX);
        table = new CommandTable(TABLE);
        tlv = new Tlv((short) 0);
    }

    /** GlobalPlatform install data: LV(instance AID) || LV(privileges) || LV(application parameters). */
    public static void install(byte[] bArray, short bOffset, byte bLength) {
        CspApplet applet = new CspApplet(bArray, InstallParams.paramsOffset(bArray, bOffset, bLength),
                InstallParams.paramsLength(bArray, bOffset, bLength));
        applet.register(bArray, InstallParams.aidOffset(bArray, bOffset), InstallParams.aidLength(bArray, bOffset));
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
        completePendingCopy();  // a torn PUT CERTIFICATE: finish copying the validated certificate
        if (selectingApplet()) {
            sendAppInfo(apdu);
            return;
        }
        try {
            if (io.begin(apdu)) return;
            byte[] buf = apdu.getBuffer();
            byte ins = buf[ISO7816.OFFSET_INS];
            byte flags = table.check(ins, STATE);
            byte cla = (byte) (buf[ISO7816.OFFSET_CLA] & (byte) ~ApduIo.CLA_CHAINING);
            if (cla != (isIso(ins) ? Constants.CLA_ISO : Constants.CLA_PROPRIETARY)) ISOException.throwIt(Sw.CLA_NOT_SUPPORTED);
            dispatch(apdu, buf, ins, (flags & CommandTable.LONG) != 0);
        } catch (RuntimeException e) {
            io.abort();
            ISOException.throwIt(Sw.forException(e));
        } finally {
            completePendingClear(); // a failed generation leaves no half-made key behind
        }
    }

    /**
     * Clears the unused key objects clearPending stands for (the spare record's; the slot's own
     * record when the slot is empty), then drops the mark.
     */
    private void completePendingClear() {
        byte s = slots.clearPending;
        if (s == Slots.NO_SLOT) return;
        slots.clearRecord(slots.spare());
        if (s >= 0 && s < Constants.SLOT_COUNT && slots.algorithm[s] == Constants.ALG_NONE) slots.clearRecord(slots.record[s]);
        slots.clearPending = Slots.NO_SLOT;
    }

    /**
     * Copies the certificate PUT CERTIFICATE validated in the staging buffer into the slot named by
     * copyPending, then publishes its length. Runs right after PUT CERTIFICATE's journal commit and,
     * after a tear, before any other command can touch the staging buffer.
     */
    private void completePendingCopy() {
        byte s = slots.copyPending;
        if (s == Slots.NO_SLOT) return;
        short len = slots.copyLength;
        Util.arrayCopyNonAtomic(io.staging(), (short) 0, slots.certificate(s), (short) 0, len);
        JCSystem.beginTransaction();
        slots.certLength[s] = len;
        slots.copyPending = Slots.NO_SLOT;
        JCSystem.commitTransaction();
    }

    private static boolean isIso(byte ins) {
        return ins == Constants.INS_VERIFY || ins == Constants.INS_CHANGE_REFERENCE_DATA || ins == Constants.INS_RESET_RETRY_COUNTER
                || ins == Constants.INS_GET_CHALLENGE || ins == Constants.INS_GET_RESPONSE || ins == Constants.INS_GENERATE_ASYMMETRIC_KEY_PAIR;
    }

    private void dispatch(APDU apdu, byte[] buf, byte ins, boolean longAllowed) {
        switch (ins) {
            case Constants.INS_VERIFY: verify(apdu, buf); return;
            case Constants.INS_CHANGE_REFERENCE_DATA: changeReferenceData(apdu, buf); return;
            case Constants.INS_RESET_RETRY_COUNTER: resetRetryCounter(apdu, buf); return;
            case Constants.INS_GET_CHALLENGE: getChallenge(apdu, buf); return;
            case Constants.INS_GENERATE_ASYMMETRIC_KEY_PAIR: generateOrRead(apdu, buf); return;
            case Constants.INS_SIGN: sign(apdu, buf); return;
            case Constants.INS_DECRYPT: decrypt(apdu, buf, longAllowed); return;
            case Constants.INS_ECDH: ecdh(apdu, buf); return;
            case Constants.INS_LIST_SLOTS: listSlots(apdu, buf); return;
            case Constants.INS_PUT_CERTIFICATE: putCertificate(apdu, buf, longAllowed); return;
            case Constants.INS_GET_CERTIFICATE: getCertificate(apdu, buf); return;
            case Constants.INS_DELETE_KEY: deleteKey(apdu, buf); return;
            default: ISOException.throwIt(Sw.CLA_NOT_SUPPORTED); // GET RESPONSE with a CLA other than 00
        }
    }

    /** Receives the whole (unchained) data field into the APDU buffer. */
    private short receive(APDU apdu) {
        return io.receive(apdu, (short) 0, (short) 255, false);
    }

    private void requirePin() {
        if (pin.getTriesRemaining() == 0) ISOException.throwIt(Sw.AUTH_METHOD_BLOCKED);
        if (!pin.isValidated()) ISOException.throwIt(Sw.SECURITY_STATUS_NOT_SATISFIED);
    }

    private static short slotFrom(byte p) {
        if (p < 0 || p >= Constants.SLOT_COUNT) ISOException.throwIt(Sw.INCORRECT_P1P2);
        return p;
    }

    private KeyPair keyIn(short slot) {
        KeyPair kp = slots.pair(slot);
        if (kp == null) ISOException.throwIt(Sw.REFERENCED_DATA_NOT_FOUND);
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

    private static short p1p2(byte[] buf) {
        return Util.getShort(buf, ISO7816.OFFSET_P1);
    }

    // ---- PIN (claim 44: user verification guards the security manager's functions) -------------

    private OwnerPIN pinRef(byte p2) {
        if (p2 == Constants.PIN_USER) return pin;
        if (p2 == Constants.PIN_PUK) return puk;
        ISOException.throwIt(Sw.INCORRECT_P1P2);
        return null;
    }

    private static void failed(OwnerPIN p) {
        byte left = p.getTriesRemaining();
        if (left == 0) ISOException.throwIt(Sw.AUTH_METHOD_BLOCKED);
        ISOException.throwIt((short) (Sw.VERIFY_FAILED_TRIES | left));
    }

    private void verify(APDU apdu, byte[] buf) {
        if (buf[ISO7816.OFFSET_P1] != 0 || buf[ISO7816.OFFSET_P2] != Constants.PIN_USER) {
            ISOException.throwIt(Sw.INCORRECT_P1P2);
        }
        short len = receive(apdu);
        if (len == 0) {
            if (pin.isValidated()) return;
            failed(pin);
        }
        if (!pinLengthOk(len)) ISOException.throwIt(Sw.WRONG_DATA);
        if (pin.getTriesRemaining() == 0) ISOException.throwIt(Sw.AUTH_METHOD_BLOCKED);
        if (!pin.check(buf, apdu.getOffsetCdata(), (byte) len)) failed(pin);
    }

    /**
     * Parses LV(first) || LV(second) and checks both lengths; returns the offset of the second LV.
     */
    private static short twoLv(byte[] buf, short off, short len, boolean secondIsPuk) {
        if (len < 2) ISOException.throwIt(Sw.WRONG_DATA);
        short l1 = (short) (buf[off] & 0xFF);
        if ((short) (l1 + 2) > len) ISOException.throwIt(Sw.WRONG_DATA);
        short o2 = (short) (off + 1 + l1);
        short l2 = (short) (buf[o2] & 0xFF);
        if ((short) (l1 + l2 + 2) != len) ISOException.throwIt(Sw.WRONG_DATA);
        if (secondIsPuk ? l2 != Constants.PUK_LENGTH : !pinLengthOk(l2)) ISOException.throwIt(Sw.WRONG_DATA);
        if (l1 > Constants.PUK_LENGTH || l1 == 0) ISOException.throwIt(Sw.WRONG_DATA);
        return o2;
    }

    private void changeReferenceData(APDU apdu, byte[] buf) {
        if (buf[ISO7816.OFFSET_P1] != 0) ISOException.throwIt(Sw.INCORRECT_P1P2);
        OwnerPIN ref = pinRef(buf[ISO7816.OFFSET_P2]);
        short len = receive(apdu);
        short off = apdu.getOffsetCdata();
        short o2 = twoLv(buf, off, len, ref == puk);
        if (ref.getTriesRemaining() == 0) ISOException.throwIt(Sw.AUTH_METHOD_BLOCKED);
        if (!ref.check(buf, (short) (off + 1), buf[off])) failed(ref);
        JCSystem.beginTransaction();
        ref.update(buf, (short) (o2 + 1), buf[o2]);
        JCSystem.commitTransaction();
    }

    private void resetRetryCounter(APDU apdu, byte[] buf) {
        if (buf[ISO7816.OFFSET_P1] != 0 || buf[ISO7816.OFFSET_P2] != Constants.PIN_USER) {
            ISOException.throwIt(Sw.INCORRECT_P1P2);
        }
        short len = receive(apdu);
        short off = apdu.getOffsetCdata();
        short o2 = twoLv(buf, off, len, false);
        if (puk.getTriesRemaining() == 0) ISOException.throwIt(Sw.AUTH_METHOD_BLOCKED);
        if (!puk.check(buf, (short) (off + 1), buf[off])) failed(puk);
        JCSystem.beginTransaction();
        pin.update(buf, (short) (o2 + 1), buf[o2]);
        JCSystem.commitTransaction();
        puk.reset();
    }

    // ---- Random (C_GenerateRandom) ---------------------------------------------------------------

    private void getChallenge(APDU apdu, byte[] buf) {
        if (p1p2(buf) != 0) ISOException.throwIt(Sw.INCORRECT_P1P2);
        io.requireNoData(apdu);
        short le = apdu.setOutgoing();
        if (le <= 0 || le > 256) le = 256;
        crypto.random.generateData(t.scratch, (short) 0, le);
        apdu.setOutgoingLength(le);
        apdu.sendBytesLong(t.scratch, (short) 0, le);
    }

    // ---- Keys ------------------------------------------------------------------------------------

    private void generateOrRead(APDU apdu, byte[] buf) {
        byte p1 = buf[ISO7816.OFFSET_P1];
        short slot = slotFrom(buf[ISO7816.OFFSET_P2]);
        if (p1 == Constants.P1_READ_PUBLIC) {
            io.requireNoData(apdu);
            keyIn(slot);
            sendPublicKey(apdu, slot);
            return;
        }
        if (p1 != Constants.P1_GENERATE) ISOException.throwIt(Sw.INCORRECT_P1P2);
        requirePin();
        short len = receive(apdu);
        // data: 80 01 alg [81 L label], strict BER-TLV
        tlv.start(buf, apdu.getOffsetCdata(), len);
        tlv.expect((short) (Constants.TAG_GEN_ALGORITHM & 0xFF), (short) 1, (short) 1);
        byte alg = buf[tlv.valueOffset()];
        short labelOff = 0;
        short labelLen = 0;
        if (tlv.hasMore()) {
            labelLen = tlv.expect((short) (Constants.TAG_GEN_LABEL & 0xFF), (short) 0, Constants.LABEL_MAX);
            labelOff = tlv.valueOffset();
        }
        tlv.finish();
        if (alg != Constants.ALG_EC_P256 && alg != Constants.ALG_RSA_2048) ISOException.throwIt(Sw.FUNC_NOT_SUPPORTED);
        if (alg == Constants.ALG_RSA_2048 && (!slots.rsaSupported || crypto.rsaPkcs1 == null)) {
            ISOException.throwIt(Sw.FUNC_NOT_SUPPORTED);
        }
        // Keep the label in RAM: the APDU buffer is overwritten by the response.
        Util.arrayCopyNonAtomic(buf, labelOff, t.scratch, Transients.SCRATCH_LABEL, labelLen);

        // The old key stays usable until the final transaction: the new one is made in the spare
        // key record, which no slot points to. clearPending (one atomic store) makes the next
        // command clear the spare should a tear or a failure stop generation half-way.
        short spare = slots.spare();
        slots.clearPending = (byte) slot;
        if (alg == Constants.ALG_EC_P256) {
            Slots.generateEc(slots.ec[spare], t.scratch, (short) 0);
        } else {
            slots.rsa[spare].genKeyPair();
        }
        Util.arrayCopyNonAtomic(t.scratch, Transients.SCRATCH_LABEL, slots.labels, Slots.labelOffset(spare), labelLen);

        // the flip: old key or new key, never none; the old record becomes the spare
        JCSystem.beginTransaction();
        slots.record[slot] = (byte) spare;
        slots.algorithm[slot] = alg;
        slots.labelLength[slot] = (byte) labelLen;
        slots.certLength[slot] = 0; // the certificate belonged to the old key
        JCSystem.commitTransaction();
        completePendingClear(); // the old key's objects, now the spare
        sendPublicKey(apdu, slot);
    }

    private void emptySlot(short slot) {
        slots.algorithm[slot] = Constants.ALG_NONE;
        slots.labelLength[slot] = 0;
        slots.certLength[slot] = 0;
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
        io.send(apdu, t.scratch, (short) 0, total);
    }

    private void deleteKey(APDU apdu, byte[] buf) {
        short slot = slotFrom(buf[ISO7816.OFFSET_P1]);
        if (buf[ISO7816.OFFSET_P2] != 0) ISOException.throwIt(Sw.INCORRECT_P1P2);
        io.requireNoData(apdu);
        requirePin();
        keyIn(slot);
        JCSystem.beginTransaction();
        emptySlot(slot);
        slots.clearPending = (byte) slot;
        JCSystem.commitTransaction();
        completePendingClear();
    }

    private void listSlots(APDU apdu, byte[] buf) {
        if (p1p2(buf) != 0) ISOException.throwIt(Sw.INCORRECT_P1P2);
        io.requireNoData(apdu);
        byte[] s = t.scratch;
        short o = 0;
        for (short slot = 0; slot < Constants.SLOT_COUNT; slot++) {
            short ll = slots.labelLength[slot];
            s[o++] = Constants.TAG_SLOT;
            s[o++] = (byte) (3 + 3 + 2 + ll + 4);
            s[o++] = Constants.TAG_SLOT_NUMBER; s[o++] = 1; s[o++] = (byte) slot;
            s[o++] = Constants.TAG_SLOT_ALGORITHM; s[o++] = 1; s[o++] = slots.algorithm[slot];
            s[o++] = Constants.TAG_SLOT_LABEL; s[o++] = (byte) ll;
            o = Util.arrayCopyNonAtomic(slots.labels, Slots.labelOffset(slots.record[slot]), s, o, ll);
            s[o++] = Constants.TAG_SLOT_CERT_LENGTH; s[o++] = 2;
            o = Util.setShort(s, o, slots.certLength[slot]);
        }
        io.send(apdu, t.scratch, (short) 0, o);
    }

    // ---- Certificates ----------------------------------------------------------------------------

    /**
     * PUT CERTIFICATE: validate first, then write. The whole certificate (chained or not) is first
     * in the staging buffer (ApduIo's, or copied there from the APDU buffer) - which nothing reads -
     * and checked there; only then one transaction records "copy the staging buffer into slot s"
     * (copyPending, and the slot's certificate length 0), the copy runs, and a second transaction
     * publishes the length. A tear before the first commit keeps the old certificate; after it, the
     * next command finishes the copy (completePendingCopy) before anything can reuse the staging.
     */
    private void putCertificate(APDU apdu, byte[] buf, boolean longAllowed) {
        short slot = slotFrom(buf[ISO7816.OFFSET_P1]);
        if (buf[ISO7816.OFFSET_P2] != 0) ISOException.throwIt(Sw.INCORRECT_P1P2);
        requirePin();
        keyIn(slot);
        short len = io.receive(apdu, (short) 0, Constants.CERT_MAX, longAllowed);
        if (len == ApduIo.IN_CHAIN) return;
        byte[] src = io.data(apdu);
        short off = io.dataOffset(apdu);
        if (len > 0 && src[off] != (byte) 0x30) ISOException.throwIt(Sw.WRONG_DATA); // a DER SEQUENCE
        byte[] staging = io.staging();
        if (src != staging) Util.arrayCopyNonAtomic(src, off, staging, (short) 0, len);
        JCSystem.beginTransaction();
        slots.certLength[slot] = 0;
        if (len > 0) {
            slots.copyPending = (byte) slot;
            slots.copyLength = len;
        }
        JCSystem.commitTransaction();
        completePendingCopy();
    }

    private void getCertificate(APDU apdu, byte[] buf) {
        short slot = slotFrom(buf[ISO7816.OFFSET_P1]);
        if (buf[ISO7816.OFFSET_P2] != 0) ISOException.throwIt(Sw.INCORRECT_P1P2);
        io.requireNoData(apdu);
        short len = slots.certLength[slot];
        if (len == 0 || slots.algorithm[slot] == Constants.ALG_NONE) ISOException.throwIt(Sw.REFERENCED_DATA_NOT_FOUND);
        io.send(apdu, slots.certificate(slot), (short) 0, len);
    }

    // ---- Private-key operations (the card's part of the split, claims 42, 47-48) -----------------

    private void sign(APDU apdu, byte[] buf) {
        short slot = slotFrom(buf[ISO7816.OFFSET_P1]);
        byte mech = buf[ISO7816.OFFSET_P2];
        if (mech != Constants.MECH_ECDSA_PREHASHED && mech != Constants.MECH_RSA_PKCS1_DIGESTINFO) {
            ISOException.throwIt(Sw.INCORRECT_P1P2);
        }
        requirePin();
        KeyPair kp = keyIn(slot);
        short len = receive(apdu);
        short off = apdu.getOffsetCdata();
        short n;
        if (mech == Constants.MECH_ECDSA_PREHASHED) {
            if (slots.algorithm[slot] != Constants.ALG_EC_P256) ISOException.throwIt(Sw.CONDITIONS_NOT_SATISFIED);
            if (len != Constants.ECDSA_HASH_LENGTH) ISOException.throwIt(Sw.WRONG_LENGTH);
            crypto.ecdsa.init(kp.getPrivate(), javacard.security.Signature.MODE_SIGN);
            n = crypto.ecdsa.signPreComputedHash(buf, off, len, t.scratch, (short) 0);
        } else {
            if (slots.algorithm[slot] != Constants.ALG_RSA_2048) ISOException.throwIt(Sw.CONDITIONS_NOT_SATISFIED);
            if (len == 0 || len > Constants.RSA_PKCS1_MAX_INPUT) ISOException.throwIt(Sw.WRONG_LENGTH);
            // PKCS#1 v1.5 type 1 padding of the host's DigestInfo with the private key = RSASSA-PKCS1-v1_5.
            crypto.rsaPkcs1.init(kp.getPrivate(), javacardx.crypto.Cipher.MODE_ENCRYPT);
            n = crypto.rsaPkcs1.doFinal(buf, off, len, t.scratch, (short) 0);
        }
        io.send(apdu, t.scratch, (short) 0, n);
    }

    private void decrypt(APDU apdu, byte[] buf, boolean longAllowed) {
        short slot = slotFrom(buf[ISO7816.OFFSET_P1]);
        if (buf[ISO7816.OFFSET_P2] != Constants.MECH_RSA_PKCS1_DECRYPT) ISOException.throwIt(Sw.INCORRECT_P1P2);
        requirePin();
        KeyPair kp = keyIn(slot);
        if (slots.algorithm[slot] != Constants.ALG_RSA_2048) ISOException.throwIt(Sw.CONDITIONS_NOT_SATISFIED);
        // the 256-byte ciphertext: a chain of two APDUs, staged by ApduIo
        short len = io.receive(apdu, Constants.RSA_MODULUS_LENGTH, Constants.RSA_MODULUS_LENGTH, longAllowed);
        if (len == ApduIo.IN_CHAIN) return;
        crypto.rsaPkcs1.init(kp.getPrivate(), javacardx.crypto.Cipher.MODE_DECRYPT);
        short n;
        try {
            n = crypto.rsaPkcs1.doFinal(io.data(apdu), io.dataOffset(apdu), len, t.scratch, (short) 0);
        } catch (CryptoException e) {
            ISOException.throwIt(Sw.WRONG_DATA); // not a PKCS#1 v1.5 type 2 block: a refusal, not a fault
            return;
        }
        io.send(apdu, t.scratch, (short) 0, n);
    }

    private void ecdh(APDU apdu, byte[] buf) {
        short slot = slotFrom(buf[ISO7816.OFFSET_P1]);
        if (buf[ISO7816.OFFSET_P2] != 0) ISOException.throwIt(Sw.INCORRECT_P1P2);
        requirePin();
        KeyPair kp = keyIn(slot);
        if (slots.algorithm[slot] != Constants.ALG_EC_P256) ISOException.throwIt(Sw.CONDITIONS_NOT_SATISFIED);
        short len = receive(apdu);
        short off = apdu.getOffsetCdata();
        if (len != Constants.EC_POINT_LENGTH) ISOException.throwIt(Sw.WRONG_LENGTH);
        // the peer point on P-256 (04 || X || Y, y^2 = x^3 - 3x + b): an off-curve point would make
        // the private key answer in a small subgroup of another curve (invalid-curve attack)
        P256.checkPoint(buf, off, len, t.scratch, (short) 0);
        crypto.ecdh.init(kp.getPrivate());
        short n = crypto.ecdh.generateSecret(buf, off, len, t.scratch, (short) 0);
        io.send(apdu, t.scratch, (short) 0, n);
    }
}
