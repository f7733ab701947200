package dev.cardsmith.ota;

import dev.cardsmith.applet.platform.AesCmac;
import dev.cardsmith.applet.sim.Constants;
import dev.cardsmith.ota.terminal.Terminal;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.reflect.Field;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Portability finding: the sim applet used the OPTIONAL Signature.ALG_AES_CMAC_128 with no
 * fallback, so it would not even install on a chip without it. It now MACs through the platform
 * layer's AesCmac, whose software path (SP 800-38B over AES-ECB) runs where the algorithm is
 * missing. jCardSim has the platform CMAC, so the test forces the software path through the
 * install-time switch {@code Crypto.forceSoftwareCmac} (set by reflection around the install,
 * never by the applet) and runs OTA end to end on it: command-packet CC and PoR CC under KID
 * (checked by the host), the terminal proof and session keys, the notification, a content key -
 * and a forged CC still refused.
 */
@dev.cardsmith.support.SimulatorOnly("forces the software AES-CMAC path by reflection into the applet at install")
class SimSoftwareCmacTest {

    @TempDir
    Path dir;
    OtaFixture f;

    static void forceSoftwareCmac(boolean on) throws ReflectiveOperationException {
        Field sw = Class.forName("dev.cardsmith.applet.sim.Crypto").getDeclaredField("forceSoftwareCmac");
        sw.setAccessible(true);
        sw.setBoolean(null, on);
    }

    @BeforeEach
    void setUp() throws Exception {
        forceSoftwareCmac(true);
        try {
            // installs the sim applet on a fresh simulated card; MSL 12: CC + counter (a CC-only packet is allowed)
            f = new OtaFixture(dir, Spi.CounterMode.HIGHER, 0x12);
        } finally {
            forceSoftwareCmac(false);
        }
        AesCmac cmac = (AesCmac) SimReviewTest.get(SimReviewTest.get(SimReviewTest.simApplet(f.card), "crypto"), "cmac");
        assertTrue(cmac.isSoftware(), "the sim applet must run its software CMAC in this test");
    }

    @AfterEach
    void tearDown() {
        f.close();
    }

    @Test
    void otaAndTerminalProtocolOnTheSoftwareCmac() {
        assertTrue(f.initSymmetric(OtaFixture.TODAY.plusDays(30)).por().ok(), "PoR with CC");
        Terminal.AuthResult a = f.terminal.authenticate(false, OtaFixture.TODAY);
        assertTrue(a.keyDelivered());
        f.server.acceptNotification(OtaFixture.SIM, f.terminal.ack());
        byte[] ck = new byte[16];
        Arrays.fill(ck, (byte) 0x6C);
        assertTrue(f.send(f.server.license(OtaFixture.SIM, 7, ck, 2, OtaFixture.TODAY, OtaFixture.TODAY.plusDays(3))).compact().ok());
        f.terminal.authenticate(false, OtaFixture.TODAY);
        assertArrayEquals(ck, f.terminal.contentKey(7).key());

        // a CC-only packet (the CC over clear data), and a tampered CC still caught on the software path
        Spi ccOnly = Spi.of(true, false, Spi.CounterMode.HIGHER, Spi.Por.ALWAYS, true, false);
        byte[] tampered = CommandPacket.encode(DevKeys.keys(), ccOnly, 1000, OtaPacketE2eTest.STATUS);
        tampered[17] ^= 0x01;
        assertEquals(Constants.POR_RC_CC_DS_FAILED,
                ResponsePacket.decode(DevKeys.keys(), ccOnly, f.raw(OtaFixture.envelopes(tampered)).getData()).status());
        byte[] genuine = CommandPacket.encode(DevKeys.keys(), ccOnly, 1000, OtaPacketE2eTest.STATUS);
        assertEquals(Constants.POR_OK, ResponsePacket.decode(DevKeys.keys(), ccOnly, f.raw(OtaFixture.envelopes(genuine)).getData()).status());
    }
}
