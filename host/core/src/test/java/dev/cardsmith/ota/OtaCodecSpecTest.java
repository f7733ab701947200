package dev.cardsmith.ota;

import dev.cardsmith.applet.sim.Constants;
import dev.cardsmith.crypto.Hex;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static dev.cardsmith.ota.OtaCodecTest.V;
import static dev.cardsmith.ota.OtaCodecTest.h;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The codec beyond AES/two-key 3DES with CC: the ciphered PoR without CC, RC (CRC-16 / CRC-32 of
 * TS 102 225 5.1.3.2 and annex B), single DES and three-key 3DES, DS refused, several key sets per
 * SIM chosen by the KIc/KID key index. Vectors: ota/pysim-test_ota.properties (sources named there).
 */
class OtaCodecSpecTest {

    static final byte[] TAR = h("tar");
    static final byte[] APDU = h("apdu");

    static OtaKeys keys(OtaKeys.Algorithm alg, String prefix) {
        int i = Integer.parseInt(V.getProperty(prefix + ".index"));
        byte[] tar = V.getProperty(prefix + ".tar") != null ? h(prefix + ".tar") : TAR;
        return new OtaKeys(alg, i, h(prefix + ".kic"), i, h(prefix + ".kid"), tar);
    }

    static OtaKeys aes() { return keys(OtaKeys.Algorithm.AES, "aes"); }

    // ------------------------------------------------------------------ PoR ciphered without CC

    /** The PoR the sim applet sends for SPI 06 11 (counter 1, status 00, data 01 9000). */
    @Test
    void porCipheredWithoutCc_decodesStatusAndData() {
        ResponsePacket r = ResponsePacket.decode(DevKeys.keys(), new Spi(0x06, 0x11),
                Hex.parse("02710000140ac5d704086080c893e2e338ff49f9744b12bd37"));
        assertEquals(0, r.status(), "status");
        assertEquals(1, r.counter());
        assertEquals("019000", Hex.of(r.data()));
        assertFalse(r.authenticated(), "ciphering without CC authenticates nothing");
        assertEquals("02710000140AC5D704086080C893E2E338FF49F9744B12BD37",
                Hex.of(ResponsePacket.encode(DevKeys.keys(), false, true, 1, 0, Hex.parse("019000"))), "encode is the inverse");
    }

    @Test
    void porCipheredWithoutCc_plainErrorPorStillReadsAsError() {
        byte[] error = ResponsePacket.encode(DevKeys.keys(), false, false, 0, Constants.POR_RC_CC_DS_FAILED, new byte[0]);
        ResponsePacket r = ResponsePacket.decode(DevKeys.keys(), new Spi(0x06, 0x11), error);
        assertEquals(Constants.POR_RC_CC_DS_FAILED, r.status());
        assertFalse(r.authenticated());
    }

    @Test
    void porOkInClearWhenCipheringWasRequested_isRefused() {
        byte[] clearOk = ResponsePacket.encode(DevKeys.keys(), false, false, 1, 0, Hex.parse("019000"));
        OtaSecurityException e = assertThrows(OtaSecurityException.class,
                () -> ResponsePacket.decode(DevKeys.keys(), new Spi(0x06, 0x11), clearOk));
        assertTrue(e.getMessage().contains("ciphering"), e.getMessage());
    }

    @Test
    void porCipheredWithWrongKey_isRefusedNotMisread() {
        OtaKeys other = OtaKeys.aes(1, new byte[16], 1, DevKeys.KID, DevKeys.TAR);
        assertThrows(OtaSecurityException.class, () -> ResponsePacket.decode(other, new Spi(0x06, 0x11),
                Hex.parse("02710000140ac5d704086080c893e2e338ff49f9744b12bd37")));
    }

    // ------------------------------------------------------------------ pySim Test_SMS_3DES

