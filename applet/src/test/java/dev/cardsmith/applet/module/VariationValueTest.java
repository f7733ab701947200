package dev.cardsmith.applet.module;

import dev.cardsmith.applet.AppletHarness;
import dev.cardsmith.applet.platform.P256;
import javacard.security.ECPrivateKey;
import javacard.security.ECPublicKey;
import javacard.security.RandomData;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.math.BigInteger;
import java.security.MessageDigest;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * Claim 10: the perso unit's variation value reaches the module key. The card's randomness is
 * pinned (a RandomData that always answers the same bytes) so that the variation value is the
 * only input that differs: two variation values give two different module keys, the same value
 * gives the same key, and the key is d = SHA-256(random || V) as docs/module.md states.
 */
class VariationValueTest {

    private static final byte[] AID_BYTES = {(byte) 0xF0, 0x43, 0x53, 0x4D, 0x54, 0x02, 0x01};
    private static final byte[] FIXED_RANDOM = new byte[32];

    static {
        for (int i = 0; i < 32; i++) FIXED_RANDOM[i] = (byte) (0x11 * (i % 15 + 1));
    }

    private AppletHarness card;
    private Crypto crypto;
    private Persistent p;

    /** A card whose generator always answers the same bytes (test only). */
    private static final class PinnedRandom extends RandomData {
        @Override public void generateData(byte[] buf, short off, short len) { System.arraycopy(FIXED_RANDOM, 0, buf, off, len); }
        @Override public short nextBytes(byte[] buf, short off, short len) { generateData(buf, off, len); return (short) (off + len); }
        @Override public void setSeed(byte[] buf, short off, short len) { }
        @Override public byte getAlgorithm() { return RandomData.ALG_SECURE_RANDOM; }
    }

    @BeforeEach
    void install() throws Exception {
        card = new AppletHarness(AID_BYTES, ModuleApplet.class);
        crypto = (Crypto) AppletHarness.field(card.applet(), "crypto");
        p = (Persistent) AppletHarness.field(card.applet(), "p");
        Field f = Crypto.class.getDeclaredField("random");
        f.setAccessible(true);
        f.set(crypto, new PinnedRandom());
    }

    @AfterEach
    void close() {
        card.close();
    }

    private byte[] moduleKeyFor(byte[] variation) {
        byte[] ram = new byte[80];
        crypto.formKeyWithVariation(p.moduleKey, variation, (short) 0, ram, (short) 0);
        byte[] w = new byte[65];
        assertEquals(65, ((ECPublicKey) p.moduleKey.getPublic()).getW(w, (short) 0));
        return w;
    }

    private static byte[] variation(int b) {
        byte[] v = new byte[Constants.VARIATION_LENGTH];
        Arrays.fill(v, (byte) b);
        return v;
    }

    @Test
    void claim10_twoVariationValuesGiveTwoDifferentModuleKeys() {
        assertNotNull(crypto.ecdhXy, "jCardSim offers ALG_EC_SVDP_DH_PLAIN_XY: the variation value is hashed into d");
        byte[] a = moduleKeyFor(variation(0xA5));
        byte[] b = moduleKeyFor(variation(0x5A));
        assertFalse(Arrays.equals(a, b), "the variation value did not change the module key");
        assertArrayEquals(a, moduleKeyFor(variation(0xA5)), "same randomness, same variation value: same key");
    }

    @Test
    void claim10_moduleKeyIsTheHashOfRandomnessAndVariationValue() throws Exception {
        byte[] v = variation(0x3C);
        byte[] w = moduleKeyFor(v);
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        sha.update(FIXED_RANDOM);
        sha.update(v);
        byte[] d = sha.digest();
        byte[] s = new byte[32];
        assertEquals(32, ((ECPrivateKey) p.moduleKey.getPrivate()).getS(s, (short) 0));
        assertArrayEquals(d, s, "d = SHA-256(random || V)");
        // and W = d.G: the JDK's ECDH with d and with W agree against a host key pair
        java.security.PrivateKey dKey = java.security.KeyFactory.getInstance("EC")
                .generatePrivate(new java.security.spec.ECPrivateKeySpec(new BigInteger(1, d), dev.cardsmith.applet.JdkEc.p256()));
        java.security.KeyPair host = dev.cardsmith.applet.JdkEc.generate();
        assertArrayEquals(dev.cardsmith.applet.JdkEc.ecdh(dKey, host.getPublic()),
                dev.cardsmith.applet.JdkEc.ecdh(host.getPrivate(), dev.cardsmith.applet.JdkEc.publicKey(w)));
        assertEquals(P256.POINT_LENGTH, w.length);
    }
}
