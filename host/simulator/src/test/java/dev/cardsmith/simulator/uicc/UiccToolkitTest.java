package dev.cardsmith.simulator.uicc;

import com.licel.jcardsim.base.Simulator;
import dev.cardsmith.simulator.AppletSpec;
import dev.cardsmith.simulator.SimulatorTransport;
import javacard.framework.AID;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The UICC toolkit runtime by itself (docs/uicc-toolkit.md), with a small echo toolkit applet. */
class UiccToolkitTest {

    static final HexFormat HEX = HexFormat.of().withUpperCase();
    static final byte[] AID_BYTES = HEX.parseHex("F0435354FF0101");
    static final byte[] TAR = HEX.parseHex("AABBCC");
    static final byte[] IMEI = HEX.parseHex("3549010120320751");

    static SimulatorTransport card(byte[] tar) {
        AppletSpec spec = new AppletSpec("echo", HEX.parseHex("F0435354FF01"), AID_BYTES, EchoToolkitApplet.class, new byte[0])
                .withToolkitParams(ToolkitParams.ofTars(tar).encode());
        return new SimulatorTransport(List.of(spec));
    }

    static EchoToolkitApplet applet(SimulatorTransport t) throws ReflectiveOperationException {
        java.lang.reflect.Field f = SimulatorTransport.class.getDeclaredField("sim");
        f.setAccessible(true);
        return (EchoToolkitApplet) UiccToolkit.runtimeOf((Simulator) f.get(t))
                .lookupApplet(new AID(AID_BYTES, (short) 0, (byte) AID_BYTES.length)).getApplet();
    }