    @Test
    void pysimVectors_tdesSecondKeySet_commands() {
        OtaKeys k = keys(OtaKeys.Algorithm.TDES2, "tdesB");
        byte[] apdu = h("tdesB.apdu");
        assertEquals(V.getProperty("tdesB.cipheredNoCc.cmd"), Hex.of(CommandPacket.encode(k, new Spi(0x04, 0x19), 0, apdu)));
        String signed = V.getProperty("tdesB.signed.cmdWithoutCpl");
        assertEquals(String.format("%04X", signed.length() / 2) + signed, Hex.of(CommandPacket.encode(k, new Spi(0x02, 0x19), 0, apdu)));
        String none = V.getProperty("tdesB.none.cmdWithoutCpl");
        assertEquals(String.format("%04X", none.length() / 2) + none, Hex.of(CommandPacket.encode(k, new Spi(0x00, 0x19), 0, apdu)));
        assertArrayEquals(apdu, CommandPacket.decode(k, h("tdesB.cipheredNoCc.cmd")).data());
    }

    @Test
    void pysimVectors_tdesSecondKeySet_responses() {
        OtaKeys k = keys(OtaKeys.Algorithm.TDES2, "tdesB");
        assertEquals(0x612F, ResponsePacket.decode(k, new Spi(0x06, 0x19), h("tdesB.cipheredCc.por")).compact().sw());
        ResponsePacket signed = ResponsePacket.decode(k, new Spi(0x06, 0x09), h("tdesB.signed.por"));
        assertTrue(signed.authenticated());
        assertEquals(0x612F, signed.compact().sw());
        assertEquals(0x612F, ResponsePacket.decode(k, new Spi(0x06, 0x01), h("tdesB.none.por")).compact().sw());
        OtaSecurityException e = assertThrows(OtaSecurityException.class,
                () -> ResponsePacket.decode(k, new Spi(0x06, 0x09), h("tdesB.signedBadCc.por")));
        assertEquals(Constants.POR_RC_CC_DS_FAILED, e.status());
    }

    // ------------------------------------------------------------------ DES and three-key 3DES

    @Test
    void threeKeyTdesAndSingleDes_matchPysimLayoutVectors_andRoundTrip() {
        OtaKeys t3 = keys(OtaKeys.Algorithm.TDES3, "tdes3");
        OtaKeys des = keys(OtaKeys.Algorithm.DES, "des");
        Spi spi = new Spi(0x06, 0x19);
        assertEquals(V.getProperty("tdes3.cipheredCc.cmd"), Hex.of(CommandPacket.encode(t3, spi, 0, APDU)));
        assertEquals(V.getProperty("des.cipheredCc.cmd"), Hex.of(CommandPacket.encode(des, spi, 0, APDU)));
        assertEquals(0x49, t3.kicByte(), "KIc b1b2 = 01, b3b4 = 10: 3DES three keys");
        assertEquals(0x51, des.kicByte(), "KIc b1b2 = 01, b3b4 = 00: DES-CBC");
        for (OtaKeys k : new OtaKeys[] {t3, des}) {
            assertArrayEquals(APDU, CommandPacket.decode(k, h(k == t3 ? "tdes3.cipheredCc.cmd" : "des.cipheredCc.cmd")).data());
            byte[] por = ResponsePacket.encode(k, true, true, 3, 0, Hex.parse("016132"));
            ResponsePacket r = ResponsePacket.decode(k, spi, por);
            assertTrue(r.authenticated());
            assertEquals(0x6132, r.compact().sw());
        }
    }

