package dev.cardsmith.ota;

import dev.cardsmith.applet.platform.Sw;
import dev.cardsmith.applet.sim.Constants;
import dev.cardsmith.crypto.Hex;
import dev.cardsmith.support.CardTest;
import dev.cardsmith.support.CardUnderTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.smartcardio.CommandAPDU;
import javax.smartcardio.ResponseAPDU;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Secured packets against the sim applet: counters, replays, wrong keys, tampering, MSL, SMS concatenation. */
@CardTest
class OtaPacketE2eTest {

    @TempDir
    Path dir;
    OtaFixture f;

    @AfterEach
    void tearDown() {
        if (f != null) f.close();
    }

    static final Spi SECURE_HIGHER = Spi.secure(Spi.CounterMode.HIGHER);
    static final byte[] STATUS = RemoteCommands.create().status().bytes();

    private ResponsePacket sendRaw(OtaKeys keys, Spi spi, long counter, byte[] cmds) {
        ResponseAPDU r = f.raw(OtaFixture.envelopes(CommandPacket.encode(keys, spi, counter, cmds)));
        assertEquals(0x9000, r.getSW());
        return ResponsePacket.decode(DevKeys.keys(), spi, r.getData());
    }

    @Test
    void counterHigher_replayRejectedWithCntrLow_counterPersistsOnBothSides() {
        f = new OtaFixture(dir, Spi.CounterMode.HIGHER);
        OtaServer.OtaMessage m = f.server.status(OtaFixture.SIM, OtaFixture.TODAY);
        assertTrue(f.send(m).por().ok());
        assertEquals(1, m.counter());
        // replay of the very same envelope
        ResponseAPDU again = f.raw(m.envelopes());
        ResponsePacket por = ResponsePacket.decode(DevKeys.keys(), m.spi(), again.getData());
        assertEquals(Constants.POR_CNTR_LOW, por.status());
        assertFalse(por.authenticated());
        // lower counter, equal counter: low; higher with gaps: fine
        assertEquals(Constants.POR_CNTR_LOW, sendRaw(DevKeys.keys(), SECURE_HIGHER, 0, STATUS).status());
        assertEquals(Constants.POR_OK, sendRaw(DevKeys.keys(), SECURE_HIGHER, 10, STATUS).status());
        // host counter is persisted in the store: a new server on the same store continues above it
        assertEquals(1, f.server.store().require(OtaFixture.SIM).counter());
        assertEquals(Constants.POR_CNTR_LOW, f.send(f.server.status(OtaFixture.SIM, OtaFixture.TODAY)).por().status());
        assertEquals(Constants.POR_OK, sendRaw(DevKeys.keys(), SECURE_HIGHER, 0xFF_FFFF_FFFEL, STATUS).status());
    }

    @Test
    void counterPlusOne_gapsRejectedWithCntrHigh_andBlockedCounter() {
        f = new OtaFixture(dir, Spi.CounterMode.PLUS_ONE);
        Spi spi = Spi.secure(Spi.CounterMode.PLUS_ONE);
        assertEquals(Constants.POR_CNTR_HIGH, sendRaw(DevKeys.keys(), spi, 2, STATUS).status());
        assertEquals(Constants.POR_OK, sendRaw(DevKeys.keys(), spi, 1, STATUS).status());
        assertEquals(Constants.POR_CNTR_LOW, sendRaw(DevKeys.keys(), spi, 1, STATUS).status());
        assertEquals(Constants.POR_OK, sendRaw(DevKeys.keys(), spi, 2, STATUS).status());
        // counter exhausted: blocked
        assertEquals(Constants.POR_OK, sendRaw(DevKeys.keys(), SECURE_HIGHER, 0xFF_FFFF_FFFFL, STATUS).status());
        assertEquals(Constants.POR_CNTR_BLOCKED, sendRaw(DevKeys.keys(), spi, 0, STATUS).status());
    }

