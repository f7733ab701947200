package dev.cardsmith.applet.module;

import dev.cardsmith.applet.platform.AesCmac;
import dev.cardsmith.applet.platform.P256;
import javacard.framework.Util;
import javacard.security.AESKey;
import javacard.security.CryptoException;
import javacard.security.ECPrivateKey;
import javacard.security.ECPublicKey;
import javacard.security.Key;
import javacard.security.KeyAgreement;
import javacard.security.KeyBuilder;
import javacard.security.KeyPair;
import javacard.security.MessageDigest;
import javacard.security.RandomData;
import javacard.security.Signature;
import javacardx.crypto.Cipher;

/**
 * Crypto engines created once (ECDSA P-256/SHA-256, ECDH, AES-CMAC, AES-CBC, SHA-256, RNG),
 * P-256 key objects (domain parameters from the layer's {@link P256}), the ANSI X9.63 KDF (GP
 * SCP11 style) and the plain-to-DER signature conversion BSI TR-03110 certificates need (they
 * carry r||s). Secure messaging is {@link SecureMessaging}.
 */
final class Crypto {

    /**
     * Install-time switch, tests only: when true, the next instance declines the platform CMAC so
     * the whole protocol can run on the layer's software AES-CMAC in jCardSim (which has the
     * platform one). Never set by the applet; a card leaves it false. docs/module.md "Algorithms".
     */
    static boolean forceSoftwareCmac;

    final Signature ecdsa;
    /** AES-CMAC: the platform's ALG_AES_CMAC_128 where present, else software over {@link #aesEcb}. */
    final AesCmac cmac;
    final Cipher aesCbc;
    final Cipher aesEcb;
    final MessageDigest sha256;
    final KeyAgreement ecdh;
    /** d·G for the module key formed from the variation value (JC 3.0.5 optional; null = not offered). */
    final KeyAgreement ecdhXy;
    final RandomData random;
    /** Transient session keys: secure-messaging ENC / C-MAC / R-MAC (perso) or receipt key (central). */
    final AESKey sEnc;
    final AESKey sMac;
    final AESKey sRmac;
    /**
     * Ephemeral key agreement key (one per PERSO INITIATE / CENTRAL AUTHENTICATE). The private
     * part is a CLEAR_ON_DESELECT transient key where the platform has that type (JC 3.0.5
     * TYPE_EC_FP_PRIVATE_TRANSIENT_DESELECT, optional): no EEPROM write per session and no
     * private bytes ever left in EEPROM. Without it (CryptoException NO_SUCH_ALGORITHM, e.g.
     * jCardSim) a persistent key, cleared right after the agreement. With PLAIN_XY the public
     * point is computed into RAM (d·G), so the persistent public key object is only written on
     * platforms without PLAIN_XY (genKeyPair needs a public key object).
     */
    final ECPrivateKey ePriv;
    final KeyPair ePair;
    /** True when {@link #ePriv} is a transient key object. */
    final boolean eTransient;

    Crypto() {
        ecdsa = Signature.getInstance(Signature.ALG_ECDSA_SHA_256, false);
        aesCbc = Cipher.getInstance(Cipher.ALG_AES_BLOCK_128_CBC_NOPAD, false);
        aesEcb = Cipher.getInstance(Cipher.ALG_AES_BLOCK_128_ECB_NOPAD, false);
        cmac = new AesCmac(aesEcb, !forceSoftwareCmac);
        sha256 = MessageDigest.getInstance(MessageDigest.ALG_SHA_256, false);
        ecdh = KeyAgreement.getInstance(KeyAgreement.ALG_EC_SVDP_DH_PLAIN, false);
        random = RandomData.getInstance(RandomData.ALG_SECURE_RANDOM);
        KeyAgreement xy = null;
        try {
            xy = KeyAgreement.getInstance(KeyAgreement.ALG_EC_SVDP_DH_PLAIN_XY, false);
        } catch (CryptoException e) {
            xy = null; // platform without PLAIN_XY: the variation value only seeds the generator
        }
        ecdhXy = xy;
        sEnc = (AESKey) KeyBuilder.buildKey(KeyBuilder.TYPE_AES_TRANSIENT_DESELECT, KeyBuilder.LENGTH_AES_128, false);
        sMac = (AESKey) KeyBuilder.buildKey(KeyBuilder.TYPE_AES_TRANSIENT_DESELECT, KeyBuilder.LENGTH_AES_128, false);
        sRmac = (AESKey) KeyBuilder.buildKey(KeyBuilder.TYPE_AES_TRANSIENT_DESELECT, KeyBuilder.LENGTH_AES_128, false);
        ECPrivateKey e;
        boolean tr;
        try {
            e = (ECPrivateKey) KeyBuilder.buildKey(KeyBuilder.TYPE_EC_FP_PRIVATE_TRANSIENT_DESELECT, KeyBuilder.LENGTH_EC_FP_256, false);
            tr = true;
        } catch (CryptoException x) {
            if (x.getReason() != CryptoException.NO_SUCH_ALGORITHM) throw x;
            e = (ECPrivateKey) KeyBuilder.buildKey(KeyBuilder.TYPE_EC_FP_PRIVATE, KeyBuilder.LENGTH_EC_FP_256, false);
            tr = false;
        }
        ePriv = e;
        eTransient = tr;
        P256.setCurve(ePriv);
        ePair = new KeyPair(newP256PublicKey(), ePriv);
    }

