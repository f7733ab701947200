package dev.cardsmith.applet.csp;

import javacard.framework.Util;
import javacard.security.CryptoException;
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
 * <p>Certificates live in a pool of SLOT_COUNT + 1 buffers: a new certificate is written into
 * the buffer no slot uses and then swapped in with one transaction, so a card torn during
 * PUT CERTIFICATE keeps the old certificate whole (never a mix of old and new bytes).
 */
final class Slots {

    static final byte NO_CERT = (byte) 0xFF;
    static final byte NO_SLOT = (byte) 0xFF;
    static final short POOL_SIZE = (short) (Constants.SLOT_COUNT + 1);

    final KeyPair[] ec;
    final KeyPair[] rsa;
    final boolean rsaSupported;
    final byte[] algorithm;
    final byte[] labelLength;
    final byte[] labels;
    final byte[] certBuffer;
    final short[] certLength;
    private final Object[] certPool;
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
        certBuffer = new byte[n];
        certLength = new short[n];
        Util.arrayFillNonAtomic(certBuffer, (short) 0, n, NO_CERT);
        certPool = new Object[POOL_SIZE];
        for (short i = 0; i < POOL_SIZE; i++) certPool[i] = new byte[Constants.CERT_MAX];
    }

    byte[] pool(short index) {
        return (byte[]) certPool[index];
    }

    /** The pool buffer that no slot references (there is always one). */
    short freeBuffer() {
        for (short b = 0; b < POOL_SIZE; b++) {
            boolean used = false;
            for (short s = 0; s < Constants.SLOT_COUNT; s++) {
                if (certBuffer[s] == (byte) b) used = true;
            }
            if (!used) return b;
        }
        return 0; // unreachable: POOL_SIZE > SLOT_COUNT
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
