package dev.cardsmith.simulator;

import dev.cardsmith.transport.CardSession;
import dev.cardsmith.transport.CardTransport;
import dev.cardsmith.transport.CardsmithAids;
import dev.cardsmith.transport.TransportException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The test reader's control port (without pcscd): FRESH puts a new card with exactly the named applets in the reader. */
class VpcdTestReaderTest {

    ServerSocket control;
    final LinkedBlockingQueue<CardTransport> cards = new LinkedBlockingQueue<>();

    @BeforeEach
    void start() throws IOException {
        control = new ServerSocket(0, 4, InetAddress.getLoopbackAddress());
        Thread t = new Thread(() -> VpcdTestReader.serve(control, cards::add), "control-test");
        t.setDaemon(true);
        t.start();
    }

    @AfterEach
    void stop() throws IOException {
        control.close();
    }

    @Test
    void freshCardHoldsTheRequestedAppletsWithTheirInstallParameters() throws Exception {
        AppletSpec sim = AppletRegistry.byName("sim");
        VpcdTestReader.requestFresh("127.0.0.1", control.getLocalPort(), List.of(AppletRegistry.byName("vault"), sim.withInstallParams(new byte[0])));
        CardTransport card = cards.poll(10, TimeUnit.SECONDS);
        try (CardSession s = new CardSession(card)) {
            assertEquals(0x9000, s.transmit(select(CardsmithAids.VAULT.instanceAid())).getSW());
            assertNotEquals(0x9000, s.transmit(select(CardsmithAids.PSD.instanceAid())).getSW(), "psd was not asked for");
        }
        assertArrayEquals(new byte[0], VpcdTestReader.parse("FRESH sim=").get(0).installParams());
        assertArrayEquals(sim.installParams(), VpcdTestReader.parse("FRESH sim=" + dev.cardsmith.crypto.Hex.of(sim.installParams())).get(0).installParams());
    }

    /** Issue 14: the toolkit parameters (the TAR the card's runtime dispatches by) travel with the request. */
    @Test
    void freshCardGetsTheToolkitParametersOfTheRequest() throws Exception {
        byte[] tar = dev.cardsmith.crypto.Hex.parse("B00011");
        byte[] ca = dev.cardsmith.simulator.uicc.ToolkitParams.ofTars(tar).encode();
        AppletSpec sim = AppletRegistry.byName("sim").withToolkitParams(ca);
        VpcdTestReader.requestFresh("127.0.0.1", control.getLocalPort(), List.of(sim));
        SimulatorTransport card = (SimulatorTransport) cards.poll(10, TimeUnit.SECONDS);
        javacard.framework.AID aid = com.licel.jcardsim.utils.AIDUtil.create(CardsmithAids.SIM.instanceAid());
        assertArrayEquals(tar, card.toolkit().tars(aid).get(0), "the card's runtime dispatches the requested TAR");
        card.close();
        assertArrayEquals(ca, VpcdTestReader.parse("FRESH sim=/" + dev.cardsmith.crypto.Hex.of(ca)).get(0).toolkitParams());
        assertArrayEquals(AppletRegistry.byName("sim").toolkitParams(), VpcdTestReader.parse("FRESH sim=").get(0).toolkitParams(),
                "no slash: the registry's");
        assertEquals(null, VpcdTestReader.parse("FRESH sim=/").get(0).toolkitParams(), "empty after the slash: none");
        assertThrows(IllegalArgumentException.class, () -> VpcdTestReader.parse("FRESH sim=/XYZ"));
    }

    @Test
    void badRequestsAreRefusedAndTheCardStays() {
        int port = control.getLocalPort();
        TransportException e = assertThrows(TransportException.class, () -> VpcdTestReader.requestFresh("127.0.0.1", port,
                List.of(AppletRegistry.byName("vault").withInstallParams(new byte[0]), new AppletSpec("nosuch", new byte[5], new byte[5], null, new byte[0]))));
        assertTrue(e.getMessage().endsWith("ERR no applet named nosuch"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> VpcdTestReader.parse("FRESH vault=XYZ"));
        assertThrows(IllegalArgumentException.class, () -> VpcdTestReader.parse("FRESH vault"));
        assertThrows(IllegalArgumentException.class, () -> VpcdTestReader.parse("FRESH"));
        assertThrows(IllegalArgumentException.class, () -> VpcdTestReader.parse("RESET vault="));
        assertEquals(0, cards.size(), "no card replaced by a refused request");
    }

    @Test
    void unreachableControlPortIsOneClearError() throws IOException {
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        TransportException e = assertThrows(TransportException.class, () -> VpcdTestReader.requestFresh("127.0.0.1", closed, List.of(AppletRegistry.byName("vault"))));
        assertTrue(e.getMessage().startsWith("cannot reach the test reader's control port 127.0.0.1:" + closed), e.getMessage());
    }

    private static javax.smartcardio.CommandAPDU select(byte[] aid) {
        return new javax.smartcardio.CommandAPDU(0x00, 0xA4, 0x04, 0x00, aid);
    }
}
