package dev.cardsmith.applet.sim;

import dev.cardsmith.applet.platform.Bytes;
import dev.cardsmith.applet.platform.Sw;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.Util;
import javacardx.crypto.Cipher;

/**
 * The secured command packet of ETSI TS 102 225 / 3GPP TS 31.115, which this applet checks itself
 * (it registers EVENT_UNFORMATTED_SMS_PP_ENV; the UICC's runtime has reassembled the message and
 * dispatched it by TAR): security level, key identification, deciphering, CC check, counter check,
 * execution of the compact remote commands (TS 102 226 5.1.1, {@link OtaCommands}) and the response
 * packet (PoR). Depends on OtaCommands only; {@link ToolkitEvents} and the terminal protocol call
 * this class, never the other way.
 */
final class OtaReceiver {

    /** Offsets in the reassembled command packet (TS 31.115 7.1.1, CPI carried in the UDH). */
    private static final short O_CPL = 0;
    private static final short O_CHL = 2;
    private static final short O_SPI1 = 3;
    private static final short O_SPI2 = 4;
    private static final short O_KIC = 5;
    private static final short O_KID = 6;
    private static final short O_TAR = 7;
    private static final short O_CNTR = 10;
    private static final short O_PCNTR = 15;
    private static final short O_CC = 16;

    /** Offsets in the response packet built in the APDU buffer (TS 31.115 7.1.2). */
    private static final short R_RPL = 3;
    private static final short R_RHL = 5;
    private static final short R_TAR = 6;
    private static final short R_CNTR = 9;
    private static final short R_PCNTR = 14;
    private static final short R_STATUS = 15;
    private static final short R_CC = 16;

    private final State st;
    private final Crypto crypto;
    private final Transients tr;
    private final OtaCommands commands;

    OtaReceiver(State st, Crypto crypto, Transients tr, OtaCommands commands) {
        this.st = st;
        this.crypto = crypto;
        this.tr = tr;
        this.commands = commands;
    }

    // ------------------------------------------------------------------ secured packet

    /**
     * The command packet the toolkit event copied to tr.rx[0..len) (the short message after the
     * user-data header, TS 31.115 6.2): security checks, commands, and the response packet in
     * tr.out[0..return). 0 when SPI2 asks for no PoR. rx is cleared afterwards: a packet
     * deciphered in place may hold keys (INIT_TRUST, LICENSE).
     */
    short securedPacket(short len) {
        try {
            return commandPacket(tr.rx, len);
        } finally {
            Util.arrayFillNonAtomic(tr.rx, (short) 0, len, (byte) 0);
        }
    }

