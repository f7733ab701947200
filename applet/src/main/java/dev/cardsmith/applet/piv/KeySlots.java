package dev.cardsmith.applet.piv;

import dev.cardsmith.applet.platform.P256;
import dev.cardsmith.applet.platform.Sw;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.Util;
import javacard.security.CryptoException;
import javacard.security.ECKey;
import javacard.security.ECPrivateKey;
import javacard.security.ECPublicKey;
import javacard.security.KeyBuilder;
import javacard.security.KeyPair;
import javacard.security.RSAPrivateCrtKey;
import javacard.security.RSAPublicKey;

/**
 * The four PIV key slots 9A, 9C, 9D, 9E: per slot its algorithm (00 empty, 07 RSA-2048, 11 P-256,
 * 14 P-384) and the key record it points to. A record holds a P-256, a P-384 (when the chip has
 * it) and an RSA-2048 CRT key pair object. There is one record more than there are slots, the spare: GENERATE makes the new
 * key in the spare and then flips the slot to it in one short transaction, so a card torn at any
 * moment keeps the old key or has the new one (the T2 tear finding: the spare record).
 * {@link #clearPending} names the slot whose unused key objects must still be cleared; the next
 * command finishes a clear a tear interrupted, so no old private bytes stay behind.
 */
final class KeySlots {

    static final byte NO_SLOT = (byte) 0xFF;
    static final short RECORDS = (short) (Constants.SLOT_COUNT + 1);
    private static final byte[] KEY_REFS = {
        Constants.KEY_AUTHENTICATION, Constants.KEY_SIGNATURE, Constants.KEY_KEY_MANAGEMENT, Constants.KEY_CARD_AUTHENTICATION,
    };

    final KeyPair[] ec;
    final KeyPair[] ec384;
    final KeyPair[] rsa;
    final boolean rsaSupported;
    final boolean p384Supported;
    /** The record of each slot; the one no slot names is the spare. */
    final byte[] record;
    final byte[] algorithm;
    byte clearPending = NO_SLOT;

    KeySlots() {
        ec = new KeyPair[RECORDS];
        for (short i = 0; i < RECORDS; i++) {
            ECPublicKey pub = (ECPublicKey) KeyBuilder.buildKey(KeyBuilder.TYPE_EC_FP_PUBLIC, KeyBuilder.LENGTH_EC_FP_256, false);
            ECPrivateKey priv = (ECPrivateKey) KeyBuilder.buildKey(KeyBuilder.TYPE_EC_FP_PRIVATE, KeyBuilder.LENGTH_EC_FP_256, false);
            P256.setCurve(pub);
            P256.setCurve(priv);
            ec[i] = new KeyPair(pub, priv);
        }
        KeyPair[] e = new KeyPair[RECORDS];
        boolean ok = true;
        try {
            for (short i = 0; i < RECORDS; i++) {
                ECPublicKey pub = (ECPublicKey) KeyBuilder.buildKey(KeyBuilder.TYPE_EC_FP_PUBLIC, KeyBuilder.LENGTH_EC_FP_384, false);
                ECPrivateKey priv = (ECPrivateKey) KeyBuilder.buildKey(KeyBuilder.TYPE_EC_FP_PRIVATE, KeyBuilder.LENGTH_EC_FP_384, false);
                e[i] = new KeyPair(pub, priv);
            }
        } catch (CryptoException x) {
            ok = false;
        }
        p384Supported = ok;
        ec384 = ok ? e : null;
        KeyPair[] r = new KeyPair[RECORDS];
        ok = true;
        try {
            for (short i = 0; i < RECORDS; i++) {
                RSAPublicKey pub = (RSAPublicKey) KeyBuilder.buildKey(KeyBuilder.TYPE_RSA_PUBLIC, KeyBuilder.LENGTH_RSA_2048, false);
                RSAPrivateCrtKey priv = (RSAPrivateCrtKey) KeyBuilder.buildKey(KeyBuilder.TYPE_RSA_CRT_PRIVATE, KeyBuilder.LENGTH_RSA_2048, false);
                r[i] = new KeyPair(pub, priv);
            }
        } catch (CryptoException x) {
            ok = false;
        }
        rsaSupported = ok;
        rsa = ok ? r : null;
        record = new byte[Constants.SLOT_COUNT];
        for (short i = 0; i < Constants.SLOT_COUNT; i++) record[i] = (byte) i;
        algorithm = new byte[Constants.SLOT_COUNT];
    }

    /** The slot of a key reference 9A/9C/9D/9E; 6A86 for any other. */
    static byte slotOf(byte keyRef) {
        for (byte s = 0; s < Constants.SLOT_COUNT; s++) {
            if (KEY_REFS[s] == keyRef) return s;
        }
        ISOException.throwIt(Sw.INCORRECT_P1P2);
        return NO_SLOT;
    }

    /** An asymmetric algorithm this card generates: 07 (with RSA), 11, 14 (with P-384). */
    boolean algorithmSupported(byte alg) {
        return alg == Constants.ALG_EC_P256 || (alg == Constants.ALG_RSA_2048 && rsaSupported)
                || (alg == Constants.ALG_EC_P384 && p384Supported);
    }

    /** Field bytes of an EC algorithm (32 or 48), 0 for RSA. */
    static short fieldLength(byte alg) {
        if (alg == Constants.ALG_EC_P256) return Constants.EC_FIELD_BYTES;
        if (alg == Constants.ALG_EC_P384) return Constants.EC384_FIELD_BYTES;
        return 0;
    }