    @Test
    void counterNoneAndAvailable_refusedBelowMsl_acceptedWhenMslAllows_replaysThenPass() {
        f = new OtaFixture(dir, Spi.CounterMode.NONE);
        assertEquals(Constants.POR_INSUFFICIENT_SECURITY_LEVEL, f.send(f.server.status(OtaFixture.SIM, OtaFixture.TODAY)).por().status());
        assertEquals(Constants.POR_INSUFFICIENT_SECURITY_LEVEL,
                sendRaw(DevKeys.keys(), Spi.of(true, false, Spi.CounterMode.HIGHER, Spi.Por.ALWAYS, true, true), 5, STATUS).status(), "no ciphering");
        f.close();
        f = new OtaFixture(dir.resolve("relaxed"), Spi.CounterMode.NONE, 0x02); // MSL: CC only
        for (Spi.CounterMode mode : new Spi.CounterMode[] {Spi.CounterMode.NONE, Spi.CounterMode.AVAILABLE}) {
            Spi spi = Spi.secure(mode);
            assertEquals(Constants.POR_OK, sendRaw(DevKeys.keys(), spi, 0, STATUS).status());
            assertEquals(Constants.POR_OK, sendRaw(DevKeys.keys(), spi, 0, STATUS).status(), "no replay check in mode " + mode);
        }
        // counter mode 00/01 do not move the card's counter
        assertEquals(Constants.POR_OK, sendRaw(DevKeys.keys(), SECURE_HIGHER, 1, STATUS).status());
        // CC without ciphering, PoR unciphered; a tampered CC byte is caught
        Spi ccOnly = Spi.of(true, false, Spi.CounterMode.HIGHER, Spi.Por.ALWAYS, true, false);
        byte[] tampered = CommandPacket.encode(DevKeys.keys(), ccOnly, 2, STATUS);
        tampered[17] ^= 0x01;
        assertEquals(Constants.POR_RC_CC_DS_FAILED, ResponsePacket.decode(DevKeys.keys(), ccOnly, f.raw(OtaFixture.envelopes(tampered)).getData()).status());
        assertEquals(Constants.POR_OK, sendRaw(DevKeys.keys(), ccOnly, 2, STATUS).status());
        // keys never travel in an unciphered packet, even where the MSL allows one
        byte[] lic = RemoteCommands.create().license(1, new byte[16], 1, OtaFixture.TODAY, OtaFixture.TODAY).bytes();
        ResponsePacket clearLicense = sendRaw(DevKeys.keys(), ccOnly, 3, lic);
        assertEquals(Constants.POR_OK, clearLicense.status());
        assertEquals(Sw.SECURITY_STATUS_NOT_SATISFIED, clearLicense.compact().sw());
        byte[] init = RemoteCommands.create().initTrust(Constants.KEY_TYPE_AES128, new byte[16], OtaFixture.IMEI, 1,
                OtaFixture.TODAY, 1, OtaFixture.TODAY).bytes();
        assertEquals(Sw.SECURITY_STATUS_NOT_SATISFIED, sendRaw(DevKeys.keys(), ccOnly, 4, init).compact().sw());
        assertEquals(0x9000, sendRaw(DevKeys.keys(), Spi.secure(Spi.CounterMode.HIGHER), 5, lic).compact().sw());
        assertEquals(Constants.POR_INSUFFICIENT_SECURITY_LEVEL,
                sendRaw(DevKeys.keys(), Spi.of(false, true, Spi.CounterMode.HIGHER, Spi.Por.ALWAYS, true, true), 3, STATUS).status(), "no CC");
    }