    /** Processes the command packet in pkt[0..len); writes the response (PoR or nothing) to tr.out[0..]. */
    private short commandPacket(byte[] pkt, short len) {
        if (len < (short) (O_CNTR + 6) || Util.getShort(pkt, O_CPL) != (short) (len - 2)) {
            ISOException.throwIt(Sw.WRONG_DATA);
        }
        byte spi1 = pkt[O_SPI1];
        byte spi2 = pkt[O_SPI2];
        // Security checks in order; a failure yields a PoR without CC or ciphering.
        if (Util.arrayCompare(pkt, O_TAR, st.tar, (short) 0, Constants.TAR_LEN) != 0) {
            return por(pkt, spi2, Constants.POR_TAR_UNKNOWN, false, (short) 0);
        }
        byte rcccds = (byte) (spi1 & Constants.SPI1_RCCCDS_MASK);
        short ccLen;
        if (rcccds == 0) ccLen = 0;
        else if (rcccds == Constants.SPI1_CC) ccLen = Constants.CC_LEN;
        else return por(pkt, spi2, Constants.POR_UNIDENTIFIED_SECURITY_ERROR, false, (short) 0);
        boolean ciphered = (spi1 & Constants.SPI1_CIPHER) != 0;
        byte cntrMode = (byte) (spi1 & Constants.SPI1_COUNTER_MASK);
        // minimum security level (TS 102 226 8.2.1.3.2.1.1, coded like SPI octet 1)
        byte msl = st.msl;
        if (rcccds < (byte) (msl & Constants.SPI1_RCCCDS_MASK)
                || ((msl & Constants.SPI1_CIPHER) != 0 && !ciphered)
                || cntrMode < (byte) (msl & Constants.SPI1_COUNTER_MASK)) {
            return por(pkt, spi2, Constants.POR_INSUFFICIENT_SECURITY_LEVEL, false, (short) 0);
        }
        if ((short) (pkt[O_CHL] & 0xFF) != (short) (Constants.CHL_BASE + ccLen)) {
            return por(pkt, spi2, Constants.POR_UNIDENTIFIED_SECURITY_ERROR, false, (short) 0);
        }
        // the key sets the KIc and KID octets name (algorithm and key index, TS 102 225 5.1.2/5.1.3.1);
        // a PoR ciphered or checksummed for a packet that used none takes the first set
        short kicSet = st.keys.find(pkt[O_KIC], false);
        short kidSet = st.keys.find(pkt[O_KID], true);
        if ((ciphered && kicSet < 0) || (ccLen > 0 && kidSet < 0)) {
            return por(pkt, spi2, Constants.POR_UNIDENTIFIED_SECURITY_ERROR, false, (short) 0);
        }
        tr.ota[Transients.O_KIC_SET] = (byte) (kicSet < 0 ? 0 : kicSet);
        tr.ota[Transients.O_KID_SET] = (byte) (kidSet < 0 ? 0 : kidSet);
        short secLen = (short) (len - O_CNTR);
        if (ciphered) {
            if (secLen % crypto.otaBlock(st, kicSet) != 0) {
                return por(pkt, spi2, Constants.POR_CIPHERING_ERROR, false, (short) 0);
            }
            crypto.otaCipher(st, kicSet, Cipher.MODE_DECRYPT, pkt, O_CNTR, secLen);
        }
        short data = (short) (O_CC + ccLen);
        short pcntr = (short) (pkt[O_PCNTR] & 0xFF);
        if (data > len || pcntr > (short) (len - data) || (!ciphered && pcntr != 0)) {
            return por(pkt, spi2, Constants.POR_CIPHERING_ERROR, false, (short) 0);
        }
        if (ccLen > 0) {
            // CC over CPL..TAR, CNTR, PCNTR and the secured data with its padding (TS 31.115 7.1.1)
            Util.arrayCopyNonAtomic(pkt, O_CPL, tr.scratch, (short) 0, O_CC);
            crypto.ccBegin(st, kidSet);
            crypto.ccUpdate(tr.scratch, (short) 0, O_CC);
            crypto.ccFinal(pkt, data, (short) (len - data), tr.scratch, (short) 0);
            if (!Bytes.equal(tr.scratch, (short) 0, pkt, O_CC, Constants.CC_LEN)) {
                return por(pkt, spi2, Constants.POR_RC_CC_DS_FAILED, false, (short) 0);
            }
        }
        byte status = checkCounter(pkt, cntrMode);
        if (status != Constants.POR_OK) return por(pkt, spi2, status, true, (short) 0);

        // counter update and every command's effect in one transaction
        short dataEnd = (short) (len - pcntr);
        short resp;
        // keys need confidentiality and integrity: CBC alone lets a bit flip in one block
        // change the next block's plaintext (IMEI, expiry, plays) without the key
        tr.ota[Transients.O_PACKET_CIPHERED] = (byte) (ciphered && ccLen > 0 ? 1 : 0);
        // key objects are not transactional on many cards: INIT_TRUST's and LICENSE's keys are
        // written before the transaction, into slots the committed state does not use
        stageKeys(pkt, data, dataEnd);
        JCSystem.beginTransaction();
        try {
            if (cntrMode == Constants.SPI1_COUNTER_HIGHER || cntrMode == Constants.SPI1_COUNTER_PLUS_ONE) {
                Util.arrayCopy(pkt, O_CNTR, st.counter, (short) 0, Constants.CNTR_LEN);
            }
            resp = executeRemote(pkt, data, dataEnd);
            JCSystem.commitTransaction();
        } catch (ISOException e) {
            // only thrown by validation before any write: keep the counter update
            JCSystem.commitTransaction();
            throw e;
        } finally {
            commands.beginPacket(); // forget what was staged: unused staged keys are unreachable
        }
        st.finishClear(); // keys the packet made unreachable (INIT_TRUST, REVOKE), or a staged key not used
        return por(pkt, spi2, Constants.POR_OK, true, resp);
    }

