package dev.cardsmith.applet.psd;

import dev.cardsmith.applet.platform.Bytes;

import javacard.framework.APDU;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.Util;
import javacard.security.AESKey;
import javacard.security.KeyBuilder;
import javacardx.crypto.Cipher;

/**
 * The card side of GlobalPlatform SCP03 (Card Specification v2.3 Amendment D), keyed by the
 * PSD's MK key set (S-ENC from K-ENC, S-MAC and S-RMAC from K-MAC; K-DEK has no session key):
 * INITIALIZE UPDATE / EXTERNAL AUTHENTICATE with card and host cryptograms, session keys
 * S-ENC/S-MAC/S-RMAC by the SCP03 KDF, C-MAC with chaining, C-DECRYPTION, R-MAC and
 * R-ENCRYPTION. Any MAC, cryptogram or padding failure closes the session (6982), any failed or
 * unexpected EXTERNAL AUTHENTICATE too (6985/6A86/6700/6E00); so does a tear, a reset or
 * deselection (everything here is CLEAR_ON_DESELECT RAM).
 */
final class SecureChannel {
    private static final byte NONE = 0;
    private static final byte INITIALIZED = 1;
    private static final byte AUTHENTICATED = 2;

    private final Crypto crypto;
    private final AESKey sEnc;
    private final AESKey sMac;
    private final AESKey sRmac;
    /** host challenge 0..7 | card challenge 8..15 | MAC chaining value 16..31 | counter 32..47 | tmp 48..79 */
    private final byte[] ram;
    private static final short R_CTX = 0;
    private static final short R_CHAIN = 16;
    private static final short R_COUNTER = 32;
    private static final short R_TMP = 48;
    /** [0] session state, [1] security level */
    private final byte[] flags;

    SecureChannel(Crypto crypto) {
        this.crypto = crypto;
        sEnc = (AESKey) KeyBuilder.buildKey(KeyBuilder.TYPE_AES_TRANSIENT_DESELECT, KeyBuilder.LENGTH_AES_128, false);
        sMac = (AESKey) KeyBuilder.buildKey(KeyBuilder.TYPE_AES_TRANSIENT_DESELECT, KeyBuilder.LENGTH_AES_128, false);
        sRmac = (AESKey) KeyBuilder.buildKey(KeyBuilder.TYPE_AES_TRANSIENT_DESELECT, KeyBuilder.LENGTH_AES_128, false);
        ram = JCSystem.makeTransientByteArray((short) 80, JCSystem.CLEAR_ON_DESELECT);
        flags = JCSystem.makeTransientByteArray((short) 2, JCSystem.CLEAR_ON_DESELECT);
    }

    boolean authenticated() { return flags[0] == AUTHENTICATED; }

    byte level() { return flags[1]; }

    /** Host challenge || card challenge of the current session (the unlock proof's context). */
    byte[] context() { return ram; }

    void close() {
        flags[0] = NONE;
        flags[1] = 0;
        Util.arrayFillNonAtomic(ram, (short) 0, (short) 80, (byte) 0);
        sEnc.clearKey();
        sMac.clearKey();
        sRmac.clearKey();
    }

    /** INITIALIZE UPDATE: data = host challenge (8). Response 29 bytes. */
    short initializeUpdate(AESKey kEnc, AESKey kMac, byte kvn, byte[] divData, byte[] buf, short dataOff, short dataLen) {
        close();
        if (dataLen != PsdProtocol.CHALLENGE_LEN) ISOException.throwIt(PsdProtocol.SW_WRONG_LENGTH);
        Util.arrayCopyNonAtomic(buf, dataOff, ram, R_CTX, PsdProtocol.CHALLENGE_LEN);
        crypto.random.generateData(ram, (short) (R_CTX + 8), PsdProtocol.CHALLENGE_LEN);
        deriveSessionKey(kEnc, PsdProtocol.DC_S_ENC, sEnc);
        deriveSessionKey(kMac, PsdProtocol.DC_S_MAC, sMac);
        deriveSessionKey(kMac, PsdProtocol.DC_S_RMAC, sRmac);
        short o = 0;
        Util.arrayCopyNonAtomic(divData, (short) 0, buf, o, PsdProtocol.KEY_DIV_DATA_LEN);
        o += PsdProtocol.KEY_DIV_DATA_LEN;
        buf[o++] = kvn;
        buf[o++] = PsdProtocol.SCP_ID;
        buf[o++] = PsdProtocol.SCP_I;
        Util.arrayCopyNonAtomic(ram, (short) (R_CTX + 8), buf, o, PsdProtocol.CHALLENGE_LEN);
        o += PsdProtocol.CHALLENGE_LEN;
        crypto.kdf(sMac, PsdProtocol.DC_CARD_CRYPTOGRAM, (short) 64, ram, R_CTX, (short) 16, buf, o);
        o += PsdProtocol.CRYPTOGRAM_LEN;
        flags[0] = INITIALIZED;
        return o;
    }