    @Test
    void wrongKicWrongKidWrongIndexTamperedChecksumAndUnknownTar() {
        f = new OtaFixture(dir, Spi.CounterMode.HIGHER);
        byte[] other = Hex.parse("000102030405060708090A0B0C0D0E0F");
        OtaKeys wrongKic = OtaKeys.aes(DevKeys.KIC_INDEX, other, DevKeys.KID_INDEX, DevKeys.KID, DevKeys.TAR);
        OtaKeys wrongKid = OtaKeys.aes(DevKeys.KIC_INDEX, DevKeys.KIC, DevKeys.KID_INDEX, other, DevKeys.TAR);
        OtaKeys wrongIndex = OtaKeys.aes(5, DevKeys.KIC, DevKeys.KID_INDEX, DevKeys.KID, DevKeys.TAR);
        OtaKeys wrongTar = OtaKeys.aes(DevKeys.KIC_INDEX, DevKeys.KIC, DevKeys.KID_INDEX, DevKeys.KID, Hex.parse("B00000"));
        int s1 = sendRaw(wrongKic, SECURE_HIGHER, 1, STATUS).status();
        assertTrue(s1 == Constants.POR_RC_CC_DS_FAILED || s1 == Constants.POR_CIPHERING_ERROR, "wrong KIc: " + s1);
        assertEquals(Constants.POR_RC_CC_DS_FAILED, sendRaw(wrongKid, SECURE_HIGHER, 1, STATUS).status());
        assertEquals(Constants.POR_UNIDENTIFIED_SECURITY_ERROR, sendRaw(wrongIndex, SECURE_HIGHER, 1, STATUS).status());
        assertEquals(Constants.POR_TAR_UNKNOWN, sendRaw(wrongTar, SECURE_HIGHER, 1, STATUS).status());
        // tampered ciphertext after the counter block: the checksum no longer verifies
        byte[] pkt = CommandPacket.encode(DevKeys.keys(), SECURE_HIGHER, 1, STATUS);
        pkt[26] ^= 0x01;
        ResponseAPDU r = f.raw(OtaFixture.envelopes(pkt));
        assertEquals(Constants.POR_RC_CC_DS_FAILED, ResponsePacket.decode(DevKeys.keys(), SECURE_HIGHER, r.getData()).status());
        // tampered secured data of a ciphered packet
        byte[] c = CommandPacket.encode(DevKeys.keys(), SECURE_HIGHER, 1, STATUS);
        c[c.length - 1] ^= 0x40;
        int s2 = ResponsePacket.decode(DevKeys.keys(), SECURE_HIGHER, f.raw(OtaFixture.envelopes(c)).getData()).status();
        assertTrue(s2 == Constants.POR_RC_CC_DS_FAILED || s2 == Constants.POR_CIPHERING_ERROR);
        // none of these moved the card counter: counter 1 is still accepted
        assertEquals(Constants.POR_OK, sendRaw(DevKeys.keys(), SECURE_HIGHER, 1, STATUS).status());
    }

    @Test
    void porModes_noPorAndPorOnError() {
        f = new OtaFixture(dir, Spi.CounterMode.HIGHER);
        Spi none = Spi.of(true, true, Spi.CounterMode.HIGHER, Spi.Por.NONE, false, false);
        ResponseAPDU r = f.raw(OtaFixture.envelopes(CommandPacket.encode(DevKeys.keys(), none, 1, STATUS)));
        assertEquals(0x9000, r.getSW());
        assertEquals(0, r.getData().length);
        Spi onError = Spi.of(true, true, Spi.CounterMode.HIGHER, Spi.Por.ON_ERROR, true, true);
        assertEquals(0, f.raw(OtaFixture.envelopes(CommandPacket.encode(DevKeys.keys(), onError, 2, STATUS))).getData().length);
        byte[] replay = f.raw(OtaFixture.envelopes(CommandPacket.encode(DevKeys.keys(), onError, 2, STATUS))).getData();
        assertEquals(Constants.POR_CNTR_LOW, ResponsePacket.decode(DevKeys.keys(), onError, replay).status());
    }

    @Test
    void concatenatedSms_longPacketReassembledOnTheCard() {
        f = new OtaFixture(dir, Spi.CounterMode.HIGHER);
        RemoteCommands rc = RemoteCommands.create();
        for (int i = 0; i < 8; i++) rc.license(100 + i, new byte[16], 3, OtaFixture.TODAY, OtaFixture.TODAY.plusDays(9));
        for (int i = 0; i < 7; i++) rc.setDate(OtaFixture.TODAY);
        rc.status();
        OtaServer.OtaMessage m = f.server.prepare(OtaFixture.SIM, "license", rc.bytes());
        assertEquals(3, m.tpdus().size());
        OtaServer.Result res = f.send(m);
        assertTrue(res.compact().ok());
        assertEquals(16, res.compact().commands());
        assertEquals(8, SimStatus.parse(res.compact().data()).licenses());
        // segments in any order: the UICC's toolkit runtime reassembles (TS 31.115 6.2, TS 23.040 9.2.3.24.1);
        // a segment alone is acknowledged without data, the last one carries the PoR
        OtaServer.OtaMessage m2 = f.server.prepare(OtaFixture.SIM, "license", rc.bytes());
        assertEquals(0, f.raw(List.of(m2.envelopes().get(2))).getData().length);
        assertEquals(0, f.raw(List.of(m2.envelopes().get(0))).getData().length);
        ResponseAPDU outOfOrder = f.raw(List.of(m2.envelopes().get(1)));
        assertEquals(0x9000, outOfOrder.getSW());
        assertEquals(Constants.POR_OK, ResponsePacket.decode(DevKeys.keys(), m2.spi(), outOfOrder.getData()).status());
        // 16-bit concatenation reference (IEI 08), DCS 16 (general coding, class 2, 8-bit)
        OtaServer.OtaMessage m3 = f.server.prepare(OtaFixture.SIM, "license", rc.bytes());
        List<byte[]> envs = SmsPp.deliver("+4917000000", m3.packet(), 0x1234, new byte[7]).stream().map(t -> {
            t[1 + 2 + 5 + 1] = 0x16; // TP-DCS after first octet, TP-OA (7), TP-PID
            return SmsPp.envelope(t, "+4917000");
        }).toList();
        ResponseAPDU last = f.raw(envs);
        assertEquals(Constants.POR_OK, ResponsePacket.decode(DevKeys.keys(), m3.spi(), last.getData()).status());
        // 7-bit default alphabet is not SIM data download: no command packet, no PoR
        byte[] t7 = SmsPp.deliver("+4917000000", CommandPacket.encode(DevKeys.keys(), SECURE_HIGHER, 1_000, STATUS), 1, new byte[7]).get(0);
        t7[1 + 2 + 5 + 1] = 0x00;
        ResponseAPDU r7 = f.raw(List.of(SmsPp.envelope(t7, null)));
        assertEquals(0x9000, r7.getSW());
        assertEquals(0, r7.getData().length);
    }