    /** TS 102 225 5.1.1 counter modes: 00 none, 01 available (no check), 10 higher, 11 exactly one higher. */
    private byte checkCounter(byte[] pkt, byte mode) {
        if (mode == Constants.SPI1_COUNTER_NONE || mode == Constants.SPI1_COUNTER_AVAILABLE) return Constants.POR_OK;
        byte[] c = st.counter;
        boolean blocked = true;
        for (short i = 0; i < Constants.CNTR_LEN; i++) if (c[i] != (byte) 0xFF) blocked = false;
        if (blocked) return Constants.POR_CNTR_BLOCKED;
        short cmp = compareUnsigned(pkt, O_CNTR, c, (short) 0, Constants.CNTR_LEN);
        if (cmp <= 0) return Constants.POR_CNTR_LOW;
        if (mode == Constants.SPI1_COUNTER_PLUS_ONE) {
            byte[] s = tr.scratch;
            Util.arrayCopyNonAtomic(c, (short) 0, s, (short) 0, Constants.CNTR_LEN);
            for (short i = (short) (Constants.CNTR_LEN - 1); i >= 0; i--) {
                s[i]++;
                if (s[i] != 0) break;
            }
            if (Util.arrayCompare(pkt, O_CNTR, s, (short) 0, Constants.CNTR_LEN) != 0) return Constants.POR_CNTR_HIGH;
        }
        return Constants.POR_OK;
    }

    private static short compareUnsigned(byte[] a, short ao, byte[] b, short bo, short len) {
        for (short i = 0; i < len; i++) {
            short x = (short) (a[(short) (ao + i)] & 0xFF);
            short y = (short) (b[(short) (bo + i)] & 0xFF);
            if (x != y) return x < y ? (short) -1 : (short) 1;
        }
        return 0;
    }

    /**
     * Before the packet's transaction: hands each compact command (CLA INS P1 P2 Lc data ...) to
     * OtaCommands.stage, which writes the keys of INIT_TRUST and LICENSE puts into unreachable slots.
     */
    private void stageKeys(byte[] pkt, short off, short end) {
        commands.beginPacket();
        while ((short) (off + 5) <= end) {
            short lc = (short) (pkt[(short) (off + 4)] & 0xFF);
            if ((short) (off + 5 + lc) > end) return;
            if (pkt[off] == Constants.CLA_PROPRIETARY) {
                commands.stage(pkt[(short) (off + 1)], pkt[(short) (off + 2)], pkt, (short) (off + 5), lc);
            }
            off = (short) (off + 5 + lc);
        }
    }

    /**
     * Runs the compact remote commands (CLA INS P1 P2 Lc data ...) in pkt[off..end) and leaves
     * the compact response (TS 102 226 5.1.2: number of commands, last SW, last data) in tr.out.
     */
    private short executeRemote(byte[] pkt, short off, short end) {
        byte[] out = tr.out;
        short count = 0;
        short sw = Sw.OK;
        short respLen = 0;
        while (off < end) {
            if ((short) (off + 5) > end) { sw = Sw.WRONG_LENGTH; count++; break; }
            short lc = (short) (pkt[(short) (off + 4)] & 0xFF);
            if ((short) (off + 5 + lc) > end) { sw = Sw.WRONG_LENGTH; count++; break; }
            count++;
            respLen = 0;
            try {
                if (pkt[off] != Constants.CLA_PROPRIETARY) ISOException.throwIt(Sw.CLA_NOT_SUPPORTED);
                respLen = commands.execute(pkt[(short) (off + 1)], pkt[(short) (off + 2)], pkt, (short) (off + 5), lc, out, (short) (Transients.DATA_AT + 3));
                sw = Sw.OK;
            } catch (ISOException e) {
                sw = e.getReason();
                respLen = 0;
                break;
            }
            off = (short) (off + 5 + lc);
        }
        out[Transients.DATA_AT] = (byte) count;
        Util.setShort(out, (short) (Transients.DATA_AT + 1), sw);
        return (short) (3 + respLen);
    }

