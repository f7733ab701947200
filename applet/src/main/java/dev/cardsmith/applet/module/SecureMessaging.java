package dev.cardsmith.applet.module;

import dev.cardsmith.applet.platform.Bytes;
import dev.cardsmith.applet.platform.Sw;
import javacard.framework.ISOException;
import javacard.framework.Util;
import javacardx.crypto.Cipher;

/**
 * Secure messaging of the personalization channel (claim 3): AES-128-CBC with IV = E(K_enc, SSC),
 * ISO/IEC 9797-1 padding method 2, C-MAC = AES-CMAC(K_mac, SSC || INS P1 P2 || C), R-MAC =
 * AES-CMAC(K_rmac, SSC || C); the 16-byte SSC (in RAM) is incremented for every command and
 * every response. Keys are {@link Crypto#sEnc}, {@link Crypto#sMac}, {@link Crypto#sRmac}.
 */
final class SecureMessaging {

    private final Crypto crypto;
    private final byte[] ram;

    SecureMessaging(Crypto crypto, Transients t) {
        this.crypto = crypto;
        this.ram = t.ram;
    }

    /** Starts a channel: SSC = 0 (the keys are set by the caller). */
    void start() {
        Util.arrayFillNonAtomic(ram, Transients.SSC, (short) 16, (byte) 0);
    }

    private void incrementSsc() {
        short i = (short) (Transients.SSC + 15);
        while (i >= Transients.SSC) {
            ram[i]++;
            if (ram[i] != 0) return;
            i--;
        }
    }

    /**
     * Checks the C-MAC of a protected command at buf[off..off+len) (ciphertext || 16-byte MAC)
     * and decrypts it in place. Returns the plaintext length. A length that is no MAC plus whole
     * blocks answers 6988 (SM structure), a wrong MAC 6982, bad padding under a good MAC 6A80.
     */
    short unwrapCommand(byte[] buf, short off, short len, byte ins, byte p1, byte p2) {
        if (len < Constants.MAC_LENGTH || (short) ((short) (len - Constants.MAC_LENGTH) % Bytes.BLOCK) != 0) {
            ISOException.throwIt(Sw.SM_DATA_INCORRECT);
        }
        short ctLen = (short) (len - Constants.MAC_LENGTH);
        incrementSsc();
        short w = Transients.WORK;
        ram[w] = ins; ram[(short) (w + 1)] = p1; ram[(short) (w + 2)] = p2;
        crypto.cmac.init(crypto.sMac);
        crypto.cmac.update(ram, Transients.SSC, (short) 16);
        crypto.cmac.update(ram, w, (short) 3);
        crypto.cmac.sign(buf, off, ctLen, ram, (short) (w + 16));
        if (!Bytes.equal(ram, (short) (w + 16), buf, (short) (off + ctLen), Constants.MAC_LENGTH)) {
            ISOException.throwIt(Sw.SECURITY_STATUS_NOT_SATISFIED);
        }
        if (ctLen == 0) return 0;
        iv(w);
        crypto.aesCbc.init(crypto.sEnc, Cipher.MODE_DECRYPT, ram, w, (short) 16);
        crypto.aesCbc.doFinal(buf, off, ctLen, buf, off);
        short plain = Bytes.unpad(buf, off, ctLen);
        if (plain < 0) ISOException.throwIt(Sw.WRONG_DATA);
        return plain;
    }

    /**
     * Protects a response: pads and encrypts buf[off..off+len) in place (room for 16 more bytes
     * of padding plus the 16-byte R-MAC must exist), appends R-MAC over SSC || C. Returns the length.
     */
    short wrapResponse(byte[] buf, short off, short len) {
        incrementSsc();
        short ctLen = 0;
        if (len > 0) {
            ctLen = Bytes.pad(buf, off, len);
            iv(Transients.WORK);
            crypto.aesCbc.init(crypto.sEnc, Cipher.MODE_ENCRYPT, ram, Transients.WORK, (short) 16);
            crypto.aesCbc.doFinal(buf, off, ctLen, buf, off);
        }
        crypto.cmac.init(crypto.sRmac);
        crypto.cmac.update(ram, Transients.SSC, (short) 16);
        crypto.cmac.sign(buf, off, ctLen, buf, (short) (off + ctLen));
        return (short) (ctLen + Constants.MAC_LENGTH);
    }

    private void iv(short w) {
        crypto.aesEcb.init(crypto.sEnc, Cipher.MODE_ENCRYPT);
        crypto.aesEcb.doFinal(ram, Transients.SSC, (short) 16, ram, w);
    }
}