    @Test
    void remoteCommandErrorsAreReportedInThePor_andMalformedEnvelopesGetStatusWords() {
        f = new OtaFixture(dir, Spi.CounterMode.HIGHER);
        // REVOKE while nothing is initialized: 6985 inside a valid PoR; the counter is still consumed
        OtaServer.Result r = f.send(f.server.revoke(OtaFixture.SIM));
        assertTrue(r.por().ok());
        assertEquals(0x6985, r.compact().sw());
        assertEquals(Constants.POR_CNTR_LOW, sendRaw(DevKeys.keys(), SECURE_HIGHER, r.message().counter(), STATUS).status());
        f.card.select(OtaServer.simAid());
        for (String bad : new String[] {"D1", "D10382028381", "D1058202838100", "D10482028381", "01020304"}) {
            int sw = f.card.transmit(new CommandAPDU(0x80, Constants.INS_ENVELOPE, 0, 0, Hex.parse(bad), 256)).getSW();
            assertTrue(sw == Sw.WRONG_DATA || sw == 0x6700, bad + " -> " + Integer.toHexString(sw));
        }
        // a TPDU that is not SIM data download (PID 00): the applet ignores it, no PoR
        byte[] tpdu = SmsPp.deliver("123", CommandPacket.encode(DevKeys.keys(), SECURE_HIGHER, 99, STATUS), 0, new byte[7]).get(0);
        tpdu[1 + 2 + 2] = 0x00;
        ResponseAPDU notDownload = f.card.transmit(OtaServer.envelopeApdu(SmsPp.envelope(tpdu, null)));
        assertEquals(0x9000, notDownload.getSW());
        assertEquals(0, notDownload.getData().length);
        assertEquals(0x6D00, f.card.transmit(new CommandAPDU(0x80, 0x7E, 0, 0, 256)).getSW());
        assertEquals(0x6E00, f.card.transmit(new CommandAPDU(0x00, Constants.INS_POLL, 0, 0, 256)).getSW());
    }

    @Test
    void personalizeIsOneTime_andWithoutKeysNoOtaIsAccepted() {
        f = new OtaFixture(dir, Spi.CounterMode.HIGHER);
        f.card.select(OtaServer.simAid());
        assertEquals(0x6985, f.card.transmit(SimPersonalization.command(SimPersonalization.DEV_TRANSPORT_KEY, DevKeys.keys(), 0x16)).getSW());
        f.close();
        // installed with a transport key: OTA packets get no answer until PERSONALIZE under it
        dev.cardsmith.simulator.AppletSpec withTk = dev.cardsmith.simulator.AppletRegistry.byName("sim").withInstallParams(SimPersonalization.DEV_TRANSPORT_KEY);
        try (dev.cardsmith.transport.CardSession c = new dev.cardsmith.transport.CardSession(CardUnderTest.fresh(List.of(withTk)))) {
            c.select(OtaServer.simAid());
            byte[] env = OtaFixture.envelopes(CommandPacket.encode(DevKeys.keys(), SECURE_HIGHER, 1, STATUS)).get(0);
            ResponseAPDU before = c.transmit(OtaServer.envelopeApdu(env));
            assertEquals(0x9000, before.getSW());
            assertEquals(0, before.getData().length);
            assertEquals(0x9000, c.transmit(SimPersonalization.command(SimPersonalization.DEV_TRANSPORT_KEY, DevKeys.keys(), 0x16)).getSW());
            ResponseAPDU r = c.transmit(OtaServer.envelopeApdu(env));
            assertEquals(Constants.POR_OK, ResponsePacket.decode(DevKeys.keys(), SECURE_HIGHER, r.getData()).status());
            assertEquals(0x6985, c.transmit(SimPersonalization.command(SimPersonalization.DEV_TRANSPORT_KEY, DevKeys.keys(), 0x16)).getSW(), "one time");
        }
        f = null;
    }

