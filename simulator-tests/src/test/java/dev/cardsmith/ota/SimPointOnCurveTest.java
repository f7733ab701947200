package dev.cardsmith.ota;

import dev.cardsmith.applet.platform.Sw;
import dev.cardsmith.applet.sim.Constants;
import dev.cardsmith.ota.terminal.Terminal;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.smartcardio.CommandAPDU;
import java.math.BigInteger;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every EC point the sim applet receives is checked on the P-256 curve on card (platform P256):
 * the terminal's public key in INIT_TRUST and its ephemeral key E_T in AUTHENTICATE (which goes
 * into ECDH). Before, only the 04 prefix was looked at: (1, 1) and an off-curve point reached
 * the key object and the key agreement. Both are now 6A80.
 */
@dev.cardsmith.support.CardTest
class SimPointOnCurveTest extends OtaFixtureTest {

    static byte[] point(BigInteger x, BigInteger y) {
        byte[] p = new byte[65];
        p[0] = 0x04;
        byte[] xb = x.toByteArray();
        byte[] yb = y.toByteArray();
        int xl = Math.min(32, xb.length);
        int yl = Math.min(32, yb.length);
        System.arraycopy(xb, xb.length - xl, p, 33 - xl, xl);
        System.arraycopy(yb, yb.length - yl, p, 65 - yl, yl);
        return p;
    }

    static byte[] offCurve() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        ECPublicKey k = (ECPublicKey) g.generateKeyPair().getPublic();
        return point(k.getW().getAffineX(), k.getW().getAffineY().add(BigInteger.ONE));
    }

    private int initTrustEc(byte[] pub) {
        return f.send(f.server.initTrustEc(OtaFixture.SIM, pub, OtaFixture.IMEI, OtaFixture.MAX_OUTPUT,
                OtaFixture.TODAY.plusDays(30), 90, OtaFixture.TODAY)).compact().sw();
    }

    @Test
    void initTrustRefusesAPublicKeyOffTheCurve() throws Exception {
        assertEquals(Sw.WRONG_DATA, initTrustEc(point(BigInteger.ONE, BigInteger.ONE)), "(1, 1)");
        assertEquals(Sw.WRONG_DATA, initTrustEc(offCurve()), "off-curve point");
        assertEquals(Constants.STATE_EMPTY, f.terminal.challenge().state());
        byte[] pub = f.enrolEc();
        assertEquals(0x9000, initTrustEc(pub));
        assertTrue(f.terminal.authenticate(false, OtaFixture.TODAY).keyDelivered(), "a genuine key still works");
    }

    private int authenticateWithEphemeral(byte[] eT) {
        f.terminal.challenge();
        byte[] data = new byte[2 + 8 + 1 + Constants.TERMINAL_NONCE_LEN + 65 + 8];
        data[0] = 0x26;
        System.arraycopy(dev.cardsmith.codec.Imei.mobileIdentity(OtaFixture.IMEI), 0, data, 2, 8);
        data[10] = OtaFixture.MAX_OUTPUT;
        System.arraycopy(eT, 0, data, 19, 65);
        data[84] = 0x30; // some signature bytes
        return f.card.transmit(new CommandAPDU(0x80, Constants.INS_AUTHENTICATE, 0, 0, data, 256)).getSW();
    }

    @Test
    void authenticateRefusesAnEphemeralKeyOffTheCurve() throws Exception {
        byte[] pub = f.enrolEc();
        assertEquals(0x9000, initTrustEc(pub));
        assertEquals(Sw.WRONG_DATA, authenticateWithEphemeral(point(BigInteger.ONE, BigInteger.ONE)), "(1, 1)");
        assertEquals(Sw.WRONG_DATA, authenticateWithEphemeral(offCurve()), "off-curve point");
        assertTrue(f.terminal.authenticate(false, OtaFixture.TODAY).keyDelivered(), "the genuine terminal still works");
    }
}