    /**
     * Forms a fresh ephemeral key: the private value in {@link #ePriv}, the public point
     * (65 bytes) at out[outOff]. Uses ram[work..work+80), zeroed after. The curve is set again
     * each time: a transient key loses it on deselect, clearKey may drop it.
     */
    void newEphemeral(byte[] out, short outOff, byte[] ram, short work) {
        if (ecdhXy == null) {
            generate(ePair, ram, work);
            ((ECPublicKey) ePair.getPublic()).getW(out, outOff);
            return;
        }
        short d = (short) (work + 48);
        do {
            random.generateData(ram, d, (short) 32);
        } while (!validScalar(ram, d));
        P256.setCurve(ePriv);
        ePriv.setS(ram, d, (short) 32);
        Util.arrayFillNonAtomic(ram, d, (short) 32, (byte) 0);
        ecdhXy.init(ePriv);
        ecdhXy.generateSecret(P256.G, (short) 0, (short) P256.G.length, out, outOff);
    }

    /** Drops the ephemeral private value (after the agreement; again on every session end). */
    void clearEphemeral() {
        if (ePriv.isInitialized()) ePriv.clearKey();
    }

    static ECPublicKey newP256PublicKey() {
        ECPublicKey k = (ECPublicKey) KeyBuilder.buildKey(KeyBuilder.TYPE_EC_FP_PUBLIC, KeyBuilder.LENGTH_EC_FP_256, false);
        P256.setCurve(k);
        return k;
    }

    static ECPrivateKey newP256PrivateKey() {
        ECPrivateKey k = (ECPrivateKey) KeyBuilder.buildKey(KeyBuilder.TYPE_EC_FP_PRIVATE, KeyBuilder.LENGTH_EC_FP_256, false);
        P256.setCurve(k);
        return k;
    }

    /**
     * Generates a fresh key pair; the curve is re-set first because clearKey() may drop it. Again
     * while the private value is not reported with its full 32 bytes: jCardSim's genKeyPair on a
     * re-used key object keeps a stale byte when the new value is one byte shorter (1 in 256), so
     * the private key would not match the public one. Uses scratch[off..off+32), zeroed after.
     */
    static void generate(KeyPair pair, byte[] scratch, short off) {
        short n;
        do {
            P256.setCurve((ECPublicKey) pair.getPublic());
            P256.setCurve((ECPrivateKey) pair.getPrivate());
            pair.genKeyPair();
            n = ((ECPrivateKey) pair.getPrivate()).getS(scratch, off);
            Util.arrayFillNonAtomic(scratch, off, (short) 32, (byte) 0);
        } while (n != (short) 32);
    }

    /**
     * Claim 10: forms the module key pair from the card's randomness AND the perso unit's
     * variation value: d = SHA-256(random(32) || V(16)) (again while d = 0 or d >= n), W = d·G
     * through ALG_EC_SVDP_DH_PLAIN_XY. The random part keeps d secret even from the perso unit.
     * Without PLAIN_XY on the platform, V seeds the generator before genKeyPair(). Uses
     * ram[work..work+80).
     */
    void formKeyWithVariation(KeyPair pair, byte[] v, short vOff, byte[] ram, short work) {
        if (ecdhXy == null) {
            random.setSeed(v, vOff, Constants.VARIATION_LENGTH);
            generate(pair, ram, work);
            return;
        }
        ECPrivateKey priv = (ECPrivateKey) pair.getPrivate();
        ECPublicKey pub = (ECPublicKey) pair.getPublic();
        P256.setCurve(priv);
        P256.setCurve(pub);
        short d = (short) (work + 48);
        do {
            random.generateData(ram, work, (short) 32);
            Util.arrayCopyNonAtomic(v, vOff, ram, (short) (work + 32), Constants.VARIATION_LENGTH);
            sha256.doFinal(ram, work, (short) 48, ram, d);
        } while (!validScalar(ram, d));
        priv.setS(ram, d, (short) 32);
        ecdhXy.init(priv);
        short n = ecdhXy.generateSecret(P256.G, (short) 0, (short) P256.G.length, ram, work);
        pub.setW(ram, work, n);
        Util.arrayFillNonAtomic(ram, work, (short) 80, (byte) 0);
    }