    /**
     * Attack (issue 14): PERSONALIZE needed no authentication - whoever reached a SIM installed
     * without keys first set KIc, KID, TAR and a minimum security level of 00.
     */
    @Test
    void attack_firstComerPersonalizesTheSimWithItsOwnKeysAndMsl00() {
        OtaKeys mine = OtaKeys.aes(1, SimPersonalization.filled(0x11), 1, SimPersonalization.filled(0x22), new byte[] {(byte) 0xC5, (byte) 0xD7, 0x04});
        for (byte[] params : List.of(new byte[0], SimPersonalization.DEV_TRANSPORT_KEY)) {
            dev.cardsmith.simulator.AppletSpec spec = dev.cardsmith.simulator.AppletRegistry.byName("sim").withInstallParams(params);
            try (dev.cardsmith.transport.CardSession c = new dev.cardsmith.transport.CardSession(CardUnderTest.fresh(List.of(spec)))) {
                c.select(OtaServer.simAid());
                int plain = c.transmit(new CommandAPDU(0x80, Constants.INS_PERSONALIZE, 0, 0, mine.installParams(0x00))).getSW();
                assertTrue(plain != 0x9000, "plaintext key set accepted: " + Integer.toHexString(plain));
                int forged = c.transmit(SimPersonalization.command(SimPersonalization.filled(0x33), mine, 0x00)).getSW();
                assertTrue(forged != 0x9000, "key set under a guessed transport key accepted");
                byte[] env = OtaFixture.envelopes(CommandPacket.encode(mine, Spi.secure(Spi.CounterMode.HIGHER), 1, STATUS)).get(0);
                assertEquals(0, c.transmit(OtaServer.envelopeApdu(env)).getData().length, "the attacker's OTA packet got a PoR");
            }
        }
    }

    /**
     * The card-side decoder against the published pySim AES vector (test resource
     * ota/pysim-test_ota.properties): the applet installed with the SJA5 sample AES key set and
     * TAR B00011 accepts pySim's exact command packet (SPI 06 19, no counter). Its secured data is
     * a SELECT with CLA 00, which the applet reports as SW 6E00 inside an authenticated PoR OK.
     */
    @Test
    void pysimPublishedCommandPacketIsAcceptedByTheApplet() throws Exception {
        java.util.Properties v = new java.util.Properties();
        try (java.io.InputStream in = getClass().getResourceAsStream("/ota/pysim-test_ota.properties")) {
            v.load(in);
        }
        OtaKeys pysim = OtaKeys.aes(2, Hex.parse(v.getProperty("aes.kic")), 2, Hex.parse(v.getProperty("aes.kid")), Hex.parse(v.getProperty("tar")));
        dev.cardsmith.simulator.AppletSpec spec = dev.cardsmith.simulator.AppletRegistry.byName("sim").withInstallParams(pysim.installParams(0x06))
                .withToolkitParams(dev.cardsmith.simulator.uicc.ToolkitParams.ofTars(pysim.tar()).encode());
        try (dev.cardsmith.transport.CardSession c = new dev.cardsmith.transport.CardSession(CardUnderTest.fresh(List.of(spec)))) {
            c.select(OtaServer.simAid());
            byte[] tpdu = SmsPp.deliver("12345678", Hex.parse(v.getProperty("aes.cipheredCc.cmd")), 0, Hex.parse("22705200000000")).get(0);
            ResponseAPDU r = c.transmit(OtaServer.envelopeApdu(SmsPp.envelope(tpdu, null)));
            assertEquals(0x9000, r.getSW());
            ResponsePacket por = ResponsePacket.decode(pysim, new Spi(0x06, 0x19), r.getData());
            assertTrue(por.authenticated());
            assertEquals(Constants.POR_OK, por.status());
            assertEquals(1, por.compact().commands());
            assertEquals(0x6E00, por.compact().sw());
        }
    }

