package dev.cardsmith.applet.vault;

import dev.cardsmith.applet.platform.AesCmac;
import javacard.framework.Util;
import javacard.security.AESKey;
import javacard.security.CryptoException;
import javacard.security.Key;
import javacard.security.RandomData;
import javacard.security.Signature;
import javacardx.crypto.Cipher;

/**
 * The crypto engines, created once at install: AES-CBC, ECDSA-SHA256, the card RNG, AES-CMAC
 * (the platform layer's, on its own ECB engine) and the SP 800-108 counter-mode KDF on top of it.
 */
final class VaultCrypto {

    final Cipher cbc;
    final Signature ecdsa;
    final RandomData random;
    final AesCmac cmac;
    private final Transients t;

    VaultCrypto(Transients transients) {
        t = transients;
        cbc = Cipher.getInstance(Cipher.ALG_AES_BLOCK_128_CBC_NOPAD, false);
        ecdsa = Signature.getInstance(Signature.ALG_ECDSA_SHA_256, false);
        random = RandomData.getInstance(RandomData.ALG_SECURE_RANDOM);
        cmac = new AesCmac(Cipher.getInstance(Cipher.ALG_AES_BLOCK_128_ECB_NOPAD, false), true);
    }

    /**
     * SP 800-108 counter mode, PRF AES-CMAC, r = 8, one block: derived AES-128 key =
     * CMAC(chipKey, 01 || label || 00 || chipId || 0080). Sets {@code out}; the derived bytes only
     * pass through RAM.
     */
    void deriveAes128(AESKey chipKey, byte label, byte[] chipId, AESKey out) {
        byte[] r = t.ram;
        short o = Transients.OFF_SCRATCH;
        r[o++] = (byte) 0x01;
        r[o++] = label;
        r[o++] = (byte) 0x00;
        o = Util.arrayCopyNonAtomic(chipId, (short) 0, r, o, Constants.CHIP_ID_LENGTH);
        r[o++] = (byte) 0x00;
        r[o++] = (byte) 0x80;
        short inLen = (short) (o - Transients.OFF_SCRATCH);
        cmac.mac(chipKey, r, Transients.OFF_SCRATCH, inLen, r, o);
        out.setKey(r, o);
        Util.arrayFillNonAtomic(r, Transients.OFF_SCRATCH, (short) (inLen + Constants.AES_BLOCK), (byte) 0);
    }

    /** AES-128-CBC of whole blocks with the given IV; in place allowed. */
    short cbc(AESKey key, byte mode, byte[] iv, short ivOff, byte[] in, short off, short len, byte[] out, short outOff) {
        cbc.init(key, mode, iv, ivOff, Constants.AES_BLOCK);
        return cbc.doFinal(in, off, len, out, outOff);
    }

    /** ECDSA verification; a signature the engine cannot even parse is a wrong signature (false). */
    boolean verify(Key publicKey, byte[] data, short off, short len, byte[] sig, short sigOff, short sigLen) {
        try {
            ecdsa.init(publicKey, Signature.MODE_VERIFY);
            return ecdsa.verify(data, off, len, sig, sigOff, sigLen);
        } catch (CryptoException e) {
            return false;
        }
    }

    short sign(Key privateKey, byte[] data, short off, short len, byte[] sig, short sigOff) {
        ecdsa.init(privateKey, Signature.MODE_SIGN);
        return ecdsa.sign(data, off, len, sig, sigOff);
    }
}
