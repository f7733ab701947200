package dev.cardsmith.ota;

import dev.cardsmith.applet.sim.Constants;

import java.io.ByteArrayOutputStream;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * Secured command packet, ETSI TS 102 225 5.1.1 in the SMS dialect of 3GPP TS 31.115 7.1.1: the
 * CPI is the user-data-header element 70 00 (not part of the packet), CHI is null, so the bytes are
 * <pre>
 * CPL(2) CHL(1) SPI(2) KIc(1) KID(1) TAR(3) | CNTR(5) PCNTR(1) CC(8) secured data [padding]
 *                                           |&lt;------------- ciphered when SPI b3 -------------&gt;|
 * </pre>
 * CPL counts from CHL to the end, CHL from SPI to the end of the CC (13 + 8). The CC is computed
 * over CPL..TAR || CNTR || PCNTR || secured data with padding, before ciphering; padding is zero
 * bytes up to the cipher block over CNTR..end and PCNTR counts them.
 */
public final class CommandPacket {
    private CommandPacket() {}

    /** Header length CPL..TAR (the plaintext part). */
    static final int HEADER = 10;

    public record Decoded(Spi spi, int kic, int kid, byte[] tar, long counter, byte[] data) {}

    public static byte[] encode(OtaKeys keys, Spi spi, long counter, byte[] securedData) {
        if (spi.rcCcDs() != 0 && !spi.cc()) throw new IllegalArgumentException("only CC (or nothing) is supported as RC/CC/DS");
        if (counter < 0 || counter > 0xFF_FFFF_FFFFL) throw new IllegalArgumentException("counter out of the 5-byte range");
        int ccLen = spi.cc() ? Constants.CC_LEN : 0;
        int pad = 0;
        if (spi.ciphered()) {
            int bs = keys.algorithm().blockSize;
            pad = (bs - (6 + ccLen + securedData.length) % bs) % bs;
        }
        byte[] padded = Arrays.copyOf(securedData, securedData.length + pad);
        int cpl = 8 + 6 + ccLen + padded.length;
        if (cpl > 0xFFFF) throw new IllegalArgumentException("command packet too long");
        byte[] header = {
                (byte) (cpl >> 8), (byte) cpl, (byte) (Constants.CHL_BASE + ccLen),
                (byte) spi.first(), (byte) spi.second(), (byte) keys.kicByte(), (byte) keys.kidByte(),
                keys.tar()[0], keys.tar()[1], keys.tar()[2]};
        byte[] cntr = counterBytes(counter, pad);
        ByteArrayOutputStream sec = new ByteArrayOutputStream();
        sec.writeBytes(cntr);
        if (ccLen > 0) sec.writeBytes(OtaCrypto.cc(keys, concat(header, cntr, padded)));
        sec.writeBytes(padded);
        byte[] secured = sec.toByteArray();
        if (spi.ciphered()) secured = OtaCrypto.encrypt(keys, secured);
        return concat(header, secured);
    }

    /** Verifies and opens a command packet; throws {@link OtaSecurityException} with the PoR status. */
    public static Decoded decode(OtaKeys keys, byte[] packet) {
        if (packet.length < HEADER + 6) throw new IllegalArgumentException("command packet too short");
        int cpl = ((packet[0] & 0xFF) << 8) | (packet[1] & 0xFF);
        if (cpl != packet.length - 2) throw new IllegalArgumentException("CPL " + cpl + " does not match " + (packet.length - 2) + " bytes");
        Spi spi = new Spi(packet[3] & 0xFF, packet[4] & 0xFF);
        byte[] tar = Arrays.copyOfRange(packet, 7, 10);
        if (!Arrays.equals(tar, keys.tar())) throw new OtaSecurityException(Constants.POR_TAR_UNKNOWN, "TAR unknown");
        if (spi.rcCcDs() != 0 && !spi.cc()) throw new OtaSecurityException(Constants.POR_UNIDENTIFIED_SECURITY_ERROR, "RC/DS not supported");
        int ccLen = spi.cc() ? Constants.CC_LEN : 0;
        if ((packet[2] & 0xFF) != Constants.CHL_BASE + ccLen) throw new OtaSecurityException(Constants.POR_UNIDENTIFIED_SECURITY_ERROR, "CHL does not match SPI");
        if (spi.ciphered() && (packet[5] & 0xFF) != keys.kicByte()) throw new OtaSecurityException(Constants.POR_UNIDENTIFIED_SECURITY_ERROR, "unknown KIc");
        if (ccLen > 0 && (packet[6] & 0xFF) != keys.kidByte()) throw new OtaSecurityException(Constants.POR_UNIDENTIFIED_SECURITY_ERROR, "unknown KID");
        byte[] secured = Arrays.copyOfRange(packet, HEADER, packet.length);
        if (spi.ciphered()) secured = OtaCrypto.decrypt(keys, secured);
        int pcntr = secured[5] & 0xFF;
        int dataOff = 6 + ccLen;
        if (dataOff > secured.length || pcntr > secured.length - dataOff || (!spi.ciphered() && pcntr != 0)) {
            throw new OtaSecurityException(Constants.POR_CIPHERING_ERROR, "bad padding counter");
        }
        byte[] padded = Arrays.copyOfRange(secured, dataOff, secured.length);
        if (ccLen > 0) {
            byte[] expect = OtaCrypto.cc(keys, concat(Arrays.copyOf(packet, HEADER), Arrays.copyOf(secured, 6), padded));
            if (!MessageDigest.isEqual(expect, Arrays.copyOfRange(secured, 6, 6 + ccLen))) {
                throw new OtaSecurityException(Constants.POR_RC_CC_DS_FAILED, "CC does not verify");
            }
        }
        long counter = 0;
        for (int i = 0; i < 5; i++) counter = (counter << 8) | (secured[i] & 0xFF);
        return new Decoded(spi, packet[5] & 0xFF, packet[6] & 0xFF, tar, counter,
                Arrays.copyOf(padded, padded.length - pcntr));
    }

    static byte[] counterBytes(long counter, int pcntr) {
        return new byte[] {(byte) (counter >> 32), (byte) (counter >> 24), (byte) (counter >> 16), (byte) (counter >> 8), (byte) counter, (byte) pcntr};
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        for (byte[] p : parts) o.writeBytes(p);
        return o.toByteArray();
    }
}
