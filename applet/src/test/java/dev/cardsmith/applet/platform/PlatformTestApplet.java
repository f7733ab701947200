package dev.cardsmith.applet.platform;

import javacard.framework.APDU;
import javacard.framework.Applet;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.Util;
import javacard.security.AESKey;
import javacard.security.CryptoException;
import javacard.security.KeyBuilder;
import javacardx.apdu.ExtendedLength;
import javacardx.crypto.Cipher;

/**
 * A small applet that runs every piece of the platform layer on card (jCardSim), the way a real
 * applet uses it: install parameters, the dispatch table, ApduIo in and out, TLV, CMAC on both
 * paths, the P-256 point check, padding, constant-time compare and the exception policy.
 */
public final class PlatformTestApplet extends Applet implements ExtendedLength {

    static final byte INS_ECHO = 0x10;          // LONG: data back (chaining / extended in, 61xx out)
    static final byte INS_CMAC = 0x12;          // P1 = 0 platform, 1 software; data = key(16|32) || msg
    static final byte INS_ON_CURVE = 0x14;      // data = point; 9000 + 01/00
    static final byte INS_TLV = 0x16;           // data = TLVs; out = (tag(2) len(2))* depth-first
    static final byte INS_PAD = 0x18;           // P1 = 0 pad, 1 unpad (out: data or 6A80)
    static final byte INS_EQUAL = 0x1A;         // data = a || b (equal halves); out 01/00
    static final byte INS_THROW = 0x1C;         // P1 selects the exception
    static final byte INS_SET_STATE = 0x1E;     // P1 = state
    static final byte INS_STATE_ONE = 0x20;     // allowed in state 1 only (else 6985)
    static final byte INS_STATE_TWO = 0x22;     // allowed in state 2 only (else 6986)
    static final byte INS_PARAMS = 0x24;        // the install parameters
    static final byte INS_PLATFORM_CMAC = 0x26; // out: 01 if the platform path exists
    static final short STAGING = 600;

    private static final byte ALL = CommandTable.ANY_STATE;
    private static final byte[] TABLE = {
        INS_ECHO, ALL, CommandTable.LONG,
        INS_CMAC, ALL, 0,
        INS_ON_CURVE, ALL, 0,
        INS_TLV, ALL, 0,
        INS_PAD, ALL, 0,
        INS_EQUAL, ALL, 0,
        INS_THROW, ALL, 0,
        INS_SET_STATE, ALL, 0,
        INS_STATE_ONE, (byte) 0x02, 0,
        INS_STATE_TWO, (byte) 0x04, CommandTable.REFUSE_NOT_ALLOWED,
        INS_PARAMS, ALL, 0,
        INS_PLATFORM_CMAC, ALL, 0,
    };

    private final CommandTable table = new CommandTable(TABLE);
    private final ApduIo io = new ApduIo(STAGING);
    private final Tlv tlv = new Tlv((short) 3);
    private final AesCmac platformCmac;
    private final AesCmac softwareCmac;
    private final AESKey key128;
    private final AESKey key256;
    private final byte[] ram;
    private final byte[] params;
    private byte state;

    private PlatformTestApplet(byte[] b, short off, byte len) {
        Cipher ecb = Cipher.getInstance(Cipher.ALG_AES_BLOCK_128_ECB_NOPAD, false);
        platformCmac = new AesCmac(ecb, true);
        softwareCmac = new AesCmac(ecb, false);
        key128 = (AESKey) KeyBuilder.buildKey(KeyBuilder.TYPE_AES, KeyBuilder.LENGTH_AES_128, false);
        key256 = (AESKey) KeyBuilder.buildKey(KeyBuilder.TYPE_AES, KeyBuilder.LENGTH_AES_256, false);
        ram = JCSystem.makeTransientByteArray((short) 256, JCSystem.CLEAR_ON_DESELECT);
        short pl = InstallParams.paramsLength(b, off, len);
        params = new byte[pl];
        Util.arrayCopyNonAtomic(b, InstallParams.paramsOffset(b, off, len), params, (short) 0, pl);
        register(b, InstallParams.aidOffset(b, off), InstallParams.aidLength(b, off));
    }

    public static void install(byte[] b, short off, byte len) {
        new PlatformTestApplet(b, off, len);
    }

    @Override
    public void process(APDU apdu) {
        if (selectingApplet()) return;
        try {
            if (io.begin(apdu)) return;
            byte[] buf = apdu.getBuffer();
            byte flags = table.check(buf[ISO7816.OFFSET_INS], state);
            dispatch(apdu, buf, (flags & CommandTable.LONG) != 0);
        } catch (RuntimeException e) {
            io.abort();
            ISOException.throwIt(Sw.forException(e));
        }
    }