    /** The key pair of a slot; 6A88 when the slot is empty. */
    KeyPair pair(byte slot) {
        byte alg = algorithm[slot];
        if (alg == Constants.ALG_EC_P256) return ec[record[slot]];
        if (alg == Constants.ALG_EC_P384 && p384Supported) return ec384[record[slot]];
        if (alg == Constants.ALG_RSA_2048 && rsaSupported) return rsa[record[slot]];
        ISOException.throwIt(Sw.REFERENCED_DATA_NOT_FOUND);
        return null;
    }

    /** The record no slot points to. */
    short spare() {
        for (short r = 0; r < RECORDS; r++) {
            boolean used = false;
            for (short s = 0; s < Constants.SLOT_COUNT; s++) {
                if (record[s] == r) used = true;
            }
            if (!used) return r;
        }
        return 0; // unreachable: SLOT_COUNT distinct records out of SLOT_COUNT + 1
    }

    /**
     * GENERATE into the spare record, then flip: the slot points to the new record with the new
     * algorithm (one transaction), and the old record, now the spare, is cleared. Uses
     * scratch[off..off+32).
     */
    void generate(byte slot, byte alg, byte[] scratch, short off) {
        short spare = spare();
        JCSystem.beginTransaction();
        clearPending = slot; // a tear from here on: the next command clears the spare
        JCSystem.commitTransaction();
        clearRecord(spare);
        if (alg == Constants.ALG_EC_P256) {
            generateEc(ec[spare], scratch, off);
        } else if (alg == Constants.ALG_EC_P384) {
            generateEc(ec384[spare], scratch, off);
        } else {
            rsa[spare].genKeyPair();
        }
        JCSystem.beginTransaction();
        record[slot] = (byte) spare;
        algorithm[slot] = alg;
        JCSystem.commitTransaction();
        completePendingClear();
    }

    /** Clears the spare record (and the slot's own when the slot is empty), then drops the mark. */
    void completePendingClear() {
        byte s = clearPending;
        if (s == NO_SLOT) return;
        clearRecord(spare());
        if (s >= 0 && s < Constants.SLOT_COUNT && algorithm[s] == Constants.ALG_NONE) clearRecord(record[s]);
        clearPending = NO_SLOT;
    }

    /**
     * A P-256 or P-384 key pair in (re-used) key objects; again while the private value is not
     * reported with its full length (jCardSim keeps a stale byte when the new value is one byte
     * shorter, leaving a private key that does not match the public one). scratch[off..off+48)
     * is zeroed.
     */
    static void generateEc(KeyPair kp, byte[] scratch, short off) {
        short field = (short) (kp.getPrivate().getSize() / 8);
        short n;
        do {
            setCurve((ECKey) kp.getPublic(), field); // needed again after clearKey()
            setCurve((ECKey) kp.getPrivate(), field);
            kp.genKeyPair();
            n = ((ECPrivateKey) kp.getPrivate()).getS(scratch, off);
            Util.arrayFillNonAtomic(scratch, off, field, (byte) 0);
        } while (n != field);
    }

    private static void setCurve(ECKey k, short field) {
        if (field == Constants.EC384_FIELD_BYTES) {
            P384.setCurve(k);
        } else {
            P256.setCurve(k);
        }
    }

    private void clearRecord(short rec) {
        ec[rec].getPrivate().clearKey();
        ec[rec].getPublic().clearKey();
        if (p384Supported) {
            ec384[rec].getPrivate().clearKey();
            ec384[rec].getPublic().clearKey();
        }
        if (rsaSupported) {
            rsa[rec].getPrivate().clearKey();
            rsa[rec].getPublic().clearKey();
        }
    }

    /**
     * The public key template 7F49 of a slot into out[off..]: { 81 n, 82 e } for RSA, { 86 point }
     * for EC; returns its length. With {@code bare}, only the inner TLVs (GET METADATA tag 04).
     */
    short publicKey(byte slot, byte[] out, short off, boolean bare) {
        KeyPair kp = pair(slot);
        short o = (short) (off + (bare ? 0 : 5));
        if (fieldLength(algorithm[slot]) != 0) {
            out[o++] = Constants.TAG_EC_POINT;
            short w = ((ECPublicKey) kp.getPublic()).getW(out, (short) (o + 1));
            out[o++] = (byte) w;
            o += w;
        } else {
            RSAPublicKey pub = (RSAPublicKey) kp.getPublic();
            out[o++] = Constants.TAG_RSA_MODULUS;
            out[o++] = (byte) 0x82;
            o = Util.setShort(out, o, Constants.RSA_BYTES);
            o += pub.getModulus(out, o);
            out[o++] = Constants.TAG_RSA_EXPONENT;
            short lenAt = o++;
            short e = pub.getExponent(out, o);
            out[lenAt] = (byte) e;
            o += e;
        }
        if (bare) return (short) (o - off);
        short inner = (short) (o - off - 5);
        Util.setShort(out, off, Constants.TAG_PUBLIC_KEY);
        if (inner < 128) { // DER: the short length form
            out[(short) (off + 2)] = (byte) inner;
            Util.arrayCopyNonAtomic(out, (short) (off + 5), out, (short) (off + 3), inner);
            return (short) (3 + inner);
        }
        out[(short) (off + 2)] = (byte) 0x82;
        Util.setShort(out, (short) (off + 3), inner);
        return (short) (o - off);
    }
}
