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
