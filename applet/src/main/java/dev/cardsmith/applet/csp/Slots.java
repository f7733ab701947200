package dev.cardsmith.applet.csp;

import dev.cardsmith.applet.platform.P256;
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
 * The persistent key slots: per slot the active algorithm, a label length, a certificate and the
 * key record it points to ({@link #record}). A key record holds an EC P-256 key pair object, an
 * RSA-2048 CRT key pair object (when the chip has RSA) and the label bytes. There is one record
 * more than there are slots: the spare, the one no slot points to. GENERATE makes the new key and
 * writes the label into the spare, then flips the slot to it in one short transaction; the old
 * record becomes the spare and is cleared. A tear at any point leaves the old key or the new one.
 *
 * <p>Certificates: one CERT_MAX buffer per slot, plus the applet's one persistent staging
 * buffer (ApduIo's, declared in CspApplet): PUT CERTIFICATE receives and validates the whole
 * certificate there first - no slot buffer is written for a refused certificate - then journals
 * the copy ({@link #copyPending}) in one transaction, copies, and publishes the length in a second
 * one. A card torn during PUT CERTIFICATE keeps the old certificate (before the journal) or gets
 * the new one (the next command finishes the copy), never a mix. Same EEPROM as the earlier
 * SLOT_COUNT + 1 buffer pool, and the staging also carries DECRYPT's chained input.
 */
final class Slots {

    static final byte NO_SLOT = (byte) 0xFF;

    /** Key records: SLOT_COUNT + 1, one of them the spare. */
    static final short RECORDS = (short) (Constants.SLOT_COUNT + 1);

    final KeyPair[] ec;
    final KeyPair[] rsa;
    /** The key record of each slot; the records named here are distinct, the one left out is the spare. */
    final byte[] record;
    final boolean rsaSupported;
    final byte[] algorithm;
    final byte[] labelLength;
    final byte[] labels;
    /** Certificate length per slot (0: none). */
    final short[] certLength;
    private final Object[] certPool;
    /** The slot whose certificate is being copied from the staging buffer (journal), or NO_SLOT. */
    byte copyPending = NO_SLOT;
    short copyLength;
    /**
     * The slot whose unused key objects still have to be cleared (the spare record's, and the
     * slot's own record when the slot is empty): set by GENERATE before it writes the spare and by
     * DELETE KEY together with the slot's "empty" marks, dropped once those keys are cleared. A
     * tear in between leaves it set, and the next command clears them first, so no old or
     * half-made private bytes stay in EEPROM.
     */
    byte clearPending = NO_SLOT;

    Slots() {
        short n = RECORDS;
        ec = new KeyPair[n];
        for (short i = 0; i < n; i++) {
            ECPublicKey pub = (ECPublicKey) KeyBuilder.buildKey(KeyBuilder.TYPE_EC_FP_PUBLIC, KeyBuilder.LENGTH_EC_FP_256, false);
            ECPrivateKey priv = (ECPrivateKey) KeyBuilder.buildKey(KeyBuilder.TYPE_EC_FP_PRIVATE, KeyBuilder.LENGTH_EC_FP_256, false);
            P256.setCurve(pub);
            P256.setCurve(priv);
            ec[i] = new KeyPair(pub, priv);
        }
        KeyPair[] r = new KeyPair[n];
        boolean ok = true;
        try {
            for (short i = 0; i < n; i++) {
                RSAPublicKey pub = (RSAPublicKey) KeyBuilder.buildKey(KeyBuilder.TYPE_RSA_PUBLIC, KeyBuilder.LENGTH_RSA_2048, false);
                RSAPrivateCrtKey priv = (RSAPrivateCrtKey) KeyBuilder.buildKey(KeyBuilder.TYPE_RSA_CRT_PRIVATE, KeyBuilder.LENGTH_RSA_2048, false);
                r[i] = new KeyPair(pub, priv);
            }
        } catch (CryptoException e) {
            ok = false;
        }
        rsaSupported = ok;
        rsa = ok ? r : null;
        labels = new byte[(short) (n * Constants.LABEL_MAX)];
        n = Constants.SLOT_COUNT;
        record = new byte[n];
        for (short i = 0; i < n; i++) record[i] = (byte) i;
        algorithm = new byte[n];
        labelLength = new byte[n];
        certLength = new short[n];
        certPool = new Object[n];
        for (short i = 0; i < n; i++) certPool[i] = new byte[Constants.CERT_MAX];
    }

    /** The certificate buffer of a slot. */
    byte[] certificate(short slot) {
        return (byte[]) certPool[slot];
    }

    /** The key record no slot points to. */
    short spare() {
        for (short r = 0; r < RECORDS; r++) {
            boolean used = false;
            for (short slot = 0; slot < Constants.SLOT_COUNT; slot++) {
                if (record[slot] == r) used = true;
            }
            if (!used) return r;
        }
        return 0; // unreachable: SLOT_COUNT distinct records out of SLOT_COUNT + 1
    }

    /**
     * Generates a P-256 key pair in (re-used) key objects. Again while the private value
     * is not reported with its full 32 bytes: jCardSim's genKeyPair on a key object that held a key
     * keeps a stale byte when the new value is one byte shorter (1 in 256), leaving a private key
     * that does not match the public one. Uses scratch[off..off+32), zeroed after.
     */
    static void generateEc(KeyPair kp, byte[] scratch, short off) {
        short n;
        do {
            P256.setCurve((ECKey) kp.getPublic()); // needed again after clearKey()
            P256.setCurve((ECKey) kp.getPrivate());
            kp.genKeyPair();
            n = ((ECPrivateKey) kp.getPrivate()).getS(scratch, off);
            Util.arrayFillNonAtomic(scratch, off, (short) 32, (byte) 0);
        } while (n != (short) 32);
    }

    KeyPair pair(short slot) {
        byte alg = algorithm[slot];
        if (alg == Constants.ALG_EC_P256) return ec[record[slot]];
        if (alg == Constants.ALG_RSA_2048 && rsaSupported) return rsa[record[slot]];
        return null;
    }

    /** Where a key record's label starts in {@link #labels}. */
    static short labelOffset(short rec) {
        return (short) (rec * Constants.LABEL_MAX);
    }

    /** Clears both key pairs of a key record. */
    void clearRecord(short rec) {
        ec[rec].getPrivate().clearKey();
        ec[rec].getPublic().clearKey();
        if (rsaSupported) {
            rsa[rec].getPrivate().clearKey();
            rsa[rec].getPublic().clearKey();
        }
    }
}
