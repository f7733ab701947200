package dev.cardsmith.ota;

import dev.cardsmith.applet.sim.Constants;

import java.security.MessageDigest;
import java.util.Arrays;

/**
 * Response packet / proof of receipt, ETSI TS 102 225 5.2 in the SMS dialect of 3GPP TS 31.115
 * 7.1.2, as the user data of the SMS-DELIVER-REPORT (or SMS-SUBMIT):
 * <pre>
 * UDHL(02) RPI(71 00) RPL(2) RHL(1) TAR(3) | CNTR(5) PCNTR(1) STATUS(1) RC/CC additional data [padding]
 *                                         |&lt;-------------------- ciphered when requested ------------------&gt;|
 * </pre>
 * RPL counts from RHL to the end, RHL from TAR to the end of the RC/CC. The RC/CC covers
 * UDHL..STATUS || additional data with padding (the UDH is part of the checksum here).
 * PoRs for failed security checks carry neither RC/CC nor ciphering (RHL = 10, 7 bytes after the
 * TAR): they are reported with {@link #authenticated()} false. A ciphered PoR is told from such a
 * plain one by its length (a whole number of cipher blocks; a plain error PoR is 7 bytes).
 */
public record ResponsePacket(byte[] tar, long counter, int status, byte[] data, boolean authenticated) {

    public boolean ok() { return status == Constants.POR_OK; }

    public static byte[] encode(OtaKeys keys, boolean cc, boolean cipher, long counter, int status, byte[] data) {
        return encode(keys, cc ? Spi.Check.CC : Spi.Check.NONE, cipher, counter, status, data);
    }

    public static byte[] encode(OtaKeys keys, Spi.Check check, boolean cipher, long counter, int status, byte[] data) {
        int sigLen = CommandPacket.checkLength(check, keys.crc());
        int pad = 0;
        if (cipher) {
            int bs = keys.algorithm().blockSize;
            pad = (bs - (7 + sigLen + data.length) % bs) % bs;
        }
        byte[] padded = Arrays.copyOf(data, data.length + pad);
        int rpl = 1 + 3 + 7 + sigLen + padded.length;
        byte[] head = {0x02, Constants.IEI_RPI, 0x00, (byte) (rpl >> 8), (byte) rpl, (byte) (10 + sigLen)};
        byte[] tar = keys.tar();
        byte[] cntr = CommandPacket.counterBytes(counter, pad);
        byte[] sts = {(byte) status};
        byte[] sig = CommandPacket.checksum(check, keys, keys.crc(), CommandPacket.concat(head, tar, cntr, sts, padded));
        byte[] sec = CommandPacket.concat(cntr, sts, sig, padded);
        if (cipher) sec = OtaCrypto.encrypt(keys, sec);
        return CommandPacket.concat(head, tar, sec);
    }

    /** Decodes a PoR as the card sent it for a command with this SPI and key set. */
    public static ResponsePacket decode(OtaKeys keys, Spi spi, byte[] ud) {
        if (ud.length < 16 || ud[0] != 0x02 || ud[1] != Constants.IEI_RPI || ud[2] != 0x00) {
            throw new IllegalArgumentException("not a response packet (user data header 02 71 00 expected)");
        }
        int rpl = ((ud[3] & 0xFF) << 8) | (ud[4] & 0xFF);
        if (rpl != ud.length - 5) throw new IllegalArgumentException("RPL " + rpl + " does not match " + (ud.length - 5) + " bytes");
        int rhl = ud[5] & 0xFF;
        byte[] tar = Arrays.copyOfRange(ud, 6, 9);
        byte[] sec = Arrays.copyOfRange(ud, 9, ud.length);
        Spi.Check check = spi.porCheck();
        int sigLen = CommandPacket.checkLength(check, keys.crc());
        boolean ciphered = spi.porCiphered() && sec.length % keys.algorithm().blockSize == 0;
        boolean secured = rhl == 10 + sigLen && (sigLen > 0 || ciphered);
        if (!secured) {
            // error PoR or a PoR without any security: plain, no RC/CC
            if (rhl != 10) throw new IllegalArgumentException("RHL " + rhl + " fits neither a plain PoR (10) nor the requested " + check + " (" + (10 + sigLen) + ")");
            int status = sec[6] & 0xFF;
            if (status == Constants.POR_OK && (sigLen > 0 || spi.porCiphered())) {
                throw new OtaSecurityException(Constants.POR_RC_CC_DS_FAILED, "PoR OK without the requested " + (sigLen > 0 ? check.name() : "ciphering"));
            }
            return new ResponsePacket(tar, counter(sec), status, Arrays.copyOfRange(sec, 7, sec.length), false);
        }
        if (sec.length < 7 + sigLen) throw new IllegalArgumentException("PoR shorter than its header");
        if (spi.porCiphered()) {
            if (!ciphered) throw new OtaSecurityException(Constants.POR_CIPHERING_ERROR, "ciphered PoR is not a whole number of blocks");
            sec = OtaCrypto.decrypt(keys, sec);
        }
        int pcntr = sec[5] & 0xFF;
        int dataOff = 7 + sigLen;
        if (pcntr > sec.length - dataOff || (pcntr != 0 && !spi.porCiphered())) {
            throw new OtaSecurityException(Constants.POR_CIPHERING_ERROR, "bad PoR padding counter");
        }
        byte[] padded = Arrays.copyOfRange(sec, dataOff, sec.length);
        if (sigLen > 0) {
            byte[] expect = CommandPacket.checksum(check, keys, keys.crc(), CommandPacket.concat(Arrays.copyOf(ud, 9), Arrays.copyOf(sec, 7), padded));
            if (!MessageDigest.isEqual(expect, Arrays.copyOfRange(sec, 7, dataOff))) {
                throw new OtaSecurityException(Constants.POR_RC_CC_DS_FAILED, "PoR " + check + " does not verify");
            }
        }
        return new ResponsePacket(tar, counter(sec), sec[6] & 0xFF, Arrays.copyOf(padded, padded.length - pcntr), check == Spi.Check.CC);
    }

    private static long counter(byte[] sec) {
        long c = 0;
        for (int i = 0; i < 5; i++) c = (c << 8) | (sec[i] & 0xFF);
        return c;
    }

    /** The compact remote response (TS 102 226 5.1.2) in the additional data. */
    public CompactResponse compact() { return CompactResponse.parse(data); }

    public record CompactResponse(int commands, int sw, byte[] data) {
        public static CompactResponse parse(byte[] d) {
            if (d.length < 3) throw new IllegalArgumentException("compact response shorter than 3 bytes");
            return new CompactResponse(d[0] & 0xFF, ((d[1] & 0xFF) << 8) | (d[2] & 0xFF), Arrays.copyOfRange(d, 3, d.length));
        }

        public boolean ok() { return sw == 0x9000; }
    }
}