    private void deriveSessionKey(AESKey staticKey, byte constant, AESKey target) {
        crypto.kdf(staticKey, constant, (short) 128, ram, R_CTX, (short) 16, ram, R_TMP);
        target.setKey(ram, R_TMP);
        Util.arrayFillNonAtomic(ram, R_TMP, (short) 16, (byte) 0);
    }

    /**
     * EXTERNAL AUTHENTICATE: P1 = security level, data = host cryptogram (8) || C-MAC (8). Only
     * expected right after a successful INITIALIZE UPDATE (GP CS v2.3 chapter 10, Amendment D
     * 7.2): out of sequence (no INITIALIZE UPDATE, or a second one in an authenticated session)
     * it answers 6985 and, like every failed check here, terminates the session, so that later
     * secured commands fail until a new INITIALIZE UPDATE.
     */
    void externalAuthenticate(byte[] buf, short lc) {
        if (flags[0] != INITIALIZED) {
            close();
            ISOException.throwIt(PsdProtocol.SW_CONDITIONS_NOT_SATISFIED);
        }
        byte level = buf[ISO7816.OFFSET_P1];
        if (level != 0x01 && level != 0x03 && level != 0x11 && level != 0x13 && level != 0x33) {
            close();
            ISOException.throwIt(PsdProtocol.SW_INCORRECT_P1P2);
        }
        if (lc != (short) (PsdProtocol.CRYPTOGRAM_LEN + PsdProtocol.MAC_LEN)) {
            close();
            ISOException.throwIt(PsdProtocol.SW_WRONG_LENGTH);
        }
        verifyMac(buf, lc);
        crypto.kdf(sMac, PsdProtocol.DC_HOST_CRYPTOGRAM, (short) 64, ram, R_CTX, (short) 16, ram, R_TMP);
        if (!Bytes.equal(ram, R_TMP, buf, ISO7816.OFFSET_CDATA, PsdProtocol.CRYPTOGRAM_LEN)) {
            close();
            ISOException.throwIt(PsdProtocol.SW_SECURITY_NOT_SATISFIED);
        }
        Util.arrayFillNonAtomic(ram, R_COUNTER, (short) 16, (byte) 0);
        flags[1] = level;
        flags[0] = AUTHENTICATED;
    }

    /** Verifies and strips the C-MAC (updates the chaining value); closes the session on failure. */
    private void verifyMac(byte[] buf, short lc) {
        if (lc < PsdProtocol.MAC_LEN) {
            close();
            ISOException.throwIt(PsdProtocol.SW_SECURITY_NOT_SATISFIED);
        }
        crypto.cmac.init(sMac);
        crypto.cmac.update(ram, R_CHAIN, (short) 16);
        crypto.cmac.sign(buf, (short) 0, (short) (ISO7816.OFFSET_CDATA + lc - PsdProtocol.MAC_LEN), ram, R_TMP);
        short macOff = (short) (ISO7816.OFFSET_CDATA + lc - PsdProtocol.MAC_LEN);
        if (!Bytes.equal(ram, R_TMP, buf, macOff, PsdProtocol.MAC_LEN)) {
            close();
            ISOException.throwIt(PsdProtocol.SW_SECURITY_NOT_SATISFIED);
        }
        Util.arrayCopyNonAtomic(ram, R_TMP, ram, R_CHAIN, (short) 16);
    }

