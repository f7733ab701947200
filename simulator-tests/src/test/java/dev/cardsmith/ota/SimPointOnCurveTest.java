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
        byte[] sig = new byte[8];
        sig[0] = 0x30; // some signature bytes
        return authenticate(eT, sig);
    }

    private int authenticate(byte[] eT, byte[] sig) {
        f.terminal.challenge();
        byte[] data = new byte[2 + 8 + 1 + Constants.TERMINAL_NONCE_LEN + 65 + sig.length];
        data[0] = 0x26;
        System.arraycopy(dev.cardsmith.codec.Imei.mobileIdentity(OtaFixture.IMEI), 0, data, 2, 8);
        data[10] = OtaFixture.MAX_OUTPUT;
        System.arraycopy(eT, 0, data, 19, 65);
        System.arraycopy(sig, 0, data, 84, sig.length);
        return f.card.transmit(new CommandAPDU(0x80, Constants.INS_AUTHENTICATE, 0, 0, data, 256)).getSW();
    }

    /** An ECDSA-Sig-Value DER with 32-byte r and s of 0x11 whose first INTEGER tag is {@code tag} (02 is well formed). */
    static byte[] derSignature(int tag) {
        byte[] sig = new byte[2 + 2 * 34];
        sig[0] = 0x30;
        sig[1] = 68;
        sig[2] = (byte) tag;
        sig[3] = 32;
        sig[36] = 0x02;
        sig[37] = 32;
        for (int i = 0; i < 32; i++) {
            sig[4 + i] = 0x11;
            sig[38 + i] = 0x11;
        }
        return sig;
    }

    /**
     * Found by the fuzzer in the vault (WIPE answered 6F01 to a signature whose first INTEGER tag was
     * 82, 12 or 85: jCardSim's verifier lets BouncyCastle's parse error through); the sim's EC
     * terminal authentication had the same catch. A malformed signature is a wrong proof, answered
     * as one, and counts as one failure.
     */
    @Test
    void malformedTerminalSignatureIsAWrongProofNeverAnUnexpectedException() throws Exception {
        byte[] pub = f.enrolEc();
        assertEquals(0x9000, initTrustEc(pub));
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        ECPublicKey e = (ECPublicKey) g.generateKeyPair().getPublic();
        byte[] eT = point(e.getW().getAffineX(), e.getW().getAffineY());
        int wrong = authenticate(eT, derSignature(0x02));
        assertTrue(wrong != 0x9000 && wrong != 0x6F00 && wrong != 0x6F01, Integer.toHexString(wrong));
        for (int tag : new int[] {0x82, 0x12, 0x85}) {
            assertEquals(wrong, authenticate(eT, derSignature(tag)), "first INTEGER tag " + Integer.toHexString(tag));
            assertTrue(f.terminal.authenticate(false, OtaFixture.TODAY).keyDelivered(), "the genuine terminal still works");
        }
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