    /** A command packet header (TS 102 225 5.1.1: CPL CHL SPI KIc KID TAR CNTR PCNTR) and data. */
    static byte[] packet(byte[] tar, int spi2, byte[] data) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        int cpl = 1 + 13 + data.length;
        o.write(cpl >> 8);
        o.write(cpl);
        o.writeBytes(new byte[] {0x0D, 0x00, (byte) spi2, 0x00, 0x00});
        o.writeBytes(tar);
        o.writeBytes(new byte[6]);
        o.writeBytes(data);
        return o.toByteArray();
    }

    /** SMS-DELIVER (TS 23.040 9.2.2.1) from "123", PID 7F, DCS F6, with the UDH IEs and the user data. */
    static byte[] deliver(byte[] udhIes, byte[] sm) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.write(0x44); // SMS-DELIVER, TP-UDHI
        o.writeBytes(new byte[] {0x03, (byte) 0x91, 0x21, (byte) 0xF3});
        o.write(0x7F);
        o.write(0xF6);
        o.writeBytes(new byte[7]);
        o.write(1 + udhIes.length + sm.length);
        o.write(udhIes.length);
        o.writeBytes(udhIes);
        o.writeBytes(sm);
        return o.toByteArray();
    }

    /** ENVELOPE (80 C2) with D1 { 82 02 83 81, 8B tpdu }. */
    static byte[] envelope(byte[] tpdu) {
        ByteArrayOutputStream v = new ByteArrayOutputStream();
        v.writeBytes(new byte[] {(byte) 0x82, 2, (byte) 0x83, (byte) 0x81, (byte) 0x8B});
        if (tpdu.length > 127) v.write(0x81);
        v.write(tpdu.length);
        v.writeBytes(tpdu);
        return apdu(0xC2, berTlv(0xD1, v.toByteArray()));
    }

    static byte[] berTlv(int tag, byte[] v) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.write(tag);
        if (v.length > 127) o.write(0x81);
        o.write(v.length);
        o.writeBytes(v);
        return o.toByteArray();
    }

    static byte[] apdu(int ins, byte[] data) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.writeBytes(new byte[] {(byte) 0x80, (byte) ins, 0, 0, (byte) data.length});
        o.writeBytes(data);
        return o.toByteArray();
    }

    static int sw(byte[] r) { return ((r[r.length - 2] & 0xFF) << 8) | (r[r.length - 1] & 0xFF); }

    static byte[] data(byte[] r) { return Arrays.copyOf(r, r.length - 2); }

    static final byte[] CPI = {0x70, 0x00};

    @Test
    void singleSmsIsDispatchedByTarToTheApplet() {
        try (SimulatorTransport t = card(TAR)) {
            byte[] pkt = packet(TAR, 0x21, HEX.parseHex("0102030405"));
            byte[] r = t.transmit(envelope(deliver(CPI, pkt)));
            assertEquals(0x9000, sw(r));
            assertArrayEquals(pkt, data(r));
        }
    }

    @Test
    void unknownTarGetsTheRuntimesPorWithStatus09_orNothingWithoutPor() {
        try (SimulatorTransport t = card(TAR)) {
            byte[] r = t.transmit(envelope(deliver(CPI, packet(HEX.parseHex("010203"), 0x21, new byte[4]))));
            assertEquals(0x9000, sw(r));
            assertEquals("0271" + "00" + "000B0A" + "010203" + "0000000000" + "00" + "09", HEX.formatHex(data(r)));
            byte[] none = t.transmit(envelope(deliver(CPI, packet(HEX.parseHex("010203"), 0x00, new byte[4]))));
            assertEquals("9000", HEX.formatHex(none));
        }
    }

    @Test
    void concatenatedSegmentsAreReassembledInAnyOrder_8And16BitReferences() {
        try (SimulatorTransport t = card(TAR)) {
            byte[] data = new byte[300];
            for (int i = 0; i < data.length; i++) data[i] = (byte) i;
            byte[] pkt = packet(TAR, 0x01, data);
            byte[][] seg = {Arrays.copyOfRange(pkt, 0, 120), Arrays.copyOfRange(pkt, 120, 240), Arrays.copyOfRange(pkt, 240, pkt.length)};
            for (boolean wide : new boolean[] {false, true}) {
                byte[][] env = new byte[3][];
                for (int i = 0; i < 3; i++) {
                    byte[] concat = wide ? new byte[] {0x08, 4, 0x12, 0x34, 3, (byte) (i + 1)} : new byte[] {0x00, 3, 0x42, 3, (byte) (i + 1)};
                    byte[] ies = i == 0 ? cat(CPI, concat) : concat; // the CPI travels in the first segment only
                    env[i] = envelope(deliver(ies, seg[i]));
                }
                assertEquals("9000", HEX.formatHex(t.transmit(env[2])), "a segment alone: acknowledged, no data");
                assertEquals("9000", HEX.formatHex(t.transmit(env[0])));
                byte[] r = t.transmit(env[1]);
                assertEquals(0x9000, sw(r));
                assertArrayEquals(Arrays.copyOf(pkt, 255), data(r), "the applet saw the whole message (its answer is capped at 255 bytes)");
            }
        }
    }

    @Test
    void malformedEnvelopesGetStatusWords() {
        try (SimulatorTransport t = card(TAR)) {
            byte[] good = deliver(CPI, packet(TAR, 0x21, new byte[2]));
            assertEquals(0x6A80, sw(t.transmit(apdu(0xC2, HEX.parseHex("D30482028381")))), "not SMS-PP download");
            assertEquals(0x6A80, sw(t.transmit(apdu(0xC2, berTlv(0xD1, HEX.parseHex("820282818B01")))))); // truncated TLV
            byte[] wrongDevices = envelope(good);
            wrongDevices[5 + 2 + 2] = (byte) 0x82; // source: terminal instead of network
            assertEquals(0x6A80, sw(t.transmit(wrongDevices)));
            byte[] lcTooShort = envelope(good);
            assertEquals(0x6700, sw(t.transmit(Arrays.copyOf(lcTooShort, lcTooShort.length - 1))));
            byte[] p1 = envelope(good);
            p1[2] = 1;
            assertEquals(0x6A86, sw(t.transmit(p1)));
            assertEquals(0x6985, sw(t.transmit(HEX.parseHex("8012000010"))), "FETCH without a pending command");
            assertEquals(0x6985, sw(t.transmit(apdu(0x14, HEX.parseHex("810301260182028281830100")))), "TERMINAL RESPONSE without a command");
        }
    }

    @Test
    void proactiveCommand_fetchAndTerminalResponse_busyMeanwhile() throws Exception {
        try (SimulatorTransport t = card(TAR)) {
            byte[] pkt = packet(TAR, 0x21, new byte[] {EchoToolkitApplet.ASK_IMEI});
            byte[] r = t.transmit(envelope(deliver(CPI, pkt)));
            assertArrayEquals(pkt, data(r), "the envelope response was posted before the proactive command");
            assertEquals(0x91, sw(r) >> 8);
            int len = sw(r) & 0xFF;
            assertEquals(0x9300, sw(t.transmit(envelope(deliver(CPI, pkt)))), "toolkit busy until the command is answered");
            assertEquals(0x6C00 | len, sw(t.transmit(HEX.parseHex("80120000" + "01"))), "FETCH with a wrong Le");
            byte[] cmd = t.transmit(HEX.parseHex("80120000" + HEX.formatHex(new byte[] {(byte) len})));
            assertEquals(0x9000, sw(cmd));
            assertEquals("D0" + "09" + "8103012601" + "82028182", HEX.formatHex(data(cmd)));
            assertEquals(0x6A80, sw(t.transmit(apdu(0x14, HEX.parseHex("810301260082028281830100")))), "command details do not match");
            assertEquals(0x6A80, sw(t.transmit(apdu(0x14, HEX.parseHex("8103012601820282818301")))), "truncated");
            byte[] done = t.transmit(apdu(0x14, cat(HEX.parseHex("8103012601" + "82028281" + "830100" + "1408"), IMEI)));
            assertEquals("9000", HEX.formatHex(done));
            EchoToolkitApplet a = applet(t);
            assertEquals(0, a.result);
            assertArrayEquals(IMEI, a.imei);
            assertEquals(0x9000, sw(t.transmit(envelope(deliver(CPI, packet(TAR, 0x21, new byte[1]))))), "no longer busy");
        }
    }

    @Test
    void aResetUnwindsAnAppletWaitingForItsTerminalResponse() {
        try (SimulatorTransport t = card(TAR)) {
            byte[] r = t.transmit(envelope(deliver(CPI, packet(TAR, 0x21, new byte[] {EchoToolkitApplet.ASK_IMEI}))));
            assertEquals(0x91, sw(r) >> 8);
            t.reset();
            assertEquals(0x6985, sw(t.transmit(HEX.parseHex("8012000010"))), "the pending command is gone");
            assertEquals(0x9000, sw(t.transmit(envelope(deliver(CPI, packet(TAR, 0x21, new byte[1]))))));
        }
    }

    @Test
    void manyCardsInParallelEachWithItsOwnRegistryAndSession() throws Exception {
        int cards = 4;
        ExecutorService pool = Executors.newFixedThreadPool(cards);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int c = 0; c < cards; c++) {
                byte[] tar = {(byte) 0x10, 0x20, (byte) c};
                results.add(pool.submit((Callable<Boolean>) () -> {
                    try (SimulatorTransport t = card(tar)) {
                        for (int i = 0; i < 20; i++) {
                            byte[] pkt = packet(tar, 0x21, new byte[] {(byte) i, EchoToolkitApplet.ASK_IMEI});
                            byte[] r = t.transmit(envelope(deliver(CPI, pkt)));
                            if (!Arrays.equals(pkt, data(r)) || (sw(r) >> 8) != 0x91) return false;
                            byte[] cmd = t.transmit(HEX.parseHex("8012000000"));
                            byte[] imei = IMEI.clone();
                            imei[7] = tar[2];
                            if (sw(t.transmit(apdu(0x14, cat(HEX.parseHex("8103012601" + "82028281" + "830100" + "1408"), imei)))) != 0x9000) return false;
                            if (!Arrays.equals(imei, applet(t).imei) || sw(cmd) != 0x9000) return false;
                            // another card's TAR is unknown here
                            byte[] other = {(byte) 0x10, 0x20, (byte) (tar[2] + 1)};
                            if (data(t.transmit(envelope(deliver(CPI, packet(other, 0x21, new byte[1])))))[15] != 0x09) return false;
                        }
                        return true;
                    }
                }));
            }
            for (Future<Boolean> f : results) assertTrue(f.get());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void toolkitParametersRoundTrip_andMalformedOnesAreRefused() {
        ToolkitParams p = ToolkitParams.ofTars(TAR, HEX.parseHex("B00011"));
        ToolkitParams back = ToolkitParams.parse(p.encode());
        assertEquals(2, back.tars().size());
        assertArrayEquals(TAR, back.tars().get(0));
        assertThrows(IllegalArgumentException.class, () -> ToolkitParams.parse(HEX.parseHex("01000000000004AABBCC")));
        assertThrows(IllegalArgumentException.class, () -> ToolkitParams.parse(HEX.parseHex("01000000")));
        assertThrows(IllegalArgumentException.class, () -> ToolkitParams.ofTars(HEX.parseHex("AABB")));
    }

    static byte[] cat(byte[]... parts) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        for (byte[] p : parts) o.writeBytes(p);
        return o.toByteArray();
    }
}
