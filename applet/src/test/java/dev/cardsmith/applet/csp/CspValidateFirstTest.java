package dev.cardsmith.applet.csp;

import dev.cardsmith.applet.AppletHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Two findings on the CSP applet, over raw APDUs:
 * <ul>
 * <li>Fuzzing: PUT CERTIFICATE (D8) answered 6A80 for data that is not a DER SEQUENCE only after
 * it had streamed the data into the spare buffer of the certificate pool. Now the certificate is
 * validated in the declared staging buffer first; no certificate buffer changes for a refusal.</li>
 * <li>ECDH checked only the 04 prefix of the peer point, so (1, 1) - on no P-256 curve - yielded a
 * "shared secret" (an invalid-curve attack leaks the private key bit by bit on cards that do not
 * check). Now the point is checked on the curve on card: 6A80.</li>
 * </ul>
 */
class CspValidateFirstTest {

    private static final byte[] AID_BYTES = {(byte) 0xF0, 0x43, 0x53, 0x4D, 0x54, 0x03, 0x01};
    private AppletHarness card;

    @BeforeEach
    void install() {
        card = new AppletHarness(AID_BYTES, CspApplet.class);
        assertEquals(0x9000, card.sw(new byte[] {0x00, Constants.INS_VERIFY, 0x00, Constants.PIN_USER, 6, '1', '2', '3', '4', '5', '6'}));
        assertEquals(0x9000, card.sw(new byte[] {0x00, Constants.INS_GENERATE_ASYMMETRIC_KEY_PAIR, Constants.P1_GENERATE, 0, 3,
                Constants.TAG_GEN_ALGORITHM, 1, Constants.ALG_EC_P256, 0}));
    }

    @AfterEach
    void reset() {
        card.close();
    }

    private byte[][] certificateBuffers() throws ReflectiveOperationException {
        Object[] pool = (Object[]) AppletHarness.field(card.appletField("slots"), "certPool");
        byte[][] copy = new byte[pool.length][];
        for (int i = 0; i < pool.length; i++) copy[i] = ((byte[]) pool[i]).clone();
        return copy;
    }

    private static byte[] apdu(int cla, int ins, int p1, int p2, byte[] data) {
        byte[] c = new byte[5 + data.length];
        c[0] = (byte) cla; c[1] = (byte) ins; c[2] = (byte) p1; c[3] = (byte) p2; c[4] = (byte) data.length;
        System.arraycopy(data, 0, c, 5, data.length);
        return c;
    }

    @Test
    void bug_putCertificateWroteACertificateBufferBeforeRefusingTheData() throws Exception {
        byte[] good = new byte[40];
        good[0] = 0x30;
        Arrays.fill(good, 1, good.length, (byte) 0x11);
        assertEquals(0x9000, card.sw(apdu(0x80, Constants.INS_PUT_CERTIFICATE, 0, 0, good)));
        byte[][] before = certificateBuffers();

        byte[] notDer = new byte[200];
        Arrays.fill(notDer, (byte) 0x31);
        assertEquals(0x6A80, card.sw(apdu(0x80, Constants.INS_PUT_CERTIFICATE, 0, 0, notDer)));
        assertEquals(0x9000, card.sw(apdu(0x90, Constants.INS_PUT_CERTIFICATE, 0, 0, notDer)));
        assertEquals(0x6A80, card.sw(apdu(0x80, Constants.INS_PUT_CERTIFICATE, 0, 0, notDer)));

        byte[][] after = certificateBuffers();
        for (int i = 0; i < before.length; i++) assertArrayEquals(before[i], after[i], "certificate buffer " + i + " written for a refused certificate");
        byte[] r = card.simulator().transmitCommand(new byte[] {(byte) 0x80, Constants.INS_GET_CERTIFICATE, 0, 0, 0});
        assertArrayEquals(good, Arrays.copyOf(r, r.length - 2), "the old certificate stays");
    }

    private byte[] ecdh(byte[] point) {
        return card.simulator().transmitCommand(apdu(0x80, Constants.INS_ECDH, 0, 0, point));
    }

    private static int sw(byte[] r) {
        return ((r[r.length - 2] & 0xFF) << 8) | (r[r.length - 1] & 0xFF);
    }

    private static byte[] point(BigInteger x, BigInteger y) {
        byte[] p = new byte[65];
        p[0] = 0x04;
        byte[] xb = x.toByteArray();
        byte[] yb = y.toByteArray();
        System.arraycopy(xb, Math.max(0, xb.length - 32), p, 1 + 32 - Math.min(32, xb.length), Math.min(32, xb.length));
        System.arraycopy(yb, Math.max(0, yb.length - 32), p, 33 + 32 - Math.min(32, yb.length), Math.min(32, yb.length));
        return p;
    }

    @Test
    void bug_ecdhAcceptedAPeerPointOffTheCurve() throws Exception {
        assertEquals(0x6A80, sw(ecdh(point(BigInteger.ONE, BigInteger.ONE))), "(1, 1) is on no P-256 curve");
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        ECPublicKey peer = (ECPublicKey) g.generateKeyPair().getPublic();
        BigInteger x = peer.getW().getAffineX();
        BigInteger y = peer.getW().getAffineY();
        assertEquals(0x6A80, sw(ecdh(point(x, y.add(BigInteger.ONE)))), "off-curve point");
        byte[] ok = ecdh(point(x, y));
        assertEquals(0x9000, sw(ok), "a genuine peer point still agrees");
        assertEquals(32, ok.length - 2);
    }
}
