package dev.cardsmith.applet.module;

import dev.cardsmith.applet.JdkEc;
import javacard.security.ECPublicKey;
import javacard.security.KeyPair;
import org.junit.jupiter.api.Test;

import java.security.PublicKey;
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
        PublicKey cardPub = JdkEc.publicKey(w);
        for (int i = 0; i < 5000; i++) {
            java.security.KeyPair host = JdkEc.generate();
            byte[] expected = JdkEc.ecdh(host.getPrivate(), cardPub);
            if (expected[0] != 0 || (expected[1] & 0x80) != 0) continue; // BigInteger.toByteArray() is then 31 bytes long
            byte[] point = JdkEc.point(host.getPublic());
            byte[] out = new byte[40];
            Arrays.fill(out, (byte) 0x5A); // stale bytes that must not leak into Z
            short n = crypto.agree((javacard.security.ECPrivateKey) card.getPrivate(), point, (short) 0, out, (short) 4);
            assertEquals(32, n);
            assertArrayEquals(expected, Arrays.copyOfRange(out, 4, 36));
            return;
        }
        throw new AssertionError("no shared secret with a leading zero byte in 5000 tries");
    }
}
