package dev.cardsmith.applet.sim;

import javacard.framework.JCSystem;
import javacard.framework.Util;
import javacard.security.AESKey;
import javacard.security.KeyAgreement;
import javacard.security.KeyBuilder;
import javacard.security.KeyPair;
import javacard.security.MessageDigest;
import javacard.security.RandomData;
import javacard.security.Signature;
import javacardx.crypto.Cipher;

/** Crypto engines and session keys, created once at install. */
final class Crypto {

    final Cipher aesCbc;
    final Signature cmac;
    final Signature ecdsa;
    final RandomData random;
    final MessageDigest sha256;
    final KeyAgreement ecdh;
    final KeyPair ephemeral;
    /** Session keys of the authenticated terminal session (cleared on deselect / reset). */
    final AESKey sessionEnc;
    final AESKey sessionMac;
    /** Scratch key for one-off operations (trust-key wrap source). */
    final AESKey scratchKey;
    private final byte[] zeroIv;

    Crypto(Curve curve) {
        aesCbc = Cipher.getInstance(Cipher.ALG_AES_BLOCK_128_CBC_NOPAD, false);
        cmac = Signature.getInstance(Signature.ALG_AES_CMAC_128, false);
        ecdsa = Signature.getInstance(Signature.ALG_ECDSA_SHA_256, false);
        random = RandomData.getInstance(RandomData.ALG_SECURE_RANDOM);
        sha256 = MessageDigest.getInstance(MessageDigest.ALG_SHA_256, false);
        ecdh = KeyAgreement.getInstance(KeyAgreement.ALG_EC_SVDP_DH_PLAIN, false);
        ephemeral = new KeyPair(KeyPair.ALG_EC_FP, KeyBuilder.LENGTH_EC_FP_256);
        curve.setParams((javacard.security.ECKey) ephemeral.getPublic());
        curve.setParams((javacard.security.ECKey) ephemeral.getPrivate());
        sessionEnc = (AESKey) KeyBuilder.buildKey(KeyBuilder.TYPE_AES_TRANSIENT_DESELECT, KeyBuilder.LENGTH_AES_128, false);
        sessionMac = (AESKey) KeyBuilder.buildKey(KeyBuilder.TYPE_AES_TRANSIENT_DESELECT, KeyBuilder.LENGTH_AES_128, false);
        scratchKey = (AESKey) KeyBuilder.buildKey(KeyBuilder.TYPE_AES_TRANSIENT_DESELECT, KeyBuilder.LENGTH_AES_128, false);
        zeroIv = JCSystem.makeTransientByteArray(Constants.AES_BLOCK, JCSystem.CLEAR_ON_RESET);
    }

    /** Full 16-byte AES-CMAC of in[off..off+len) into out[outOff]. */
    short cmac(AESKey key, byte[] in, short off, short len, byte[] out, short outOff) {
        cmac.init(key, Signature.MODE_SIGN);
        return cmac.sign(in, off, len, out, outOff);
    }

    /** AES-CBC, IV zero, in place or to out; len must be a multiple of 16. */
    short cbc(AESKey key, byte mode, byte[] in, short off, short len, byte[] out, short outOff) {
        Util.arrayFillNonAtomic(zeroIv, (short) 0, Constants.AES_BLOCK, (byte) 0);
        aesCbc.init(key, mode, zeroIv, (short) 0, Constants.AES_BLOCK);
        return aesCbc.doFinal(in, off, len, out, outOff);
    }

    /** MAC comparison in time independent of where the first difference lies. */
    static boolean equal(byte[] a, short ao, byte[] b, short bo, short len) {
        byte diff = 0;
        for (short i = 0; i < len; i++) diff |= (byte) (a[(short) (ao + i)] ^ b[(short) (bo + i)]);
        return diff == 0;
    }

    void random(byte[] buf, short off, short len) {
        random.generateData(buf, off, len);
    }

    void clearSession() {
        sessionEnc.clearKey();
        sessionMac.clearKey();
        scratchKey.clearKey();
    }
}
