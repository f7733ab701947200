package dev.cardsmith.ota;

import dev.cardsmith.codec.Imei;
import dev.cardsmith.applet.sim.Constants;
import dev.cardsmith.crypto.Hex;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The secured-packet codec against the published pySim vectors (test resource
 * ota/pysim-test_ota.properties, from osmocom pySim tests/unittests/test_ota.py), plus
 * decode(encode(x)) and tamper cases.
 */
class OtaCodecTest {

    static final Properties V = new Properties();

    static {
        try (InputStream in = OtaCodecTest.class.getResourceAsStream("/ota/pysim-test_ota.properties")) {
            V.load(in);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] h(String key) { return Hex.parse(V.getProperty(key)); }

    static OtaKeys keys(String alg) {
        int idx = Integer.parseInt(V.getProperty(alg + ".index"));
        return new OtaKeys(alg.equals("aes") ? OtaKeys.Algorithm.AES : OtaKeys.Algorithm.TDES2, idx, h(alg + ".kic"), idx, h(alg + ".kid"), h("tar"));
    }

    static final Spi SPI_0619 = new Spi(0x06, 0x19);
    static final Spi SPI_0609 = new Spi(0x06, 0x09);
    static final Spi SPI_0601 = new Spi(0x06, 0x01);

    @Test
    void pysimVector_aesCmacCbc_commandPacket() {
        byte[] pkt = CommandPacket.encode(keys("aes"), SPI_0619, 0, h("apdu"));
        assertEquals(V.getProperty("aes.cipheredCc.cmd"), Hex.of(pkt));
        CommandPacket.Decoded d = CommandPacket.decode(keys("aes"), pkt);
        assertArrayEquals(h("apdu"), d.data());
        assertEquals(0x22, d.kic());
        assertEquals(0x22, d.kid());
        assertEquals(SPI_0619, d.spi());
    }

    @Test
    void pysimVector_tdes_commandPackets() {
        assertEquals(V.getProperty("tdes.cipheredCc.cmd"), Hex.of(CommandPacket.encode(keys("tdes"), SPI_0619, 0, h("apdu"))));
        assertEquals(V.getProperty("tdes.plainPorCc.cmd"), Hex.of(CommandPacket.encode(keys("tdes"), SPI_0609, 0, h("apdu"))));
    }

    @Test
    void pysimVector_porDecoding_aesAndTdes() {
        ResponsePacket r = ResponsePacket.decode(keys("aes"), SPI_0619, h("aes.cipheredCc.por"));
        assertTrue(r.ok());
        assertTrue(r.authenticated());
        assertEquals(1, r.compact().commands());
        assertEquals(0x6132, r.compact().sw());
        assertEquals(0x6132, ResponsePacket.decode(keys("tdes"), SPI_0619, h("tdes.cipheredCc.por")).compact().sw());
        assertEquals(0x6132, ResponsePacket.decode(keys("tdes"), SPI_0609, h("tdes.plainPorCc.por")).compact().sw());
        ResponsePacket plain = ResponsePacket.decode(keys("tdes"), SPI_0601, h("tdes.noPorCc.por"));
        assertFalse(plain.authenticated());
        assertEquals(0x6132, plain.compact().sw());
    }

    @Test
    void pysimVector_porEncodingIsByteIdentical() {
        byte[] data = Hex.parse("016132");
        assertEquals(V.getProperty("aes.cipheredCc.por"), Hex.of(ResponsePacket.encode(keys("aes"), true, true, 0, 0, data)));
        assertEquals(V.getProperty("tdes.plainPorCc.por"), Hex.of(ResponsePacket.encode(keys("tdes"), true, false, 0, 0, data)));
    }

    /**
     * The pySim SMS-DELIVER vector sets TP-UDL to 3 (it passes tp_udl=3 explicitly); TS 23.040
     * 9.2.3.16 defines TP-UDL for 8-bit data as the octet count of the whole user data including
     * the header, here 3 + 42 = 0x2D. Every other octet is identical.
     */
    @Test
    void pysimVector_smsDeliverTpdu_sameExceptSpecCompliantUdl() {
        byte[] pkt = h("aes.cipheredCc.cmd");
        List<byte[]> tpdus = SmsPp.deliver("12345678", pkt, 0, Hex.parse("22705200000000"));
        assertEquals(1, tpdus.size());
        byte[] ours = tpdus.get(0);
        byte[] theirs = h("aes.cipheredCc.tpdu");
        int udlOffset = 1 + 2 + 4 + 1 + 1 + 7;
        assertEquals(3, theirs[udlOffset]);
        assertEquals(3 + pkt.length, ours[udlOffset] & 0xFF);
        theirs[udlOffset] = ours[udlOffset];
        assertArrayEquals(theirs, ours);
        SmsPp.Deliver d = SmsPp.parseDeliver(ours);
        assertEquals(0x7F, d.pid());
        assertEquals(0xF6, d.dcs());
        assertEquals("12345678", d.originator());
        assertTrue(d.udh().containsKey(0x70));
        assertArrayEquals(pkt, d.payload());
    }

    @Test
    void roundTrip_allCounterModesAndSpiCombinations() {
        OtaKeys k = keys("aes");
        for (Spi.CounterMode m : Spi.CounterMode.values()) {
            for (boolean cc : new boolean[] {false, true}) {
                for (boolean ciph : new boolean[] {false, true}) {
                    for (int len : new int[] {0, 1, 9, 10, 26, 200}) {
                        byte[] data = new byte[len];
                        Arrays.fill(data, (byte) len);
                        Spi spi = Spi.of(cc, ciph, m, Spi.Por.ALWAYS, true, true);
                        CommandPacket.Decoded d = CommandPacket.decode(k, CommandPacket.encode(k, spi, 0x0102030405L, data));
                        assertArrayEquals(data, d.data());
                        assertEquals(0x0102030405L, d.counter());
                        assertEquals(m, d.spi().counterMode());
                    }
                }
            }
        }
    }

    @Test
    void tamper_everyByteOfACipheredPacketIsDetected() {
        OtaKeys k = keys("aes");
        byte[] pkt = CommandPacket.encode(k, Spi.secure(Spi.CounterMode.HIGHER), 7, Hex.parse("8028000000"));
        for (int i = 0; i < pkt.length; i++) {
            byte[] t = pkt.clone();
            t[i] ^= 0x01;
            int at = i;
            Exception e = assertThrows(RuntimeException.class, () -> CommandPacket.decode(k, t), "byte " + at);
            assertTrue(e instanceof OtaSecurityException || e instanceof IllegalArgumentException, e.toString());
        }
    }

    @Test
    void tamper_statusCodes() {
        OtaKeys k = keys("aes");
        byte[] pkt = CommandPacket.encode(k, Spi.secure(Spi.CounterMode.HIGHER), 7, Hex.parse("8028000000"));
        byte[] cc = pkt.clone();
        cc[pkt.length - 1] ^= 1;
        assertEquals(Constants.POR_RC_CC_DS_FAILED, assertThrows(OtaSecurityException.class, () -> CommandPacket.decode(k, cc)).status());
        byte[] tar = pkt.clone();
        tar[7] ^= 1;
        assertEquals(Constants.POR_TAR_UNKNOWN, assertThrows(OtaSecurityException.class, () -> CommandPacket.decode(k, tar)).status());
        byte[] kic = pkt.clone();
        kic[5] = 0x12;
        assertEquals(Constants.POR_UNIDENTIFIED_SECURITY_ERROR, assertThrows(OtaSecurityException.class, () -> CommandPacket.decode(k, kic)).status());
        OtaKeys wrongKid = OtaKeys.aes(2, h("aes.kic"), 2, h("aes.kic"), h("tar"));
        assertEquals(Constants.POR_RC_CC_DS_FAILED, assertThrows(OtaSecurityException.class, () -> CommandPacket.decode(wrongKid, pkt)).status());
        byte[] por = ResponsePacket.encode(k, true, true, 7, 0, Hex.parse("019000"));
        por[por.length - 3] ^= 1;
        assertThrows(OtaSecurityException.class, () -> ResponsePacket.decode(k, Spi.secure(Spi.CounterMode.HIGHER), por));
    }

    @Test
    void concatenatedSms_splitsAndReassembles_8and16BitReference() {
        OtaKeys k = keys("aes");
        byte[] data = new byte[300];
        for (int i = 0; i < data.length; i++) data[i] = (byte) i;
        byte[] pkt = CommandPacket.encode(k, Spi.secure(Spi.CounterMode.HIGHER), 1, data);
        for (int ref : new int[] {0x42, 0x1234}) {
            List<byte[]> tpdus = SmsPp.deliver("+4912345", pkt, ref, Hex.parse("22705200000000"));
            assertEquals(3, tpdus.size());
            for (int i = 0; i < tpdus.size(); i++) {
                SmsPp.Deliver d = SmsPp.parseDeliver(tpdus.get(i));
                byte[] concat = d.udh().get(ref > 0xFF ? 0x08 : 0x00);
                assertNotNull(concat);
                assertEquals(3, concat[concat.length - 2]);
                assertEquals(i + 1, concat[concat.length - 1]);
                assertEquals(i == 0, d.udh().containsKey(0x70), "only the first segment carries IEI 70");
                assertTrue(tpdus.get(i).length <= 13 + 140 + 8);
            }
            assertArrayEquals(pkt, SmsPp.reassemble(tpdus));
        }
    }

    @Test
    void envelope_smsPpDownloadLayout() {
        byte[] tpdu = SmsPp.deliver("12345678", h("aes.cipheredCc.cmd"), 0, Hex.parse("22705200000000")).get(0);
        byte[] env = SmsPp.envelope(tpdu, "+4917000");
        assertEquals((byte) 0xD1, env[0]);
        assertEquals(Hex.of(Hex.parse("82028381")), Hex.of(Arrays.copyOfRange(env, 2, 6)), "device identities network -> UICC");
        assertEquals(Hex.of(Hex.parse("8605919471" + "00F0")), Hex.of(Arrays.copyOfRange(env, 6, 13)), "service centre address");
        assertArrayEquals(tpdu, SmsPp.tpduOfEnvelope(env));
        assertEquals(0x8B, env[2 + 4 + 7] & 0xFF, "SMS TPDU tag 0B with the comprehension-required bit");
    }

    @Test
    void imeiAndDates() {
        assertEquals("4A09512430325701", Hex.of(Imei.mobileIdentity("49015420323751")).toUpperCase());
        assertThrows(IllegalArgumentException.class, () -> Imei.mobileIdentity("490154203237519"));
        assertEquals(0, OtaDates.toDay(OtaDates.EPOCH));
        assertEquals(java.time.LocalDate.of(2026, 11, 24), OtaDates.ofDay(OtaDates.toDay(java.time.LocalDate.of(2026, 11, 24))));
    }
}
