package dev.cardsmith.applet.module;

import javacard.security.ECPublicKey;
import javacard.security.KeyPair;
import org.junit.jupiter.api.Test;

import javax.crypto.KeyAgreement;
import java.math.BigInteger;
import java.security.AlgorithmParameters;
import java.security.KeyFactory;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The module's KDF input Z must be the full 32-byte field element even when the shared
 * x-coordinate starts with a zero byte (its BigInteger form is then 31 bytes long). Written
 * while chasing a 1-in-100 key-confirmation failure (the cause was key-object reuse, see
 * KeyPairReuseTest); kept as a guard for the platform's ECDH output length.
 */
class EcdhLeadingZeroTest {

    @Test
    void sharedSecretWithLeadingZeroIsPaddedTo32Bytes() throws Exception {
        Crypto crypto = new Crypto();
        KeyPair card = new KeyPair(Crypto.newP256PublicKey(), Crypto.newP256PrivateKey());
        Crypto.generate(card, new byte[32], (short) 0);
        byte[] w = new byte[65];
        ((ECPublicKey) card.getPublic()).getW(w, (short) 0);
        AlgorithmParameters ap = AlgorithmParameters.getInstance("EC");
        ap.init(new ECGenParameterSpec("secp256r1"));
        ECParameterSpec p256 = ap.getParameterSpec(ECParameterSpec.class);
        PublicKey cardPub = KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(
                new ECPoint(new BigInteger(1, Arrays.copyOfRange(w, 1, 33)), new BigInteger(1, Arrays.copyOfRange(w, 33, 65))), p256));
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(p256);
        for (int i = 0; i < 5000; i++) {
            java.security.KeyPair host = g.generateKeyPair();
            KeyAgreement ka = KeyAgreement.getInstance("ECDH");
            ka.init(host.getPrivate());
            ka.doPhase(cardPub, true);
            byte[] expected = ka.generateSecret();
            if (expected[0] != 0 || (expected[1] & 0x80) != 0) continue; // BigInteger.toByteArray() is then 31 bytes long
            java.security.interfaces.ECPublicKey hp = (java.security.interfaces.ECPublicKey) host.getPublic();
            byte[] point = new byte[65];
            point[0] = 0x04;
            put32(hp.getW().getAffineX(), point, 1);
            put32(hp.getW().getAffineY(), point, 33);
            byte[] out = new byte[40];
            Arrays.fill(out, (byte) 0x5A); // stale bytes that must not leak into Z
            short n = crypto.agree((javacard.security.ECPrivateKey) card.getPrivate(), point, (short) 0, out, (short) 4);
            assertEquals(32, n);
            assertArrayEquals(expected, Arrays.copyOfRange(out, 4, 36));
            return;
        }
        throw new AssertionError("no shared secret with a leading zero byte in 5000 tries");
    }

    private static void put32(BigInteger v, byte[] out, int off) {
        byte[] b = v.toByteArray();
        int n = Math.min(b.length, 32);
        System.arraycopy(b, b.length - n, out, off + 32 - n, n);
    }
}