    @Test
    void threeKeyTdes_isNotTwoKeyTdes() {
        OtaKeys t3 = keys(OtaKeys.Algorithm.TDES3, "tdes3");
        byte[] k16 = java.util.Arrays.copyOf(h("tdes3.kic"), 16);
        OtaKeys asTwoKey = new OtaKeys(OtaKeys.Algorithm.TDES2, 4, k16, 4, java.util.Arrays.copyOf(h("tdes3.kid"), 16), TAR);
        assertNotEquals(Hex.of(CommandPacket.encode(asTwoKey, new Spi(0x06, 0x19), 0, APDU)), V.getProperty("tdes3.cipheredCc.cmd"));
        assertThrows(IllegalArgumentException.class, () -> new OtaKeys(OtaKeys.Algorithm.TDES3, 1, k16, 1, k16, TAR), "16 bytes is not a three-key set");
        assertThrows(IllegalArgumentException.class, () -> new OtaKeys(OtaKeys.Algorithm.DES, 1, k16, 1, k16, TAR), "DES takes 8 bytes");
        // the applet takes three-key 3DES sets (id high nibble 9) and refuses single DES
        byte[] p = t3.installParams(0x16);
        assertEquals(0x90 | t3.kicIndex(), p[0] & 0xFF, "three-key 3DES KIc id");
        assertEquals(1 + 24 + 1 + 24 + 3 + 1, p.length);
        OtaKeys des = new OtaKeys(OtaKeys.Algorithm.DES, 1, java.util.Arrays.copyOf(k16, 8), 1, java.util.Arrays.copyOf(k16, 8), TAR);
        assertThrows(IllegalArgumentException.class, () -> des.installParams(0x16), "the applet refuses single DES");
    }

    // ------------------------------------------------------------------ RC

    @Test
    void crc_checkValuesOfIsoIec13239() {
        byte[] nine = "123456789".getBytes(StandardCharsets.US_ASCII);
        assertEquals(0x906E, OtaCrypto.crc16(nine), "CRC-16/ISO-HDLC (X.25)");
        assertEquals(0xCBF43926L, OtaCrypto.crc32(nine), "CRC-32/ISO-HDLC");
        assertEquals("906E", Hex.of(OtaCrypto.rc(OtaKeys.Crc.CRC16, nine)), "most significant byte first");
    }

    @Test
    void rc_crc32AndCrc16_commandPacketsMatchVectors_andVerify() {
        OtaKeys k32 = aes();
        OtaKeys k16 = aes().withCrc(OtaKeys.Crc.CRC16);
        assertEquals(V.getProperty("aes.rc32.cmd"), Hex.of(CommandPacket.encode(k32, new Spi(0x01, 0x01), 0, APDU)));
        assertEquals(V.getProperty("aes.cipheredRc32.cmd"), Hex.of(CommandPacket.encode(k32, new Spi(0x05, 0x01), 0, APDU)));
        assertEquals(V.getProperty("aes.rc16.cmd"), Hex.of(CommandPacket.encode(k16, new Spi(0x01, 0x01), 0, APDU)));
        // the KID octet names the CRC, so the receiver needs no configuration for it
        for (String v : new String[] {"aes.rc32.cmd", "aes.cipheredRc32.cmd", "aes.rc16.cmd"}) {
            CommandPacket.Decoded d = CommandPacket.decode(k32, h(v));
            assertArrayEquals(APDU, d.data(), v);
            assertEquals(Spi.Check.RC, d.spi().check());
        }
    }

    @Test
    void rc_corruptedPacketFailsWithStatus01_unknownCrcWith06() {
        byte[] p = h("aes.rc16.cmd");
        for (int i = 10; i < p.length; i++) {
            byte[] t = p.clone();
            t[i] ^= 0x10;
            int expect = i == 15 ? Constants.POR_CIPHERING_ERROR : Constants.POR_RC_CC_DS_FAILED; // 15: PCNTR of a clear packet
            assertEquals(expect, assertThrows(OtaSecurityException.class, () -> CommandPacket.decode(aes(), t)).status(), "byte " + i);
        }
        byte[] unknownCrc = p.clone();
        unknownCrc[6] = 0x29; // b1b2 = 01 CRC, b3b4 = 10: reserved
        assertEquals(Constants.POR_UNIDENTIFIED_SECURITY_ERROR, assertThrows(OtaSecurityException.class, () -> CommandPacket.decode(aes(), unknownCrc)).status());
    }

