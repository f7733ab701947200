package dev.cardsmith.applet.module;

import javacard.framework.ISOException;
import javacard.framework.Util;
import javacard.security.CryptoException;
import javacard.security.AESKey;
import javacard.security.ECKey;
import javacard.security.ECPrivateKey;
import javacard.security.ECPublicKey;
import javacard.security.KeyAgreement;
import javacard.security.KeyBuilder;
import javacard.security.KeyPair;
import javacard.security.MessageDigest;
import javacard.security.RandomData;
import javacard.security.Signature;
import javacardx.crypto.Cipher;

/**
 * Crypto engines created once (ECDSA P-256/SHA-256, ECDH, AES-CMAC, AES-CBC, SHA-256, RNG),
 * the P-256 domain parameters, the ANSI X9.63 KDF (GP SCP11 style), secure messaging and the
 * plain-to-DER signature conversion BSI TR-03110 certificates need (they carry r||s).
 */
final class Crypto {

    // secp256r1 (NIST P-256, FIPS 186-4 D.1.2.3)
    private static final byte[] P = {
            (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF};
    private static final byte[] A = {
            (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFC};
    private static final byte[] B = {
            0x5A, (byte) 0xC6, 0x35, (byte) 0xD8, (byte) 0xAA, 0x3A, (byte) 0x93, (byte) 0xE7, (byte) 0xB3, (byte) 0xEB, (byte) 0xBD, 0x55, 0x76, (byte) 0x98, (byte) 0x86, (byte) 0xBC,
            0x65, 0x1D, 0x06, (byte) 0xB0, (byte) 0xCC, 0x53, (byte) 0xB0, (byte) 0xF6, 0x3B, (byte) 0xCE, 0x3C, 0x3E, 0x27, (byte) 0xD2, 0x60, 0x4B};
    private static final byte[] G = {
            0x04,
            0x6B, 0x17, (byte) 0xD1, (byte) 0xF2, (byte) 0xE1, 0x2C, 0x42, 0x47, (byte) 0xF8, (byte) 0xBC, (byte) 0xE6, (byte) 0xE5, 0x63, (byte) 0xA4, 0x40, (byte) 0xF2,
            0x77, 0x03, 0x7D, (byte) 0x81, 0x2D, (byte) 0xEB, 0x33, (byte) 0xA0, (byte) 0xF4, (byte) 0xA1, 0x39, 0x45, (byte) 0xD8, (byte) 0x98, (byte) 0xC2, (byte) 0x96,
            0x4F, (byte) 0xE3, 0x42, (byte) 0xE2, (byte) 0xFE, 0x1A, 0x7F, (byte) 0x9B, (byte) 0x8E, (byte) 0xE7, (byte) 0xEB, 0x4A, 0x7C, 0x0F, (byte) 0x9E, 0x16,
            0x2B, (byte) 0xCE, 0x33, 0x57, 0x6B, 0x31, 0x5E, (byte) 0xCE, (byte) 0xCB, (byte) 0xB6, 0x40, 0x68, 0x37, (byte) 0xBF, 0x51, (byte) 0xF5};
    private static final byte[] N = {
            (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x00, 0x00, 0x00, 0x00, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF,
            (byte) 0xBC, (byte) 0xE6, (byte) 0xFA, (byte) 0xAD, (byte) 0xA7, 0x17, (byte) 0x9E, (byte) 0x84, (byte) 0xF3, (byte) 0xB9, (byte) 0xCA, (byte) 0xC2, (byte) 0xFC, 0x63, 0x25, 0x51};

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
        cmac = new AesCmac(aesEcb);
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
        setCurve(ePriv);
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
        setCurve(ePriv);
        ePriv.setS(ram, d, (short) 32);
        Util.arrayFillNonAtomic(ram, d, (short) 32, (byte) 0);
        ecdhXy.init(ePriv);
        ecdhXy.generateSecret(G, (short) 0, (short) G.length, out, outOff);
    }

    /** Drops the ephemeral private value (after the agreement; again on every session end). */
    void clearEphemeral() {
        if (ePriv.isInitialized()) ePriv.clearKey();
    }

    static ECPublicKey newP256PublicKey() {
        ECPublicKey k = (ECPublicKey) KeyBuilder.buildKey(KeyBuilder.TYPE_EC_FP_PUBLIC, KeyBuilder.LENGTH_EC_FP_256, false);
        setCurve(k);
        return k;
    }

    static ECPrivateKey newP256PrivateKey() {
        ECPrivateKey k = (ECPrivateKey) KeyBuilder.buildKey(KeyBuilder.TYPE_EC_FP_PRIVATE, KeyBuilder.LENGTH_EC_FP_256, false);
        setCurve(k);
        return k;
    }

    static void setCurve(ECKey k) {
        k.setFieldFP(P, (short) 0, (short) P.length);
        k.setA(A, (short) 0, (short) A.length);
        k.setB(B, (short) 0, (short) B.length);
        k.setG(G, (short) 0, (short) G.length);
        k.setR(N, (short) 0, (short) N.length);
        k.setK((short) 1);
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
            setCurve((ECKey) pair.getPublic());
            setCurve((ECKey) pair.getPrivate());
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
        setCurve(priv);
        setCurve(pub);
        short d = (short) (work + 48);
        do {
            random.generateData(ram, work, (short) 32);
            Util.arrayCopyNonAtomic(v, vOff, ram, (short) (work + 32), Constants.VARIATION_LENGTH);
            sha256.doFinal(ram, work, (short) 48, ram, d);
        } while (!validScalar(ram, d));
        priv.setS(ram, d, (short) 32);
        ecdhXy.init(priv);
        short n = ecdhXy.generateSecret(G, (short) 0, (short) G.length, ram, work);
        pub.setW(ram, work, n);
        Util.arrayFillNonAtomic(ram, work, (short) 80, (byte) 0);
    }

    /** 0 < d < n, d big-endian 32 bytes at buf[off]. */
    private static boolean validScalar(byte[] buf, short off) {
        boolean zero = true;
        for (short i = 0; i < 32; i++) {
            if (buf[(short) (off + i)] != 0) { zero = false; break; }
        }
        if (zero) return false;
        for (short i = 0; i < 32; i++) {
            short a = (short) (buf[(short) (off + i)] & 0xFF);
            short b = (short) (N[i] & 0xFF);
            if (a != b) return a < b;
        }
        return false;
    }

    /** Sets a public key from an uncompressed point (04||X||Y), re-setting the curve first. */
    static void setPoint(ECPublicKey k, byte[] buf, short off) {
        if (buf[off] != (byte) 0x04) ISOException.throwIt(Constants.SW_WRONG_DATA);
        setCurve(k);
        k.setW(buf, off, Constants.EC_POINT_LENGTH);
    }

    /** ECDH (x-coordinate, 32 bytes) of {@code priv} with the uncompressed point at buf[off]. */
    short agree(ECPrivateKey priv, byte[] buf, short off, byte[] out, short outOff) {
        if (buf[off] != (byte) 0x04) ISOException.throwIt(Constants.SW_WRONG_DATA);
        ecdh.init(priv);
        return ecdh.generateSecret(buf, off, Constants.EC_POINT_LENGTH, out, outOff);
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

    // ---------------------------------------------------------------------------------------
    // Secure messaging of the personalization channel (claim 3): AES-128-CBC with
    // IV = E(K_enc, SSC), ISO 9797-1 method 2 padding, AES-CMAC over SSC || INS P1 P2 || C.
    // ---------------------------------------------------------------------------------------

    static void incrementSsc(byte[] ram) {
        short i = (short) (Transients.SSC + 15);
        while (i >= Transients.SSC) {
            ram[i]++;
            if (ram[i] != 0) return;
            i--;
        }
    }

    /**
     * Checks the C-MAC of a protected command at buf[off..off+len) (ciphertext || 16-byte MAC)
     * and decrypts it in place. Returns the plaintext length.
     */
    short unwrapCommand(byte[] buf, short off, short len, byte ins, byte p1, byte p2, byte[] ram) {
        if (len < Constants.MAC_LENGTH || (short) ((short) (len - Constants.MAC_LENGTH) % 16) != 0) {
            ISOException.throwIt(Constants.SW_SM_MAC_WRONG);
        }
        short ctLen = (short) (len - Constants.MAC_LENGTH);
        incrementSsc(ram);
        short w = Transients.WORK;
        ram[w] = ins; ram[(short) (w + 1)] = p1; ram[(short) (w + 2)] = p2;
        cmac.init(sMac);
        cmac.update(ram, Transients.SSC, (short) 16);
        cmac.update(ram, w, (short) 3);
        cmac.sign(buf, off, ctLen, ram, (short) (w + 16));
        if (!macEquals(ram, (short) (w + 16), buf, (short) (off + ctLen), Constants.MAC_LENGTH)) {
            ISOException.throwIt(Constants.SW_SM_MAC_WRONG);
        }
        if (ctLen == 0) return 0;
        iv(ram, w);
        aesCbc.init(sEnc, Cipher.MODE_DECRYPT, ram, w, (short) 16);
        aesCbc.doFinal(buf, off, ctLen, buf, off);
        // strip ISO 9797-1 method 2 padding
        short i = (short) (off + ctLen - 1);
        while (i > off && buf[i] == 0) i--;
        if (buf[i] != (byte) 0x80) ISOException.throwIt(Constants.SW_SM_MAC_WRONG);
        return (short) (i - off);
    }

    /**
     * Protects a response: pads and encrypts buf[off..off+len) in place (room for 16 more bytes
     * of padding plus the 16-byte R-MAC must exist), appends R-MAC over SSC || C. Returns the length.
     */
    short wrapResponse(byte[] buf, short off, short len, byte[] ram) {
        incrementSsc(ram);
        short ctLen = 0;
        if (len > 0) {
            short o = (short) (off + len);
            buf[o++] = (byte) 0x80;
            while ((short) ((short) (o - off) % 16) != 0) buf[o++] = 0;
            ctLen = (short) (o - off);
            iv(ram, Transients.WORK);
            aesCbc.init(sEnc, Cipher.MODE_ENCRYPT, ram, Transients.WORK, (short) 16);
            aesCbc.doFinal(buf, off, ctLen, buf, off);
        }
        cmac.init(sRmac);
        cmac.update(ram, Transients.SSC, (short) 16);
        cmac.sign(buf, off, ctLen, buf, (short) (off + ctLen));
        return (short) (ctLen + Constants.MAC_LENGTH);
    }

    private void iv(byte[] ram, short w) {
        aesEcb.init(sEnc, Cipher.MODE_ENCRYPT);
        aesEcb.doFinal(ram, Transients.SSC, (short) 16, ram, w);
    }

    void clearSessionKeys() {
        if (ePriv.isInitialized()) ePriv.clearKey(); // no EEPROM write on the persistent fallback when already clear
        sEnc.clearKey();
        sMac.clearKey();
        sRmac.clearKey();
        cmac.clear();
    }

    /**
     * Constant-time comparison of two MACs: always reads all {@code len} bytes, no early exit
     * (Util.arrayCompare stops at the first difference, which times as a forgery oracle).
     */
    static boolean macEquals(byte[] a, short aOff, byte[] b, short bOff, short len) {
        byte diff = 0;
        for (short i = 0; i < len; i++) {
            diff |= (byte) (a[(short) (aOff + i)] ^ b[(short) (bOff + i)]);
        }
        return diff == 0;
    }
}