    /**
     * Unwraps a secured command in place: checks the C-MAC, decrypts (C-DECRYPTION) and strips
     * the padding. Returns the plain data length at OFFSET_CDATA.
     */
    short unwrapCommand(byte[] buf, short lc) {
        if (flags[0] != AUTHENTICATED) ISOException.throwIt(PsdProtocol.SW_SECURITY_NOT_SATISFIED);
        // the header is MACed as sent (CLA with the secure-messaging bit, Lc including the MAC)
        verifyMac(buf, lc);
        incrementCounter();
        short n = (short) (lc - PsdProtocol.MAC_LEN);
        if ((flags[1] & PsdProtocol.SL_C_DEC) != 0 && n > 0) {
            if ((short) (n % 16) != 0) {
                close();
                ISOException.throwIt(PsdProtocol.SW_SECURITY_NOT_SATISFIED);
            }
            icv((byte) 0x00);
            crypto.cbc.init(sEnc, Cipher.MODE_DECRYPT, ram, R_TMP, (short) 16);
            crypto.cbc.doFinal(buf, ISO7816.OFFSET_CDATA, n, buf, ISO7816.OFFSET_CDATA);
            // ISO/IEC 9797-1 padding method 2
            n = Bytes.unpad(buf, ISO7816.OFFSET_CDATA, n);
            if (n < 0) {
                close();
                ISOException.throwIt(PsdProtocol.SW_SECURITY_NOT_SATISFIED);
            }
        }
        return n;
    }

    private void incrementCounter() {
        for (short i = (short) (R_COUNTER + 15); i >= R_COUNTER; i--) {
            ram[i]++;
            if (ram[i] != 0) break;
        }
    }

    /** ICV for C-DECRYPTION (first byte 00) or R-ENCRYPTION (first byte 80): AES(S-ENC, counter). */
    private void icv(byte first) {
        Util.arrayCopyNonAtomic(ram, R_COUNTER, ram, R_TMP, (short) 16);
        ram[R_TMP] = first;
        crypto.ecb.init(sEnc, Cipher.MODE_ENCRYPT);
        crypto.ecb.doFinal(ram, R_TMP, (short) 16, ram, R_TMP);
    }

    /**
     * Protects a response of {@code len} bytes at buf[0] with status word {@code sw} (9000 or a
     * non-error 62xx/63xx, GP Amendment D 6.2.5): R-ENCRYPTION when the level asks for it and
     * there is data, R-MAC over chaining value || data || SW. Returns the new length. Without
     * R-MAC in the level the response goes out unchanged.
     */
    short wrapResponse(byte[] buf, short len, short sw) {
        if ((flags[1] & PsdProtocol.SL_R_MAC) == 0) return len;
        if ((flags[1] & PsdProtocol.SL_R_ENC) != 0 && len > 0) {
            short padded = Bytes.pad(buf, (short) 0, len);
            icv((byte) 0x80);
            crypto.cbc.init(sEnc, Cipher.MODE_ENCRYPT, ram, R_TMP, (short) 16);
            crypto.cbc.doFinal(buf, (short) 0, padded, buf, (short) 0);
            len = padded;
        }
        crypto.cmac.init(sRmac);
        crypto.cmac.update(ram, R_CHAIN, (short) 16);
        crypto.cmac.update(buf, (short) 0, len);
        Util.setShort(buf, (short) (len + PsdProtocol.MAC_LEN), sw);
        crypto.cmac.sign(buf, (short) (len + PsdProtocol.MAC_LEN), (short) 2, ram, R_TMP);
        Util.arrayCopyNonAtomic(ram, R_TMP, buf, len, PsdProtocol.MAC_LEN);
        return (short) (len + PsdProtocol.MAC_LEN);
    }

    /** Sends a success response through {@link #wrapResponse}. */
    void send(APDU apdu, short len) {
        short n = wrapResponse(apdu.getBuffer(), len, ISO7816.SW_NO_ERROR);
        apdu.setOutgoingAndSend((short) 0, n);
    }

    /**
     * Ends the command with the non-error status word {@code sw} (62xx/63xx): inside an R-MAC
     * session with its R-MAC as the response data (GP Amendment D 6.2.5), otherwise bare.
     */
    void sendWarning(APDU apdu, short sw) {
        if (authenticated() && (flags[1] & PsdProtocol.SL_R_MAC) != 0) {
            apdu.setOutgoingAndSend((short) 0, wrapResponse(apdu.getBuffer(), (short) 0, sw));
        }
        ISOException.throwIt(sw);
    }
}
