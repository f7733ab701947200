package dev.cardsmith.applet.vault;

import dev.cardsmith.applet.platform.AesCmac;
import dev.cardsmith.applet.platform.P256;
import javacard.framework.Util;
import javacard.security.AESKey;
import javacard.security.CryptoException;
import javacard.security.Key;
import javacard.security.KeyAgreement;
import javacard.security.KeyBuilder;
import javacard.security.RandomData;
import javacard.security.Signature;
import javacardx.crypto.Cipher;

/**
 * The crypto engines, created once at install: AES-CBC, ECDSA-SHA256, the card RNG, AES-CMAC
 * (the platform layer's, on its own ECB engine), the SP 800-108 counter-mode KDF on top of it,
 * ECDH (plain x) and the transient keys of a sealed-package session.
 */
final class VaultCrypto {

    final Cipher cbc;
    final Signature ecdsa;
    final RandomData random;
    final AesCmac cmac;
    final KeyAgreement ecdh;
    /** The sealed-package session: Z (AES-256) and the two keys derived from it; gone on deselect. */
    final AESKey sealSecret;
    final AESKey sealEnc;
    final AESKey sealMac;
    private final Transients t;

    VaultCrypto(Transients transients) {
        t = transients;
        cbc = Cipher.getInstance(Cipher.ALG_AES_BLOCK_128_CBC_NOPAD, false);
        ecdsa = Signature.getInstance(Signature.ALG_ECDSA_SHA_256, false);
        random = RandomData.getInstance(RandomData.ALG_SECURE_RANDOM);
        cmac = new AesCmac(Cipher.getInstance(Cipher.ALG_AES_BLOCK_128_ECB_NOPAD, false), true);
        ecdh = KeyAgreement.getInstance(KeyAgreement.ALG_EC_SVDP_DH_PLAIN, false);
        sealSecret = (AESKey) KeyBuilder.buildKey(KeyBuilder.TYPE_AES_TRANSIENT_DESELECT, KeyBuilder.LENGTH_AES_256, false);
        sealEnc = (AESKey) KeyBuilder.buildKey(KeyBuilder.TYPE_AES_TRANSIENT_DESELECT, KeyBuilder.LENGTH_AES_128, false);
        sealMac = (AESKey) KeyBuilder.buildKey(KeyBuilder.TYPE_AES_TRANSIENT_DESELECT, KeyBuilder.LENGTH_AES_128, false);
    }

    /** Clears the sealed-package session keys (after use and on every failure). */
    void clearSeal() {
        sealSecret.clearKey();
        sealEnc.clearKey();
        sealMac.clearKey();
    }

    /**
     * SP 800-108 counter mode, PRF AES-CMAC, r = 8, one block: derived AES-128 key =
     * CMAC(key, 01 || label || 00 || context || 0080). Sets {@code out}; the derived bytes only
     * pass through RAM. The context must not lie in the scratch area.
     */
    void deriveAes128(AESKey key, byte label, byte[] ctx, short ctxOff, short ctxLen, AESKey out) {
        byte[] r = t.ram;
        short o = Transients.OFF_SCRATCH;
        r[o++] = (byte) 0x01;
        r[o++] = label;
        r[o++] = (byte) 0x00;
        o = Util.arrayCopyNonAtomic(ctx, ctxOff, r, o, ctxLen);
        r[o++] = (byte) 0x00;
        r[o++] = (byte) 0x80;
        short inLen = (short) (o - Transients.OFF_SCRATCH);
        cmac.mac(key, r, Transients.OFF_SCRATCH, inLen, r, o);
        out.setKey(r, o);
        Util.arrayFillNonAtomic(r, Transients.OFF_SCRATCH, (short) (inLen + Constants.AES_BLOCK), (byte) 0);
    }

    /** AES-128-CBC of whole blocks with IV zero (single-use keys only); in place allowed. */
    short cbcZeroIv(AESKey key, byte mode, byte[] in, short off, short len, byte[] out, short outOff) {
        cbc.init(key, mode);
        return cbc.doFinal(in, off, len, out, outOff);
    }

    /** AES-128-CBC of whole blocks with the given IV; in place allowed. */
    short cbc(AESKey key, byte mode, byte[] iv, short ivOff, byte[] in, short off, short len, byte[] out, short outOff) {
        cbc.init(key, mode, iv, ivOff, Constants.AES_BLOCK);
        return cbc.doFinal(in, off, len, out, outOff);
    }

    /**
     * ECDSA verification; a signature the engine cannot even parse is a wrong signature (false,
     * {@link P256#verify}: WIPE answered 6F01 before). The key's init keeps the narrower rule: a
     * CryptoException (a key not set) is false, anything else there is a fault and stays 6F01.
     */
    boolean verify(Key publicKey, byte[] data, short off, short len, byte[] sig, short sigOff, short sigLen) {
        try {
            ecdsa.init(publicKey, Signature.MODE_VERIFY);
        } catch (CryptoException e) {
            return false;
        }
        return P256.verify(ecdsa, data, off, len, sig, sigOff, sigLen);
    }

    short sign(Key privateKey, byte[] data, short off, short len, byte[] sig, short sigOff) {
        ecdsa.init(privateKey, Signature.MODE_SIGN);
        return ecdsa.sign(data, off, len, sig, sigOff);
    }
}
