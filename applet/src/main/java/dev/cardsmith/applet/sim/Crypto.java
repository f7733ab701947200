package dev.cardsmith.applet.sim;

import dev.cardsmith.applet.platform.AesCmac;
import dev.cardsmith.applet.platform.P256;
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

/**
 * Crypto engines and session keys, created once at install. AES-CMAC is the platform layer's
 * {@link AesCmac}: the optional ALG_AES_CMAC_128 where the chip has it, the software CMAC over
 * {@link #aesEcb} otherwise (nothing else uses that engine, so a MAC may stream across calls).
 */
final class Crypto {

    /**
     * Install-time switch for tests only: true makes the next install run the software CMAC, as on
     * a chip without ALG_AES_CMAC_128 (set by reflection around an install, never by the applet).
     */
    static boolean forceSoftwareCmac;

    final Cipher aesCbc;
    final Cipher desCbc;
    final Signature desMac;
    private final byte[] carryBlock;
    private final Cipher aesEcb;
    final AesCmac cmac;
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

    Crypto() {
        aesCbc = Cipher.getInstance(Cipher.ALG_AES_BLOCK_128_CBC_NOPAD, false);
        desCbc = Cipher.getInstance(Cipher.ALG_DES_CBC_NOPAD, false);
        desMac = Signature.getInstance(Signature.ALG_DES_MAC8_NOPAD, false);
        carryBlock = JCSystem.makeTransientByteArray(Constants.AES_BLOCK, JCSystem.CLEAR_ON_RESET);
        cc = JCSystem.makeTransientShortArray((short) 3, JCSystem.CLEAR_ON_RESET);
        aesEcb = Cipher.getInstance(Cipher.ALG_AES_BLOCK_128_ECB_NOPAD, false);
        // CLEAR_ON_RESET: the OTA path MACs inside processToolkit, unselected (TS 102 241 6.2)
        cmac = new AesCmac(aesEcb, !forceSoftwareCmac, JCSystem.CLEAR_ON_RESET);
        ecdsa = Signature.getInstance(Signature.ALG_ECDSA_SHA_256, false);
        random = RandomData.getInstance(RandomData.ALG_SECURE_RANDOM);
        sha256 = MessageDigest.getInstance(MessageDigest.ALG_SHA_256, false);
        ecdh = KeyAgreement.getInstance(KeyAgreement.ALG_EC_SVDP_DH_PLAIN, false);
        ephemeral = new KeyPair(KeyPair.ALG_EC_FP, KeyBuilder.LENGTH_EC_FP_256);
        P256.setCurve((javacard.security.ECKey) ephemeral.getPublic());
        P256.setCurve((javacard.security.ECKey) ephemeral.getPrivate());
        sessionEnc = (AESKey) KeyBuilder.buildKey(KeyBuilder.TYPE_AES_TRANSIENT_DESELECT, KeyBuilder.LENGTH_AES_128, false);
        sessionMac = (AESKey) KeyBuilder.buildKey(KeyBuilder.TYPE_AES_TRANSIENT_DESELECT, KeyBuilder.LENGTH_AES_128, false);
        scratchKey = (AESKey) KeyBuilder.buildKey(KeyBuilder.TYPE_AES_TRANSIENT_DESELECT, KeyBuilder.LENGTH_AES_128, false);
        zeroIv = new byte[Constants.AES_BLOCK]; // read-only: no RAM for a constant
    }

    /** Full 16-byte AES-CMAC of in[off..off+len) into out[outOff]. */
    short cmac(AESKey key, byte[] in, short off, short len, byte[] out, short outOff) {
        return cmac.mac(key, in, off, len, out, outOff);
    }

    /** AES-CBC, IV zero, in place or to out; len must be a multiple of 16. */
    short cbc(AESKey key, byte mode, byte[] in, short off, short len, byte[] out, short outOff) {
        aesCbc.init(key, mode, zeroIv, (short) 0, Constants.AES_BLOCK);
        return aesCbc.doFinal(in, off, len, out, outOff);
    }

    // ---- OTA key sets: AES-CBC / AES-CMAC, or two- or three-key 3DES CBC / CBC-MAC (zero padded)

    /** [0] bytes fed to the checksum, [1] 1 when the 3DES CBC-MAC is in use, [2] bytes in the carry block. */
    private final short[] cc;

    short otaBlock(State st, short set) {
        return st.keys.isDes(set) ? Constants.DES_BLOCK : Constants.AES_BLOCK;
    }

    /** Deciphers or ciphers b[off..off+len) in place under the KIc of key set {@code set}. */
    void otaCipher(State st, short set, byte mode, byte[] b, short off, short len) {
        if (st.keys.isDes(set)) {
            desCbc.init(st.keys.kic(set), mode, zeroIv, (short) 0, Constants.DES_BLOCK);
            desCbc.doFinal(b, off, len, b, off);
        } else {
            cbc((AESKey) st.keys.kic(set), mode, b, off, len, b, off);
        }
    }

    /** Starts the CC under the KID of key set {@code set}. */
    void ccBegin(State st, short set) {
        if (st.keys.isDes(set)) {
            cc[1] = 1;
            desMac.init(st.keys.kid(set), Signature.MODE_SIGN, zeroIv, (short) 0, Constants.DES_BLOCK);
        } else {
            cc[1] = 0;
            cmac.init((AESKey) st.keys.kid(set));
        }
        cc[0] = 0;
        cc[2] = 0;
    }

    /**
     * Feeds the checksum. The 3DES CBC-MAC gets whole blocks only (jCardSim, like some cards,
     * refuses partial blocks in update): a remainder waits in a transient carry block.
     */
    void ccUpdate(byte[] b, short off, short len) {
        cc[0] += len;
        if (cc[1] == 0) {
            cmac.update(b, off, len);
            return;
        }
        short carry = cc[2];
        if (carry > 0) {
            short n = (short) (Constants.DES_BLOCK - carry);
            if (n > len) n = len;
            Util.arrayCopyNonAtomic(b, off, carryBlock, carry, n);
            carry += n;
            off += n;
            len -= n;
            if (carry == Constants.DES_BLOCK) {
                desMac.update(carryBlock, (short) 0, Constants.DES_BLOCK);
                carry = 0;
            }
        }
        short whole = (short) (len - len % Constants.DES_BLOCK);
        if (whole > 0) desMac.update(b, off, whole);
        short rest = (short) (len - whole);
        if (rest > 0) {
            Util.arrayCopyNonAtomic(b, (short) (off + whole), carryBlock, carry, rest);
            carry += rest;
        }
        cc[2] = carry;
    }

    /** Last part; writes the full MAC (16 bytes AES, 8 bytes 3DES with zero padding) to out[outOff]. */
    void ccFinal(byte[] b, short off, short len, byte[] out, short outOff) {
        if (cc[1] == 1) {
            ccUpdate(b, off, len);
            short carry = cc[2];
            if (carry > 0) Util.arrayFillNonAtomic(carryBlock, carry, (short) (Constants.DES_BLOCK - carry), (byte) 0);
            desMac.sign(carryBlock, (short) 0, carry > 0 ? Constants.DES_BLOCK : 0, out, outOff);
            cc[2] = 0;
        } else {
            cmac.sign(b, off, len, out, outOff);
        }
    }

    void random(byte[] buf, short off, short len) {
        random.generateData(buf, off, len);
    }

    void clearSession() {
        cmac.clear();
        sessionEnc.clearKey();
        sessionMac.clearKey();
        scratchKey.clearKey();
    }
}
