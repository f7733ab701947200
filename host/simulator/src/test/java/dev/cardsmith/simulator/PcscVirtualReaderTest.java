package dev.cardsmith.simulator;

import dev.cardsmith.transport.*;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import javax.smartcardio.CommandAPDU;
import javax.smartcardio.ResponseAPDU;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The simulated card behind a real PC/SC stack: pcscd + vsmartcard's vpcd driver, reached
 * through javax.smartcardio exactly as a physical reader would be. Skips when pcscd or vpcd is
 * not installed, unless CARDSMITH_REQUIRE_PCSC=1 (CI sets it; .ci/run installs both).
 */
class PcscVirtualReaderTest {

    static final String READER = VirtualPcscReader.READER;
    static VirtualPcscReader reader;

    @BeforeAll
    static void startReader() {
        boolean installed = VirtualPcscReader.installed();
        if (!"1".equals(System.getenv("CARDSMITH_REQUIRE_PCSC"))) {
            Assumptions.assumeTrue(installed, "pcscd and vsmartcard-vpcd not installed");
        }
        assertTrue(installed, "CARDSMITH_REQUIRE_PCSC=1 but pcscd/vsmartcard-vpcd are missing");
        reader = VirtualPcscReader.start(new SimulatorTransport(CardSessionTest.APPLETS));
    }

    @AfterAll
    static void stopReader() {
        if (reader != null) reader.close();
    }

    @Test
    void sameProtocolThroughARealReaderAsInProcess() {
        try (CardSession s = new CardSession(PcscTransport.open(READER))) {
            s.select(CardSessionTest.AID);
            byte[] data = new byte[600];
            for (int i = 0; i < data.length; i++) data[i] = (byte) i;
            ResponseAPDU sum = s.transmitOk("sum", new CommandAPDU(0x80, TestApplet.INS_CHAINED_SUM, 0, 0, data, 256));
            assertEquals(600, ((sum.getData()[0] & 0xFF) << 8) | (sum.getData()[1] & 0xFF));
            ResponseAPDU lng = s.transmitOk("long", new CommandAPDU(0x80, TestApplet.INS_LONG, 700 >> 8, 700 & 0xFF, 256));
            assertEquals(700, lng.getData().length);
            byte[] w1 = s.transmitOk("pub", new CommandAPDU(0x80, TestApplet.INS_PUBKEY, 0, 0, 256)).getData();
            s.reset();
            s.select(CardSessionTest.AID);
            byte[] w2 = s.transmitOk("pub", new CommandAPDU(0x80, TestApplet.INS_PUBKEY, 0, 0, 256)).getData();
            assertArrayEquals(w1, w2, "a reset keeps persistent keys");
            CardStatusException e = assertThrows(CardStatusException.class, () -> s.transmitOk("x", new CommandAPDU(0x80, 0x7E, 0, 0)));
            assertEquals(0x6D00, e.sw());
        }
    }

    @Test
    void unknownReaderIsOneClearError() {
        TransportException e = assertThrows(TransportException.class, () -> PcscTransport.open("No Such Reader 42"));
        assertEquals("no PC/SC reader named 'No Such Reader 42'", e.getMessage());
    }
}
