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
 * The persistent key slots: per slot an EC P-256 key pair object, an RSA-2048 CRT key pair
 * object (when the chip has RSA), the active algorithm, a label and a certificate.
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

    final KeyPair[] ec;
    final KeyPair[] rsa;
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
     * The slot whose key objects still have to be cleared: committed together with the slot's
     * "empty" marks (GENERATE, DELETE KEY), dropped once its keys are cleared, or published by
     * GENERATE's final transaction. A tear in between leaves it set, and the next command clears
     * the keys first, so no old private bytes stay in EEPROM.
     */
    byte clearPending = NO_SLOT;

    Slots() {
        short n = Constants.SLOT_COUNT;
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
        algorithm = new byte[n];
        labelLength = new byte[n];
        labels = new byte[(short) (n * Constants.LABEL_MAX)];
        certLength = new short[n];
        certPool = new Object[n];
        for (short i = 0; i < n; i++) certPool[i] = new byte[Constants.CERT_MAX];
    }

    /** The certificate buffer of a slot. */
    byte[] certificate(short slot) {
        return (byte[]) certPool[slot];
    }

    /**
     * Generates a P-256 key pair in a slot's (re-used) key objects. Again while the private value
     * is not reported with its full 32 bytes: jCardSim's genKeyPair on a key object that held a key
     * keeps a stale byte when the new value is one byte shorter (1 in 256), leaving a private key
     * that does not match the public one. Uses scratch[off..off+32), zeroed after.
     */
    void generateEc(short slot, byte[] scratch, short off) {
        generateEc(ec[slot], scratch, off);
    }

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
        if (alg == Constants.ALG_EC_P256) return ec[slot];
        if (alg == Constants.ALG_RSA_2048 && rsaSupported) return rsa[slot];
        return null;
    }

    short labelOffset(short slot) {
        return (short) (slot * Constants.LABEL_MAX);
    }
}
