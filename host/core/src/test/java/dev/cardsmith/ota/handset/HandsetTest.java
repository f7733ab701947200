package dev.cardsmith.ota.handset;

import dev.cardsmith.crypto.Hex;
import dev.cardsmith.ota.CommandPacket;
import dev.cardsmith.ota.DevKeys;
import dev.cardsmith.ota.SmsBearer;
import dev.cardsmith.ota.SmsPp;
import dev.cardsmith.ota.Spi;
import dev.cardsmith.transport.ApduChannel;
import org.junit.jupiter.api.Test;

import javax.smartcardio.CommandAPDU;
import javax.smartcardio.ResponseAPDU;
import java.io.ByteArrayOutputStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The handset model against a scripted UICC: routing by TP-PID / TP-DCS, ENVELOPE layout, the proactive loop. */
class HandsetTest {

    static final String IMEI = "490154203237518";
    static final byte[] SCTS = Hex.parse("22705200000000");

    /** A UICC that answers from a script and records every command. */
    static final class ScriptedUicc implements ApduChannel {
        final List<CommandAPDU> seen = new ArrayList<>();
        final Deque<String> answers = new ArrayDeque<>();

        ScriptedUicc then(String... hex) {
            answers.addAll(List.of(hex));
            return this;
        }

        @Override
        public ResponseAPDU transmit(CommandAPDU c) {
            seen.add(c);
            if (answers.isEmpty()) throw new AssertionError("unexpected command " + Hex.of(c.getBytes()));
            return new ResponseAPDU(Hex.parse(answers.poll()));
        }

        List<Integer> ins() { return seen.stream().map(CommandAPDU::getINS).toList(); }
    }

    static byte[] tpdu(int pid, int dcs, byte[] ud) {
        ByteArrayOutputStream t = new ByteArrayOutputStream();
        t.write(0x04); // SMS-DELIVER, no UDHI
        t.writeBytes(Hex.parse("0B914971000000F0"));
        t.write(pid);
        t.write(dcs);
        t.writeBytes(SCTS);
        t.write(ud.length);
        t.writeBytes(ud);
        return t.toByteArray();
    }

    static byte[] otaTpdu() {
        return SmsPp.deliver("+4917000000", CommandPacket.encode(DevKeys.keys(), Spi.secure(Spi.CounterMode.HIGHER), 1, Hex.parse("80F4000000")),
                1, SCTS).get(0);
    }

    @Test
    void ordinarySms_neverReachesTheCard() {
        ScriptedUicc card = new ScriptedUicc();
        Handset h = new Handset(card, IMEI);
        byte[] text = "hello".getBytes();
        int[][] cases = {
                {0x00, 0x00}, // plain text
                {0x00, 0xF6}, // class 2 8-bit but not a data download
                {0x7F, 0x00}, // data download PID, GSM 7-bit without class
                {0x7F, 0xF2}, // class 2 but 7-bit
                {0x7F, 0xF5}, // 8-bit class 1
                {0x7F, 0x36}, // compressed
                {0x7F, 0xC6}, // message waiting group
                {0x7E, 0xF6}, // ANSI-136 R-DATA is not (U)SIM data download
        };
        for (int[] c : cases) {
            Handset.Reception r = h.receive(tpdu(c[0], c[1], text));
            assertEquals(Handset.Route.ORDINARY, r.route(), Arrays.toString(c));
        }
        assertTrue(card.seen.isEmpty(), "the card saw nothing");
        assertEquals(cases.length, h.inbox().size());
    }

    @Test
    void simDataDownload_goesAsSmsPpEnvelope_forEachClass2EightBitCoding() {
        for (int dcs : new int[] {0xF6, 0x16, 0x56}) {
            ScriptedUicc card = new ScriptedUicc().then("019000" + "9000");
            Handset h = new Handset(card, IMEI, "+4917000");
            byte[] t = tpdu(0x7F, dcs, Hex.parse("027000"));
            Handset.Reception r = h.receive(t);
            assertEquals(Handset.Route.SIM_DATA_DOWNLOAD, r.route());
            assertTrue(r.rpAck());
            assertEquals("019000", Hex.of(r.reportData()));
            CommandAPDU env = card.seen.get(0);
            assertEquals(0x80, env.getCLA());
            assertEquals(0xC2, env.getINS());
            byte[] d = env.getData();
            assertEquals(0xD1, d[0] & 0xFF);
            assertEquals("82028381", Hex.of(Arrays.copyOfRange(d, 2, 6)), "network -> UICC");
            assertEquals(0x86, d[6] & 0xFF, "service centre address");
            assertArrayEquals(t, SmsPp.tpduOfEnvelope(d));
        }
    }

