package dev.cardsmith.ota;

import dev.cardsmith.applet.sim.Constants;

import java.io.ByteArrayOutputStream;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * Secured command packet, ETSI TS 102 225 5.1.1 in the SMS dialect of 3GPP TS 31.115 7.1.1: the
 * CPI is the user-data-header element 70 00 (not part of the packet), CHI is null, so the bytes are
 * <pre>
 * CPL(2) CHL(1) SPI(2) KIc(1) KID(1) TAR(3) | CNTR(5) PCNTR(1) RC/CC secured data [padding]
 *                                           |&lt;------------- ciphered when SPI b3 -------------&gt;|
 * </pre>
 * CPL counts from CHL to the end, CHL from SPI to the end of the RC/CC (13 + its length). The
 * RC/CC is computed over CPL..TAR || CNTR || PCNTR || secured data with padding, before ciphering;
 * padding is zero bytes up to the cipher block over CNTR..end and PCNTR counts them. RC is the
 * CRC the KID octet names (5.1.3.2); CC is 8 bytes under KID (5.1.3.1). DS is refused.
 */
public final class CommandPacket {
    private CommandPacket() {}

    /** Header length CPL..TAR (the plaintext part). */
    static final int HEADER = 10;

    public record Decoded(Spi spi, int kic, int kid, byte[] tar, long counter, byte[] data) {}

    public static byte[] encode(OtaKeys keys, Spi spi, long counter, byte[] securedData) {
        int sigLen = checkLength(spi.check(), keys.crc());
        if (counter < 0 || counter > 0xFF_FFFF_FFFFL) throw new IllegalArgumentException("counter out of the 5-byte range");
        int pad = 0;
        if (spi.ciphered()) {
            int bs = keys.algorithm().blockSize;
            pad = (bs - (6 + sigLen + securedData.length) % bs) % bs;
        }
        byte[] padded = Arrays.copyOf(securedData, securedData.length + pad);
        int cpl = 8 + 6 + sigLen + padded.length;
        if (cpl > 0xFFFF) throw new IllegalArgumentException("command packet too long");
        int kid = spi.check() == Spi.Check.RC ? keys.rcKidByte() : keys.kidByte();
        byte[] header = {
                (byte) (cpl >> 8), (byte) cpl, (byte) (Constants.CHL_BASE + sigLen),
                (byte) spi.first(), (byte) spi.second(), (byte) keys.kicByte(), (byte) kid,
                keys.tar()[0], keys.tar()[1], keys.tar()[2]};
        byte[] cntr = counterBytes(counter, pad);
        ByteArrayOutputStream sec = new ByteArrayOutputStream();
        sec.writeBytes(cntr);
        sec.writeBytes(checksum(spi.check(), keys, keys.crc(), concat(header, cntr, padded)));
        sec.writeBytes(padded);
        byte[] secured = sec.toByteArray();
        if (spi.ciphered()) secured = OtaCrypto.encrypt(keys, secured);
        return concat(header, secured);
    }

    /** Verifies and opens a command packet for one key set; throws {@link OtaSecurityException} with the PoR status. */
    public static Decoded decode(OtaKeys keys, byte[] packet) { return decode(OtaKeySets.of(keys), packet); }

    /**
     * Verifies and opens a command packet, taking the ciphering key from the key set the KIc octet
     * names and the CC key from the one the KID octet names (they may differ).
     */
    public static Decoded decode(OtaKeySets keys, byte[] packet) {
        if (packet.length < HEADER + 6) throw new IllegalArgumentException("command packet too short");
        int cpl = ((packet[0] & 0xFF) << 8) | (packet[1] & 0xFF);
        if (cpl != packet.length - 2) throw new IllegalArgumentException("CPL " + cpl + " does not match " + (packet.length - 2) + " bytes");
        Spi spi = new Spi(packet[3] & 0xFF, packet[4] & 0xFF);
        byte[] tar = Arrays.copyOfRange(packet, 7, 10);
        if (!Arrays.equals(tar, keys.tar())) throw new OtaSecurityException(Constants.POR_TAR_UNKNOWN, "TAR unknown");
        int kidOctet = packet[6] & 0xFF;
        OtaKeys ccKeys = null;
        OtaKeys.Crc crc = null;
        switch (spi.check()) {
            case DS -> throw new OtaSecurityException(Constants.POR_UNIDENTIFIED_SECURITY_ERROR, "DS (digital signature) is not supported");
            case CC -> ccKeys = keys.forKid(kidOctet);
            case RC -> {
                crc = OtaKeys.Crc.ofCode(kidOctet);
                if (crc == null) throw new OtaSecurityException(Constants.POR_UNIDENTIFIED_SECURITY_ERROR, "KID names no known CRC");
            }
            case NONE -> { }
        }
        int sigLen = checkLength(spi.check(), crc);
        if ((packet[2] & 0xFF) != Constants.CHL_BASE + sigLen) throw new OtaSecurityException(Constants.POR_UNIDENTIFIED_SECURITY_ERROR, "CHL does not match SPI");
        byte[] secured = Arrays.copyOfRange(packet, HEADER, packet.length);
        if (spi.ciphered()) secured = OtaCrypto.decrypt(keys.forKic(packet[5] & 0xFF), secured);
        int pcntr = secured[5] & 0xFF;
        int dataOff = 6 + sigLen;
        if (dataOff > secured.length || pcntr > secured.length - dataOff || (!spi.ciphered() && pcntr != 0)) {
            throw new OtaSecurityException(Constants.POR_CIPHERING_ERROR, "bad padding counter");
        }
        byte[] padded = Arrays.copyOfRange(secured, dataOff, secured.length);
        if (sigLen > 0) {
            byte[] expect = checksum(spi.check(), ccKeys, crc, concat(Arrays.copyOf(packet, HEADER), Arrays.copyOf(secured, 6), padded));
            if (!MessageDigest.isEqual(expect, Arrays.copyOfRange(secured, 6, dataOff))) {
                throw new OtaSecurityException(Constants.POR_RC_CC_DS_FAILED, spi.check() + " does not verify");
            }
        }
        long counter = 0;
        for (int i = 0; i < 5; i++) counter = (counter << 8) | (secured[i] & 0xFF);
        return new Decoded(spi, packet[5] & 0xFF, kidOctet, tar, counter, Arrays.copyOf(padded, padded.length - pcntr));
    }

    /** Length of the RC/CC; DS is refused. */
    static int checkLength(Spi.Check check, OtaKeys.Crc crc) {
        return switch (check) {
            case NONE -> 0;
            case RC -> crc.length;
            case CC -> Constants.CC_LEN;
            case DS -> throw new IllegalArgumentException("DS (digital signature, SPI b1b2 = 11) is not supported: use CC or RC");
        };
    }

    /** The RC or CC over data (empty for no check). */
    static byte[] checksum(Spi.Check check, OtaKeys keys, OtaKeys.Crc crc, byte[] data) {
        return switch (check) {
            case NONE -> new byte[0];
            case RC -> OtaCrypto.rc(crc, data);
            case CC -> OtaCrypto.cc(keys, data);
            case DS -> throw new IllegalArgumentException("DS (digital signature, SPI b1b2 = 11) is not supported: use CC or RC");
        };
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