    /** 0 < d < n, d big-endian 32 bytes at buf[off] (n = the group order, P256.R). */
    private static boolean validScalar(byte[] buf, short off) {
        boolean zero = true;
        for (short i = 0; i < 32; i++) {
            if (buf[(short) (off + i)] != 0) { zero = false; break; }
        }
        if (zero) return false;
        for (short i = 0; i < 32; i++) {
            short a = (short) (buf[(short) (off + i)] & 0xFF);
            short b = (short) (P256.R[i] & 0xFF);
            if (a != b) return a < b;
        }
        return false;
    }

    /**
     * Sets a public key from an uncompressed point (04||X||Y), re-setting the curve first. The
     * caller has checked the point with P256.checkPoint where it came in.
     */
    static void setPoint(ECPublicKey k, byte[] buf, short off) {
        P256.setCurve(k);
        k.setW(buf, off, Constants.EC_POINT_LENGTH);
    }

    /** ECDH (x-coordinate, 32 bytes) of {@code priv} with the uncompressed point at buf[off] (checked on the curve by the caller). */
    short agree(ECPrivateKey priv, byte[] buf, short off, byte[] out, short outOff) {
        ecdh.init(priv);
        return ecdh.generateSecret(buf, off, Constants.EC_POINT_LENGTH, out, outOff);
    }

    /**
     * ECDSA verification of a DER signature sig[sigOff..+sigLen) over the message already fed
     * through {@link #ecdsa}'s update plus msg[msgOff..+msgLen). A signature the engine cannot
     * even parse does not verify ({@link P256#verify}; "30 00" answered 6F01 before).
     */
    boolean verify(byte[] msg, short msgOff, short msgLen, byte[] sig, short sigOff, short sigLen) {
        return P256.verify(ecdsa, msg, msgOff, msgLen, sig, sigOff, sigLen);
    }

    /** Starts an ECDSA verification under {@code key} (then update, then {@link #verify}). */
    void verifyInit(Key key) {
        ecdsa.init(key, Signature.MODE_VERIFY);
    }

    /**
     * ANSI X9.63 KDF with SHA-256 (as GP SCP11 uses it): out = H(Z || 00000001 || info) ||
     * H(Z || 00000002 || info), 64 bytes. {@code ram[zOff..]} holds Z (zLen bytes); the 4-byte
     * counter and the 4-byte shared info (3C 88 10 context) are appended there.
     */
    void kdf(byte[] ram, short zOff, short zLen, byte context, byte[] out, short outOff) {
        short c = (short) (zOff + zLen);
        ram[c] = 0; ram[(short) (c + 1)] = 0; ram[(short) (c + 2)] = 0;
        ram[(short) (c + 4)] = Constants.KDF_USAGE;
        ram[(short) (c + 5)] = Constants.KDF_KEY_TYPE_AES;
        ram[(short) (c + 6)] = (byte) Constants.KEY_LENGTH;
        ram[(short) (c + 7)] = context;
        short total = (short) (zLen + 8);
        ram[(short) (c + 3)] = 1;
        sha256.doFinal(ram, zOff, total, out, outOff);
        ram[(short) (c + 3)] = 2;
        sha256.doFinal(ram, zOff, total, out, (short) (outOff + 32));
        Util.arrayFillNonAtomic(ram, zOff, total, (byte) 0);
    }

    /**
     * Converts a plain r||s signature (64 bytes, TR-03110) to DER for Signature.verify.
     * Returns the DER length written at der[dOff].
     */
    static short plainToDer(byte[] src, short off, byte[] der, short dOff) {
        short o = (short) (dOff + 2);
        o = derInteger(src, off, der, o);
        o = derInteger(src, (short) (off + 32), der, o);
        der[dOff] = 0x30;
        der[(short) (dOff + 1)] = (byte) (o - dOff - 2);
        return (short) (o - dOff);
    }

    private static short derInteger(byte[] src, short off, byte[] der, short o) {
        short start = off;
        short end = (short) (off + 32);
        while (start < (short) (end - 1) && src[start] == 0) start++;
        short len = (short) (end - start);
        boolean pad = (src[start] & 0x80) != 0;
        der[o++] = 0x02;
        der[o++] = (byte) (pad ? len + 1 : len);
        if (pad) der[o++] = 0;
        Util.arrayCopyNonAtomic(src, start, der, o, len);
        return (short) (o + len);
    }

    /** Ends every session key: ephemeral private value, SM / receipt keys, the CMAC state. */
    void clearSessionKeys() {
        if (ePriv.isInitialized()) ePriv.clearKey(); // no EEPROM write on the persistent fallback when already clear
        sEnc.clearKey();
        sMac.clearKey();
        sRmac.clearKey();
        cmac.clear();
    }
}