    @Test
    void pysimDeliverAndSubmitVectors_parse() {
        // pySim tests/unittests/test_sms.py: an alphanumeric originator, PID 7F, DCS F6, no UDH
        SmsPp.Deliver d = SmsPp.parseDeliver(Hex.parse("0408D0E5759A0E7FF6907090307513000824010101BB400101"));
        assertTrue(d.simDataDownload());
        assertEquals(8, d.payload().length);
        SmsPp.Submit s = SmsPp.parseSubmit(Hex.parse("550d0b911614261771f000f5a78c0b050423f423f40003010201424547494e3a56434152440d0a56455253494f4e3a322e310d0a4e3a4d650d0a54454c3b505245463b43454c4c3b564f4943453a2b36313431363237313137300d0a54454c3b484f4d453b564f4943453a2b36313339353337303437310d0a54454c3b574f524b3b564f4943453a2b36313339363734373031350d0a454e443a"));
        assertEquals(0x0D, s.messageReference());
        assertEquals(0xF5, s.dcs());
        assertEquals(140, s.userData().length);
        assertArrayEquals(Hex.parse("010201"), s.udh().get(0x00), "concatenation element");
        assertThrows(IllegalArgumentException.class, () -> SmsPp.parseDeliver(Hex.parse("0408D0E5759A0E7FF69070")), "truncated");
        assertThrows(IllegalArgumentException.class, () -> SmsPp.parseSubmit(Hex.parse("0408D0E5759A0E7FF6907090307513000824010101BB400101")), "a DELIVER is no SUBMIT");
    }

    @Test
    void concatenatedMessage_oneEnvelopePerSegment_inOrder() {
        byte[] packet = CommandPacket.encode(DevKeys.keys(), Spi.secure(Spi.CounterMode.HIGHER), 2, new byte[300]);
        List<byte[]> segments = SmsPp.deliver("+4917000000", packet, 7, SCTS);
        assertEquals(3, segments.size());
        ScriptedUicc card = new ScriptedUicc().then("9000", "9000", "AABB9000");
        SmsBearer.Delivery d = new Handset(card, IMEI).deliver(segments);
        assertEquals(3, card.seen.size());
        for (int i = 0; i < 3; i++) assertArrayEquals(segments.get(i), SmsPp.tpduOfEnvelope(card.seen.get(i).getData()), "segment " + (i + 1));
        assertEquals("AABB", Hex.of(d.deliverReport()));
    }

    @Test
    void proactive_provideLocalInformationImei_answeredWithOwnImei() {
        ScriptedUicc card = new ScriptedUicc().then("910B",
                "D009" + "810301" + "2601" + "82028182" + "9000", // PROVIDE LOCAL INFORMATION, IMEI
                "9000");
        Handset h = new Handset(card, IMEI);
        Handset.Reception r = h.receive(otaTpdu());
        assertTrue(r.rpAck());
        assertEquals(List.of(0xC2, 0x12, 0x14), card.ins());
        assertEquals(11, card.seen.get(1).getNe(), "FETCH asks for the length 91xx announced");
        assertEquals("810301260182028281830100" + "9408" + "4A09512430325701", Hex.of(card.seen.get(2).getData()));
        assertEquals(List.of(0x26), h.proactiveCommands());
    }

    @Test
    void proactive_sendShortMessageCaptured_unknownCommandBeyondCapabilities() {
        byte[] submit = SmsPp.submit("+4917000000", 0, Hex.parse("027100"));
        String sms = "D0" + String.format("%02X", 9 + 2 + submit.length) + "810301" + "1300" + "82028183" + "8B" + String.format("%02X", submit.length) + Hex.of(submit);
        ScriptedUicc card = new ScriptedUicc().then("9100", sms + "9000", "9110", "D00B810302210082028102" + "8D00" + "9000", "9000");
        Handset h = new Handset(card, IMEI);
        SmsBearer.Delivery d = h.deliver(List.of(otaTpdu()));
        assertEquals(1, d.submits().size());
        assertArrayEquals(submit, d.submits().get(0));
        assertEquals(256, card.seen.get(1).getNe(), "91 00 announces 256 bytes");
        assertTrue(Hex.of(card.seen.get(2).getData()).contains("830100"), "SEND SHORT MESSAGE: OK");
        assertTrue(Hex.of(card.seen.get(4).getData()).contains("830130"), "DISPLAY TEXT: beyond the model's capabilities");
        assertEquals(List.of(0x13, 0x21), h.proactiveCommands());
    }

