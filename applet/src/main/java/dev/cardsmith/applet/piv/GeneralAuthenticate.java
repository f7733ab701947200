package dev.cardsmith.applet.piv;

import dev.cardsmith.applet.platform.ApduIo;
import dev.cardsmith.applet.platform.P256;
import dev.cardsmith.applet.platform.Sw;
import dev.cardsmith.applet.platform.Tlv;
import javacard.framework.APDU;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.Util;
import javacard.security.CryptoException;
import javacard.security.KeyAgreement;
import javacard.security.KeyPair;
import javacard.security.RSAPublicKey;
import javacard.security.RandomData;
import javacard.security.Signature;
import javacardx.crypto.Cipher;

/**
 * GENERAL AUTHENTICATE (SP 800-73-4 Part 2, 3.2.4): P1 = algorithm, P2 = key reference, data =
 * the dynamic authentication template 7C, read with the strict TLV reader (each of 80, 81, 82,
 * 85 at most once, nothing else). Key reference 9B goes to {@link ManagementKey}; for 9A, 9C,
 * 9D, 9E the template must be {@code 82 00} plus exactly one of
 * <ul>
 * <li>{@code 81 L data}: 9A/9C/9E sign (RSA: a block {@link RsaPolicy} allows; P-256 / P-384:
 * ECDSA over the hash, truncated or left-padded to 32 / 48 bytes, DER signature); 9D with RSA decrypts
 * ({@link RsaPolicy#reencode}); 9D with P-256 refuses (6A80: the key-management key never signs);</li>
 * <li>{@code 85 L point}: ECDH with 9D only, the point checked on P-256 first (6A80).</li>
 * </ul>
 * The answer is {@code 7C L 82 L result}. The slot's PIN policy ({@link Pins#requireForSlot}) is
 * checked once the template is well-formed and before any private-key use.
 */
final class GeneralAuthenticate {

    private static final short W = 0;
    private static final short C = 1;
    private static final short R = 2;
    private static final short E = 3;
    private static final short LEN = 4;
    /** Results are written at scratch[RESULT..]; the response header goes right before them. */
    private static final short RESULT = 8;
    private static final short EC_INPUT = 8;
    private static final short EC_RESULT = 64;
    /** After a 256-byte RSA result: RsaPolicy's work area (132 bytes for PSS, 32 for re-encoding). */
    static final short WORK = (short) (RESULT + Constants.RSA_BYTES);
    static final short SCRATCH_SIZE = (short) (WORK + 132);

    private final Signature ecdsa;
    private final Signature ecdsa384;
    private final KeyAgreement ecdh;
    private final Cipher rsa;
    private final RsaPolicy policy;
    /** Value offsets (-1: absent) and lengths of 80, 81, 82, 85 in the template. */
    private final short[] t;

    GeneralAuthenticate(boolean rsaSupported, RandomData random) {
        ecdsa = Signature.getInstance(Signature.ALG_ECDSA_SHA_256, false);
        ecdh = KeyAgreement.getInstance(KeyAgreement.ALG_EC_SVDP_DH_PLAIN, false);
        Signature s384 = null;
        try {
            s384 = Signature.getInstance(Signature.ALG_ECDSA_SHA_384, false);
        } catch (CryptoException e) {
            s384 = null;
        }
        ecdsa384 = s384;
        Cipher c = null;
        if (rsaSupported) {
            try {
                c = Cipher.getInstance(Cipher.ALG_RSA_NOPAD, false);
            } catch (CryptoException e) {
                c = null;
            }
        }
        rsa = c;
        policy = new RsaPolicy(random);
        t = JCSystem.makeTransientShortArray((short) 8, JCSystem.CLEAR_ON_DESELECT);
    }

    boolean rsaAvailable() {
        return rsa != null;
    }

    boolean p384Available() {
        return ecdsa384 != null;
    }