    /** Two-key 3DES (KIc/KID algorithm 5) on the card: pySim's published 3DES packets and our own codec. */
    @Test
    void tripleDesKeySet_pysimPublishedPacketsAndOwnCodec() throws Exception {
        java.util.Properties v = new java.util.Properties();
        try (java.io.InputStream in = getClass().getResourceAsStream("/ota/pysim-test_ota.properties")) {
            v.load(in);
        }
        OtaKeys tdes = new OtaKeys(OtaKeys.Algorithm.TDES2, 3, Hex.parse(v.getProperty("tdes.kic")), 3, Hex.parse(v.getProperty("tdes.kid")), Hex.parse(v.getProperty("tar")));
        dev.cardsmith.simulator.AppletSpec spec = dev.cardsmith.simulator.AppletRegistry.byName("sim").withInstallParams(tdes.installParams(0x06))
                .withToolkitParams(dev.cardsmith.simulator.uicc.ToolkitParams.ofTars(tdes.tar()).encode());
        try (dev.cardsmith.transport.CardSession c = new dev.cardsmith.transport.CardSession(CardUnderTest.fresh(List.of(spec)))) {
            c.select(OtaServer.simAid());
            String[][] cases = {{"tdes.cipheredCc.cmd", "0619"}, {"tdes.plainPorCc.cmd", "0609"}};
            for (String[] k : cases) {
                byte[] tpdu = SmsPp.deliver("12345678", Hex.parse(v.getProperty(k[0])), 0, new byte[7]).get(0);
                ResponseAPDU r = c.transmit(OtaServer.envelopeApdu(SmsPp.envelope(tpdu, null)));
                assertEquals(0x9000, r.getSW(), k[0] + " " + Integer.toHexString(r.getSW()));
                Spi spi = new Spi(Integer.parseInt(k[1].substring(0, 2), 16), Integer.parseInt(k[1].substring(2), 16));
                ResponsePacket por = ResponsePacket.decode(tdes, spi, r.getData());
                assertTrue(por.authenticated(), k[0]);
                assertEquals(0x6E00, por.compact().sw(), k[0]);
            }
            Spi spi = Spi.secure(Spi.CounterMode.HIGHER);
            for (long ctr = 1; ctr <= 2; ctr++) {
                byte[] pkt = CommandPacket.encode(tdes, spi, ctr, STATUS);
                ResponseAPDU r = c.transmit(OtaServer.envelopeApdu(OtaFixture.envelopes(pkt).get(0)));
                ResponsePacket por = ResponsePacket.decode(tdes, spi, r.getData());
                assertEquals(Constants.POR_OK, por.status());
                assertEquals(Constants.STATE_EMPTY, SimStatus.parse(por.compact().data()).state());
            }
            byte[] replay = CommandPacket.encode(tdes, spi, 2, STATUS);
            assertEquals(Constants.POR_CNTR_LOW, ResponsePacket.decode(tdes, spi,
                    c.transmit(OtaServer.envelopeApdu(OtaFixture.envelopes(replay).get(0))).getData()).status());
            // an AES packet to a 3DES key set: unknown key
            assertEquals(Constants.POR_UNIDENTIFIED_SECURITY_ERROR, ResponsePacket.decode(tdes, spi, c.transmit(OtaServer.envelopeApdu(
                    OtaFixture.envelopes(CommandPacket.encode(OtaKeys.aes(3, tdes.kic(), 3, tdes.kid(), tdes.tar()), spi, 9, STATUS)).get(0))).getData()).status());
        }
    }

    @Test
    void devKeysMatchTheSimulatorInstallParameters() {
        assertArrayEquals(DevKeys.keys().installParams(DevKeys.MSL), dev.cardsmith.simulator.AppletRegistry.byName("sim").installParams());
        assertEquals(LocalDate.of(2026, 11, 24), OtaDates.ofDay(OtaDates.toDay(LocalDate.of(2026, 11, 24))));
    }
}
