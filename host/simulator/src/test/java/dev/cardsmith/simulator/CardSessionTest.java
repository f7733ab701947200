package dev.cardsmith.simulator;

import dev.cardsmith.transport.*;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.smartcardio.CommandAPDU;
import javax.smartcardio.ResponseAPDU;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CardSessionTest {

    static final byte[] AID = HexFormat.of().parseHex("F043534D54FF01");
    static final List<AppletSpec> APPLETS = List.of(
            new AppletSpec("test", HexFormat.of().parseHex("F043534D54FF"), AID, TestApplet.class, new byte[0]));

    CardSession session;

    @BeforeEach
    void open() {
        session = new CardSession(new SimulatorTransport(APPLETS));
        session.select(AID);
    }

    @AfterEach
    void close() {
        session.close();
    }

    @Test
    void longCommandIsSentAsIsoChain() {
        byte[] data = new byte[600];
        int sum = 0;
        for (int i = 0; i < data.length; i++) { data[i] = (byte) (i * 7); sum += data[i] & 0xFF; }
        int before = session.stats().apdus();
        ResponseAPDU r = session.transmitOk("sum", new CommandAPDU(0x80, TestApplet.INS_CHAINED_SUM, 0, 0, data, 256));
        assertEquals(600, ((r.getData()[0] & 0xFF) << 8) | (r.getData()[1] & 0xFF));
        assertEquals((short) sum, (short) (((r.getData()[2] & 0xFF) << 8) | (r.getData()[3] & 0xFF)));
        assertEquals(3, session.stats().apdus() - before, "600 bytes = 255 + 255 + 90");
    }

    @Test
    void responseLongerThanOneApduIsCollectedWithGetResponse() {
        int before = session.stats().apdus();
        ResponseAPDU r = session.transmitOk("long", new CommandAPDU(0x80, TestApplet.INS_LONG, 700 >> 8, 700 & 0xFF, 256));
        assertEquals(700, r.getData().length);
        for (int i = 0; i < 700; i++) assertEquals((byte) i, r.getData()[i]);
        assertEquals(4, session.stats().apdus() - before, "200 + 200 + 200 + 100 bytes");
    }

    @Test
    void wrongLeIsReissuedOn6Cxx() {
        ResponseAPDU r = session.transmitOk("exact", new CommandAPDU(0x80, TestApplet.INS_EXACT_LE, 17, 0, 256));
        assertEquals(17, r.getData().length);
    }

    @Test
    void unexpectedStatusWordBecomesCardStatusExceptionWithoutData() {
        CardStatusException e = assertThrows(CardStatusException.class,
                () -> session.transmitOk("frobnicate", new CommandAPDU(0x80, 0x7E, 0, 0)));
        assertEquals(0x6D00, e.sw());
        assertEquals("frobnicate failed: SW 6D00 (instruction not supported)", e.getMessage());
    }

    @Test
    void statsCountEveryExchange() {
        CardSession.Stats before = session.stats().snapshot();
        session.transmitOk("count", new CommandAPDU(0x80, TestApplet.INS_COUNT, 0, 0, 256));
        CardSession.Stats d = session.stats().since(before);
        assertEquals(1, d.apdus());
        assertEquals(5, d.bytesSent());
        assertEquals(4, d.bytesReceived());
    }

    @Test
    void traceRedactsDataButKeepsHeaderAndStatus() {
        List<String> lines = new ArrayList<>();
        ApduTrace t = new ApduTrace() {
            @Override public void command(byte[] apdu) { lines.add(ApduTrace.redactCommand(apdu)); }
            @Override public void response(byte[] resp) { lines.add(ApduTrace.redactResponse(resp)); }
            @Override public void note(String text) { lines.add(text); }
        };
        try (CardSession s = new CardSession(new SimulatorTransport(APPLETS), t)) {
            s.select(AID);
            s.transmitOk("sum", new CommandAPDU(0x80, TestApplet.INS_CHAINED_SUM, 0, 0, new byte[] {(byte) 0xAB, (byte) 0xCD, (byte) 0xEF}, 256));
        }
        String all = String.join("\n", lines);
        assertTrue(all.contains("80 03 00 00 Lc=3 [data redacted] Le=256"), all);
        assertTrue(all.contains("9000 [4 bytes]"), all);
        assertFalse(all.contains("AB") || all.contains("CDEF"), all);
    }

    @Test
    void persistentSimulatorKeepsOnCardKeysAndStateAcrossProcesses(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("card.sim");
        byte[] w1;
        try (CardSession s = new CardSession(SimulatorTransport.open(file, APPLETS))) {
            s.select(AID);
            w1 = s.transmitOk("pub", new CommandAPDU(0x80, TestApplet.INS_PUBKEY, 0, 0, 256)).getData();
            s.transmitOk("count", new CommandAPDU(0x80, TestApplet.INS_COUNT, 0, 0, 256));
            s.reset();
            s.select(AID);
            s.transmitOk("count", new CommandAPDU(0x80, TestApplet.INS_COUNT, 0, 0, 256));
        }
        try (CardSession s = new CardSession(SimulatorTransport.open(file, APPLETS))) {
            s.select(AID);
            assertArrayEquals(w1, s.transmitOk("pub", new CommandAPDU(0x80, TestApplet.INS_PUBKEY, 0, 0, 256)).getData(),
                    "on-card key pair must survive re-opening the card file");
            byte[] c = s.transmitOk("count", new CommandAPDU(0x80, TestApplet.INS_COUNT, 0, 0, 256)).getData();
            assertEquals(3, c[1]);
        }
        Path other = dir.resolve("other.sim");
        try (CardSession s = new CardSession(SimulatorTransport.open(other, APPLETS))) {
            s.select(AID);
            byte[] w2 = s.transmitOk("pub", new CommandAPDU(0x80, TestApplet.INS_PUBKEY, 0, 0, 256)).getData();
            assertFalse(java.util.Arrays.equals(w1, w2), "two simulated cards must not share keys");
        }
        assertTrue(Files.size(file) > 38);
    }

    @Test
    void persistentSimulatorRandomnessDiffersPerCallButReplaysIdentically(@TempDir Path dir) {
        Path file = dir.resolve("rng.sim");
        byte[] r1;
        byte[] r2;
        try (CardSession s = new CardSession(SimulatorTransport.open(file, APPLETS))) {
            s.select(AID);
            r1 = s.transmitOk("rnd", new CommandAPDU(0x80, TestApplet.INS_RANDOM, 0, 0, 256)).getData();
            r2 = s.transmitOk("rnd", new CommandAPDU(0x80, TestApplet.INS_RANDOM, 0, 0, 256)).getData();
        }
        assertFalse(java.util.Arrays.equals(r1, r2));
    }

    @Test
    void foreignFileIsRefused(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("junk.sim");
        Files.writeString(file, "not a card");
        TransportException e = assertThrows(TransportException.class, () -> SimulatorTransport.open(file, APPLETS));
        assertTrue(e.getMessage().contains("not a cardsmith simulator state file"));
    }
}