    private void dispatch(APDU apdu, byte[] buf, boolean longAllowed) {
        byte p1 = buf[ISO7816.OFFSET_P1];
        switch (buf[ISO7816.OFFSET_INS]) {
            case INS_ECHO: {
                short n = io.receive(apdu, (short) 0, STAGING, longAllowed);
                if (n == ApduIo.IN_CHAIN) return;
                io.send(apdu, io.data(apdu), io.dataOffset(apdu), n);
                return;
            }
            case INS_CMAC: {
                short n = io.receive(apdu, (short) 16, (short) 255, longAllowed);
                short d = apdu.getOffsetCdata();
                short keyLen = buf[ISO7816.OFFSET_P2] == 32 ? (short) 32 : (short) 16;
                AESKey k = keyLen == 32 ? key256 : key128;
                k.setKey(buf, d);
                AesCmac c = p1 == 0 ? platformCmac : softwareCmac;
                // streamed in two parts to exercise update()
                short msg = (short) (d + keyLen);
                short mlen = (short) (n - keyLen);
                short half = (short) (mlen / 2);
                c.init(k);
                c.update(buf, msg, half);
                c.sign(buf, (short) (msg + half), (short) (mlen - half), buf, (short) 0);
                apdu.setOutgoingAndSend((short) 0, AesCmac.BLOCK);
                return;
            }
            case INS_ON_CURVE: {
                short n = io.receive(apdu, (short) 0, (short) 255, longAllowed);
                buf[0] = P256.isOnCurve(buf, apdu.getOffsetCdata(), n, ram, (short) 0) ? (byte) 1 : (byte) 0;
                P256.checkPoint(buf, apdu.getOffsetCdata(), n, ram, (short) 0);
                apdu.setOutgoingAndSend((short) 0, (short) 1);
                return;
            }
            case INS_TLV: {
                short n = io.receive(apdu, (short) 0, (short) 200, longAllowed);
                short d = apdu.getOffsetCdata();
                Util.arrayCopyNonAtomic(buf, d, ram, (short) 0, n);
                tlv.start(ram, (short) 0, n);
                short o = walk(buf, (short) 0);
                tlv.finish();
                apdu.setOutgoingAndSend((short) 0, o);
                return;
            }
            case INS_PAD: {
                short n = io.receive(apdu, (short) 0, (short) 200, longAllowed);
                short d = apdu.getOffsetCdata();
                short r = p1 == 0 ? Bytes.pad(buf, d, n) : Bytes.unpad(buf, d, n);
                if (r < 0) ISOException.throwIt(Sw.WRONG_DATA);
                apdu.setOutgoingAndSend(d, r);
                return;
            }
            case INS_EQUAL: {
                short n = io.receive(apdu, (short) 0, (short) 200, longAllowed);
                short half = (short) (n / 2);
                short d = apdu.getOffsetCdata();
                buf[0] = Bytes.equal(buf, d, buf, (short) (d + half), half) ? (byte) 1 : (byte) 0;
                apdu.setOutgoingAndSend((short) 0, (short) 1);
                return;
            }
            case INS_THROW:
                io.requireNoData(apdu);
                raise(p1);
                return;
            case INS_SET_STATE:
                io.requireNoData(apdu);
                state = p1;
                return;
            case INS_STATE_ONE:
            case INS_STATE_TWO:
                io.requireNoData(apdu);
                return;
            case INS_PARAMS:
                io.requireNoData(apdu);
                io.send(apdu, params, (short) 0, (short) params.length);
                return;
            case INS_PLATFORM_CMAC:
                io.requireNoData(apdu);
                buf[0] = platformCmac.isSoftware() ? (byte) 0 : (byte) 1;
                apdu.setOutgoingAndSend((short) 0, (short) 1);
                return;
            default:
                ISOException.throwIt(Sw.INS_NOT_SUPPORTED);
        }
    }

    /** Writes tag(2) || length(2) of every TLV depth-first; enters constructed ones (first tag byte bit 20). */
    private short walk(byte[] out, short o) {
        while (tlv.next()) {
            o = Util.setShort(out, o, tlv.tag());
            o = Util.setShort(out, o, tlv.length());
            short t = tlv.tag();
            byte first = (byte) (t > 0xFF ? (t >> 8) : t);
            if ((first & 0x20) != 0) {
                tlv.enter();
                o = walk(out, o);
                tlv.leave();
            }
        }
        return o;
    }

    private void raise(byte which) {
        switch (which) {
            case 1: {
                byte[] none = null;
                none[0] = 1; // NullPointerException
                return;
            }
            case 2: {
                byte[] b = ram;
                b[(short) (b.length + 1)] = 1; // ArrayIndexOutOfBoundsException
                return;
            }
            case 3:
                CryptoException.throwIt(CryptoException.ILLEGAL_VALUE);
                return;
            case 4:
                ISOException.throwIt(Sw.REFERENCED_DATA_NOT_FOUND);
                return;
            case 5:
                JCSystem.beginTransaction();
                state = 5;
                ISOException.throwIt(Sw.CONDITIONS_NOT_SATISFIED); // the policy aborts the transaction
                return;
            case 6:
                ISOException.throwIt((short) 0x6F00);
                return;
            default:
                ISOException.throwIt(Sw.INCORRECT_P1P2);
        }
    }
}