    /**
     * Builds the response packet in tr.out: UDHL IEI(71) IEDL RPL RHL TAR CNTR PCNTR STS [CC] data,
     * the data being the compact response at tr.out[DATA_AT]. Security errors are answered without
     * CC or ciphering (the sender's keys are not trusted).
     */
    private short por(byte[] pkt, byte spi2, byte status, boolean cntrValid, short dataLen) {
        byte mode = (byte) (spi2 & Constants.SPI2_POR_MASK);
        if (mode == Constants.SPI2_POR_NONE) return 0;
        if (mode == Constants.SPI2_POR_ON_ERROR && status == Constants.POR_OK) return 0;
        boolean secured = status == Constants.POR_OK;
        boolean cc = secured && (spi2 & Constants.SPI2_POR_CC_MASK) == Constants.SPI2_POR_CC;
        boolean cipher = secured && (spi2 & Constants.SPI2_POR_CIPHER) != 0;
        return responsePacket(pkt, O_TAR, cntrValid ? pkt : null, O_CNTR, status, cc, cipher, dataLen);
    }

    /**
     * Secured notification (Fig. 1 step 28) for the OTA server in tr.out: CC under KID, current
     * counter, the data being tr.out[DATA_AT..DATA_AT+dataLen).
     */
    short notification(short dataLen) {
        tr.ota[Transients.O_KIC_SET] = 0; // the first key set
        tr.ota[Transients.O_KID_SET] = 0;
        return responsePacket(st.tar, (short) 0, st.counter, (short) 0, Constants.POR_OK, true, false, dataLen);
    }

    private short responsePacket(byte[] tarSrc, short tarOff, byte[] cntrSrc, short cntrOff, byte status, boolean cc, boolean cipher,
                                 short dataLen) {
        byte[] buf = tr.out;
        short ccLen = cc ? Constants.CC_LEN : 0;
        short dataOff = (short) (R_CC + ccLen);
        // the compact response sits at DATA_AT (room for the longest header): move it behind this header
        Util.arrayCopyNonAtomic(buf, Transients.DATA_AT, buf, dataOff, dataLen);
        buf[0] = 0x02;
        buf[1] = Constants.IEI_RPI;
        buf[2] = 0x00;
        Util.arrayCopyNonAtomic(tarSrc, tarOff, buf, R_TAR, Constants.TAR_LEN);
        if (cntrSrc == null) {
            Util.arrayFillNonAtomic(buf, R_CNTR, Constants.CNTR_LEN, (byte) 0);
        } else {
            Util.arrayCopyNonAtomic(cntrSrc, cntrOff, buf, R_CNTR, Constants.CNTR_LEN);
        }
        buf[R_STATUS] = status;
        short end = (short) (dataOff + dataLen);
        short pad = 0;
        if (cipher) {
            short clear = (short) (end - R_CNTR);
            short bs = crypto.otaBlock(st, tr.ota[Transients.O_KIC_SET]);
            pad = (short) ((short) (bs - clear % bs) % bs);
            Util.arrayFillNonAtomic(buf, end, pad, (byte) 0);
            end += pad;
        }
        buf[R_PCNTR] = (byte) pad;
        buf[R_RHL] = (byte) (10 + ccLen);
        Util.setShort(buf, R_RPL, (short) (end - R_RHL));
        if (cc) {
            crypto.ccBegin(st, tr.ota[Transients.O_KID_SET]);
            crypto.ccUpdate(buf, (short) 0, R_CC);
            crypto.ccFinal(buf, dataOff, (short) (end - dataOff), tr.scratch, (short) 0);
            Util.arrayCopyNonAtomic(tr.scratch, (short) 0, buf, R_CC, Constants.CC_LEN);
        }
        if (cipher) {
            crypto.otaCipher(st, tr.ota[Transients.O_KIC_SET], Cipher.MODE_ENCRYPT, buf, R_CNTR, (short) (end - R_CNTR));
        }
        return end;
    }
}