    void process(APDU apdu, ApduIo io, Tlv tlv, boolean longAllowed, KeySlots slots, Pins pins, ManagementKey mgmt, byte[] s) {
        byte[] buf = apdu.getBuffer();
        byte alg = buf[ISO7816.OFFSET_P1];
        byte ref = buf[ISO7816.OFFSET_P2];
        short len = io.receive(apdu, (short) 2, Constants.STAGING, longAllowed);
        if (len == ApduIo.IN_CHAIN) return;
        byte[] in = io.data(apdu);
        parse(tlv, in, io.dataOffset(apdu), len);
        if (ref == Constants.KEY_MANAGEMENT_ADMIN) {
            if (alg != mgmt.alg) ISOException.throwIt(Sw.INCORRECT_P1P2);
            short n = mgmt.respond(in, t, s);
            if (n > 0) io.send(apdu, s, (short) 0, n);
            return;
        }
        byte slot = KeySlots.slotOf(ref);
        KeyPair kp = slots.pair(slot);
        if (alg != slots.algorithm[slot]) ISOException.throwIt(Sw.INCORRECT_P1P2);
        boolean exponentiation = t[E] >= 0;
        if (t[R] < 0 || t[(short) (LEN + R)] != 0 || t[W] >= 0 || exponentiation == (t[C] >= 0)) ISOException.throwIt(Sw.WRONG_DATA);
        short v = exponentiation ? t[E] : t[C];
        short vl = exponentiation ? t[(short) (LEN + E)] : t[(short) (LEN + C)];
        if (vl == 0) ISOException.throwIt(Sw.WRONG_DATA);
        pins.requireForSlot(slot);
        short field = KeySlots.fieldLength(alg);
        boolean ec = field != 0;
        short at;
        short n;
        if (exponentiation) {
            if (slot != Constants.SLOT_9D || alg != Constants.ALG_EC_P256) ISOException.throwIt(Sw.WRONG_DATA);
            P256.checkPoint(in, v, vl, s, RESULT); // the invalid-curve attack: (1,1) and friends
            ecdh.init(kp.getPrivate());
            at = RESULT;
            n = ecdh.generateSecret(in, v, vl, s, RESULT);
        } else if (ec) {
            if (slot == Constants.SLOT_9D) ISOException.throwIt(Sw.WRONG_DATA);
            // the hash as an integer of the field's size: its leftmost bytes, or left-padded
            Util.arrayFillNonAtomic(s, EC_INPUT, field, (byte) 0);
            short take = vl < field ? vl : field;
            Util.arrayCopyNonAtomic(in, v, s, (short) (EC_INPUT + field - take), take);
            Signature sig = field == Constants.EC_FIELD_BYTES ? ecdsa : ecdsa384;
            sig.init(kp.getPrivate(), Signature.MODE_SIGN);
            at = EC_RESULT;
            n = sig.signPreComputedHash(s, EC_INPUT, field, s, EC_RESULT);
        } else {
            if (vl != Constants.RSA_BYTES || rsa == null) ISOException.throwIt(Sw.WRONG_DATA);
            if (slot == Constants.SLOT_9D) {
                requireBelowModulus(in, v, (RSAPublicKey) kp.getPublic(), s);
            } else {
                policy.requireSignatureBlock(in, v, s, WORK);
            }
            rsa.init(kp.getPrivate(), Cipher.MODE_DECRYPT);
            short got = rsa.doFinal(in, v, Constants.RSA_BYTES, s, RESULT);
            if (got < Constants.RSA_BYTES) { // a platform that drops leading zero bytes: right-align
                short lead = (short) (Constants.RSA_BYTES - got);
                Util.arrayCopyNonAtomic(s, RESULT, s, (short) (RESULT + lead), got);
                Util.arrayFillNonAtomic(s, RESULT, lead, (byte) 0);
            }
            if (slot == Constants.SLOT_9D) policy.reencode(s, RESULT, in, v, s, WORK);
            at = RESULT;
            n = Constants.RSA_BYTES;
        }
        short start = wrap(s, at, n);
        io.send(apdu, s, start, (short) (at + n - start));
    }

    /** 6A80 unless the ciphertext, as an unsigned number, is below the modulus (public information). */
    private static void requireBelowModulus(byte[] c, short off, RSAPublicKey pub, byte[] s) {
        pub.getModulus(s, RESULT);
        for (short i = 0; i < Constants.RSA_BYTES; i++) {
            short a = (short) (c[(short) (off + i)] & 0xFF);
            short b = (short) (s[(short) (RESULT + i)] & 0xFF);
            if (a < b) return;
            if (a > b) break;
        }
        ISOException.throwIt(Sw.WRONG_DATA);
    }

    /** Writes 7C L 82 L right before s[at..at+n); returns where the template starts. */
    private static short wrap(byte[] s, short at, short n) {
        short h82 = headerLength(n);
        short inner = (short) (h82 + n);
        short start = (short) (at - h82 - headerLength(inner));
        Tlv.putHeader(s, Tlv.putHeader(s, start, Constants.TAG_DYNAMIC_AUTH, inner), Constants.TAG_RESPONSE, n);
        return start;
    }

    private static short headerLength(short n) {
        return n < 0x80 ? (short) 2 : n < 0x100 ? (short) 3 : (short) 4;
    }

    /** Reads 7C { 80 | 81 | 82 | 85 ... } into {@link #t}; 6A80 for anything else or a repeat. */
    private void parse(Tlv tlv, byte[] in, short off, short len) {
        for (short i = 0; i < LEN; i++) {
            t[i] = -1;
            t[(short) (LEN + i)] = 0;
        }
        tlv.start(in, off, len);
        tlv.expect((short) (Constants.TAG_DYNAMIC_AUTH & 0xFF), (short) 0, Constants.STAGING);
        tlv.enter();
        while (tlv.next()) {
            short tag = tlv.tag();
            short i = tag == (short) (Constants.TAG_WITNESS & 0xFF) ? W
                    : tag == (short) (Constants.TAG_CHALLENGE & 0xFF) ? C
                    : tag == (short) (Constants.TAG_RESPONSE & 0xFF) ? R
                    : tag == (short) (Constants.TAG_EXPONENTIATION & 0xFF) ? E : (short) -1;
            if (i < 0 || t[i] >= 0) ISOException.throwIt(Sw.WRONG_DATA);
            t[i] = tlv.valueOffset();
            t[(short) (LEN + i)] = tlv.length();
        }
        tlv.leave();
        tlv.finish();
    }
}