    @Test
    void rc_responsePacketRoundTripAndTamper() {
        for (OtaKeys k : new OtaKeys[] {aes(), aes().withCrc(OtaKeys.Crc.CRC16)}) {
            Spi spi = Spi.of(Spi.Check.RC, false, Spi.CounterMode.HIGHER, Spi.Por.ALWAYS, Spi.Check.RC, false);
            byte[] por = ResponsePacket.encode(k, Spi.Check.RC, false, 9, 0, Hex.parse("019000"));
            assertEquals(10 + k.crc().length, por[5], "RHL");
            ResponsePacket r = ResponsePacket.decode(k, spi, por);
            assertEquals(0x9000, r.compact().sw());
            assertFalse(r.authenticated(), "a CRC authenticates nothing");
            por[por.length - 1] ^= 1;
            assertThrows(OtaSecurityException.class, () -> ResponsePacket.decode(k, spi, por));
        }
    }

    // ------------------------------------------------------------------ DS

    @Test
    void ds_isRefusedWithAClearException() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CommandPacket.encode(aes(), new Spi(0x03, 0x01), 0, APDU));
        assertTrue(e.getMessage().contains("DS"), e.getMessage());
        byte[] p = h("aes.rc32.cmd");
        p[3] = 0x03;
        OtaSecurityException d = assertThrows(OtaSecurityException.class, () -> CommandPacket.decode(aes(), p));
        assertEquals(Constants.POR_UNIDENTIFIED_SECURITY_ERROR, d.status());
        assertTrue(d.getMessage().contains("DS"), d.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ResponsePacket.decode(aes(), new Spi(0x02, 0x0D), h("aes.cipheredCc.por")));
    }

    // ------------------------------------------------------------------ several key sets

    @Test
    void keySets_packetPicksItsKeySetByKicAndKidIndex() {
        OtaKeys one = OtaKeys.aes(1, DevKeys.KIC, 1, DevKeys.KID, TAR);
        OtaKeys two = aes();
        OtaKeys three = keys(OtaKeys.Algorithm.TDES2, "tdes");
        OtaKeySets sim = OtaKeySets.of(one, two, three);
        Spi spi = Spi.secure(Spi.CounterMode.HIGHER);
        for (OtaKeys k : new OtaKeys[] {one, two, three}) {
            CommandPacket.Decoded d = CommandPacket.decode(sim, CommandPacket.encode(k, spi, 5, APDU));
            assertArrayEquals(APDU, d.data(), k.toString());
            assertEquals(k.kicByte(), d.kic());
        }
        // a key set the SIM does not hold, or an index with another algorithm: status 06
        OtaKeys four = OtaKeys.aes(4, DevKeys.KIC, 4, DevKeys.KID, TAR);
        assertEquals(Constants.POR_UNIDENTIFIED_SECURITY_ERROR,
                assertThrows(OtaSecurityException.class, () -> CommandPacket.decode(sim, CommandPacket.encode(four, spi, 5, APDU))).status());
        OtaKeys threeAsAes = OtaKeys.aes(3, DevKeys.KIC, 3, DevKeys.KID, TAR);
        assertEquals(Constants.POR_UNIDENTIFIED_SECURITY_ERROR,
                assertThrows(OtaSecurityException.class, () -> CommandPacket.decode(sim, CommandPacket.encode(threeAsAes, spi, 5, APDU))).status());
        // same index, other keys: the CC fails
        OtaKeys twoWrong = OtaKeys.aes(2, DevKeys.KIC, 2, DevKeys.KID, TAR);
        assertThrows(OtaSecurityException.class, () -> CommandPacket.decode(sim, CommandPacket.encode(twoWrong, spi, 5, APDU)));
    }

    @Test
    void keySets_refuseDuplicatesAndMixedTars() {
        OtaKeys one = OtaKeys.aes(1, DevKeys.KIC, 1, DevKeys.KID, TAR);
        assertThrows(IllegalArgumentException.class, () -> OtaKeySets.of(one, one));
        assertThrows(IllegalArgumentException.class, () -> OtaKeySets.of(one, OtaKeys.aes(2, DevKeys.KIC, 2, DevKeys.KID, DevKeys.TAR)));
        assertThrows(IllegalArgumentException.class, () -> OtaKeySets.of(OtaKeys.aes(1, DevKeys.KIC, 2, DevKeys.KID, TAR)));
        assertFalse(OtaKeySets.of(one).toString().contains(Hex.of(DevKeys.KIC)), "no key material in toString");
    }
}