    @Test
    void statusWords_downloadErrorIsRpErrorWithData_otherErrorsWithout_busyRetried() {
        Handset.Reception err = new Handset(new ScriptedUicc().then("0102036200"), IMEI).receive(otaTpdu());
        assertFalse(err.rpAck());
        assertEquals("010203", Hex.of(err.reportData()), "62xx: RP-ERROR carries the response data");
        Handset.Reception bad = new Handset(new ScriptedUicc().then("6A80"), IMEI).receive(otaTpdu());
        assertFalse(bad.rpAck());
        assertEquals(0, bad.reportData().length);
        ScriptedUicc busy = new ScriptedUicc().then("9300", "9300", "019000");
        assertTrue(new Handset(busy, IMEI).receive(otaTpdu()).rpAck());
        assertEquals(3, busy.seen.size());
    }

    @Test
    void proactive_runawayCardIsCutOff_andGarbageCommandNotUnderstood() {
        ScriptedUicc runaway = new ScriptedUicc().then("9103");
        for (int i = 0; i < ProactiveSession.MAX_COMMANDS; i++) runaway.then("D001009000", "9103");
        assertThrows(IllegalStateException.class, () -> new Handset(runaway, IMEI).receive(otaTpdu()));
        ScriptedUicc garbage = new ScriptedUicc().then("9103", "D001009000", "9000");
        new Handset(garbage, IMEI).receive(otaTpdu());
        assertTrue(Hex.of(garbage.seen.get(2).getData()).contains("830132"), "command data not understood");
    }

    @Test
    void imeiObject_isTheMobileIdentityOf24008_withSpareCheckDigit() {
        assertEquals("4A09512430325701", Hex.of(dev.cardsmith.codec.Imei.mobileIdentity(IMEI)).toUpperCase());
        assertThrows(IllegalArgumentException.class, () -> new Handset(new ScriptedUicc(), "490154203237519"), "Luhn");
    }

    @Test
    void powerOn_sendsTerminalProfile() {
        ScriptedUicc card = new ScriptedUicc().then("9000");
        assertEquals(0x9000, new Handset(card, IMEI).powerOn());
        assertEquals(0x10, card.seen.get(0).getINS());
        assertArrayEquals(Handset.TERMINAL_PROFILE, card.seen.get(0).getData());
    }

    /** Every truncation and every single-byte change of an SMS-DELIVER gives a parse or a clear IllegalArgumentException, never another exception. */
    @Test
    void malformedSmsDeliver_isRefusedCleanly_neverCrashesTheHandset() {
        byte[] t = otaTpdu();
        java.util.Random rnd = new java.util.Random(14);
        for (int n = 0; n < t.length; n++) {
            byte[] cut = Arrays.copyOf(t, n);
            assertThrows(IllegalArgumentException.class, () -> new Handset(new ScriptedUicc(), IMEI).receive(cut), "truncated to " + n);
        }
        for (int i = 0; i < 2000; i++) {
            byte[] m = t.clone();
            m[rnd.nextInt(m.length)] = (byte) rnd.nextInt(256);
            try {
                SmsPp.parseDeliver(m);
            } catch (IllegalArgumentException expected) {
                // refused with a reason
            }
        }
    }

    @Test
    void ctlv_isStrict() {
        assertThrows(IllegalArgumentException.class, () -> Ctlv.parse(Hex.parse("810501"), 0, 3), "length past the parent");
        assertThrows(IllegalArgumentException.class, () -> Ctlv.parse(Hex.parse("81817F" + "00".repeat(127)), 0, 130), "non-minimal length");
        assertThrows(IllegalArgumentException.class, () -> Ctlv.outer(Hex.parse("D0068103011300"), 0xD0), "outer length");
        assertThrows(IllegalArgumentException.class, () -> Ctlv.outer(Hex.parse("D1028100"), 0xD0), "other tag");
        assertEquals("011300", Hex.of(Ctlv.parse(Hex.parse("8103011300"), 0, 5).get(0x01)), "the CR bit is masked");
    }
}
