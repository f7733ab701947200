package dev.cardsmith.applet.module;

import com.licel.jcardsim.base.Simulator;
import dev.cardsmith.applet.platform.AesCmac;
import javacard.security.AESKey;
import javacard.security.KeyBuilder;
import javacardx.crypto.Cipher;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.HexFormat;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Portability finding: Signature.ALG_AES_CMAC_128 is optional in Java Card 3.0.5, so the module
 * falls back to the layer's software AES-CMAC over AES-ECB ({@link AesCmac}), chosen in
 * {@link Crypto} (forced with {@code Crypto.forceSoftwareCmac} in tests). Known answers: RFC 4493
 * section 4 (the four AES-128 examples, same as NIST SP 800-38B appendix D.1); equivalence: the
 * software CMAC equals the platform CMAC (jCardSim) on random keys, lengths 0..300 and random
 * update splits, as the module feeds it (RAM header parts via update, the APDU buffer via sign).
 */
class AesCmacTest {

    private static final HexFormat HEX = HexFormat.of();
    // RFC 4493 section 4
    private static final byte[] KEY = HEX.parseHex("2b7e151628aed2a6abf7158809cf4f3c");
    private static final byte[] MSG = HEX.parseHex(
            "6bc1bee22e409f96e93d7e117393172a" + "ae2d8a571e03ac9c9eb76fac45af8e51"
                    + "30c81c46a35ce411e5fbc1191a0a52ef" + "f69f2445df4f9b17ad2b417be66c3710");
    private static final String[][] RFC4493 = {
            {"0", "bb1d6929e95937287fa37d129b756746"},
            {"16", "070a16b46b4d4144f79bdd9dd04a287c"},
            {"40", "dfa66747de9ae63030ca32611497c827"},
            {"64", "51f0bebf7e3b9d92fc49741779363cfe"},
    };

    private Simulator sim;
    private Cipher ecb;
    private AESKey key;

    @BeforeEach
    void setUp() {
        sim = new Simulator(); // the jCardSim runtime behind JCSystem / KeyBuilder
        ecb = Cipher.getInstance(Cipher.ALG_AES_BLOCK_128_ECB_NOPAD, false);
        key = (AESKey) KeyBuilder.buildKey(KeyBuilder.TYPE_AES, KeyBuilder.LENGTH_AES_128, false);
        Crypto.forceSoftwareCmac = false;
    }

    @AfterEach
    void tearDown() {
        Crypto.forceSoftwareCmac = false;
        sim.resetRuntime();
    }

    /** The module's engines with the software CMAC forced, as ModuleSoftwareCmacTest installs them. */
    private static AesCmac software() {
        Crypto.forceSoftwareCmac = true;
        try {
            AesCmac m = new Crypto().cmac;
            assertTrue(m.isSoftware());
            return m;
        } finally {
            Crypto.forceSoftwareCmac = false;
        }
    }

    private static AesCmac platform() {
        AesCmac m = new Crypto().cmac;
        assertFalse(m.isSoftware());
        return m;
    }

    private static byte[] mac(AesCmac m, AESKey k, byte[] msg, int[] splits) {
        m.init(k);
        int o = 0;
        for (int s : splits) {
            m.update(msg, (short) o, (short) s);
            o += s;
        }
        byte[] out = new byte[20];
        short n = m.sign(msg, (short) o, (short) (msg.length - o), out, (short) 2);
        assertEquals(16, n);
        byte[] tag = new byte[16];
        System.arraycopy(out, 2, tag, 0, 16);
        return tag;
    }

    @Test
    void softwareCmacMatchesRfc4493Examples() {
        AesCmac m = software();
        key.setKey(KEY, (short) 0);
        for (String[] v : RFC4493) {
            int len = Integer.parseInt(v[0]);
            byte[] msg = java.util.Arrays.copyOf(MSG, len);
            assertArrayEquals(HEX.parseHex(v[1]), mac(m, key, msg, new int[0]), "RFC 4493 Mlen=" + len);
            // same message fed one byte at a time through update()
            int[] ones = new int[len];
            java.util.Arrays.fill(ones, 1);
            assertArrayEquals(HEX.parseHex(v[1]), mac(m, key, msg, ones), "RFC 4493 Mlen=" + len + " bytewise");
        }
    }

    @Test
    void jcardsimHasThePlatformCmacSoItIsChosenByDefault() {
        assertFalse(new Crypto().cmac.isSoftware());
        assertFalse(new AesCmac(ecb, true).isSoftware());
    }

    @Test
    void softwareEqualsPlatformOnRandomInputsAndSplits() {
        AesCmac soft = software();
        AesCmac plat = platform();
        assertFalse(plat.isSoftware());
        Random rnd = new Random(4493);
        byte[] k = new byte[16];
        for (int len = 0; len <= 300; len++) {
            for (int round = 0; round < 3; round++) {
                rnd.nextBytes(k);
                key.setKey(k, (short) 0);
                byte[] msg = new byte[len];
                rnd.nextBytes(msg);
                int[] splits = randomSplits(rnd, len);
                byte[] expected = mac(plat, key, msg, splits);
                assertArrayEquals(expected, mac(soft, key, msg, splits), "len " + len + " splits " + java.util.Arrays.toString(splits));
                assertArrayEquals(expected, mac(soft, key, msg, new int[0]), "len " + len + " one call");
            }
        }
    }

    @Test
    void appletCallPatternsMatchThePlatform() {
        AesCmac soft = software();
        AesCmac plat = platform();
        Random rnd = new Random(7);
        byte[] k = new byte[16];
        rnd.nextBytes(k);
        key.setKey(k, (short) 0);
        // C-MAC: SSC(16) || INS P1 P2 (3) || ciphertext (0, 16, 32 ... 240)
        // R-MAC: SSC(16) || ciphertext; receipt: 5F49 41 (3) || point(65) || 5F49 41 (3) || point(65)
        // transaction: 'T' (1) || counter(4) || payload (0..)
        int[][] patterns = {{16, 3}, {16}, {3, 65, 3}, {1}};
        for (int[] head : patterns) {
            int headLen = 0;
            for (int h : head) headLen += h;
            for (int tail = 0; tail <= 240; tail += (head.length == 3 ? 65 : 16)) {
                byte[] msg = new byte[headLen + tail];
                rnd.nextBytes(msg);
                assertArrayEquals(mac(plat, key, msg, head), mac(soft, key, msg, head), "head " + headLen + " tail " + tail);
            }
        }
    }

    @Test
    void signMayWriteTheTagOverItsOwnInput() {
        // TRANSACTION writes the receipt MAC to buf[0] while the input starts at buf[5]
        AesCmac soft = software();
        AesCmac plat = platform();
        key.setKey(KEY, (short) 0);
        byte[] a = new byte[64];
        new Random(3).nextBytes(a);
        byte[] b = a.clone();
        for (AesCmac m : new AesCmac[] {plat, soft}) {
            byte[] buf = m == plat ? a : b;
            m.init(key);
            m.update(new byte[] {0x52}, (short) 0, (short) 1);
            m.sign(buf, (short) 5, (short) 40, buf, (short) 0);
        }
        assertArrayEquals(java.util.Arrays.copyOf(a, 16), java.util.Arrays.copyOf(b, 16));
    }

    @Test
    void reInitAfterAnAbortedMacStartsClean() {
        AesCmac soft = software();
        key.setKey(KEY, (short) 0);
        soft.init(key);
        soft.update(MSG, (short) 0, (short) 23); // aborted half way (e.g. an exception)
        soft.clear();
        assertArrayEquals(HEX.parseHex(RFC4493[2][1]), mac(soft, key, java.util.Arrays.copyOf(MSG, 40), new int[] {7}));
        soft.init(key);
        soft.update(MSG, (short) 0, (short) 23); // aborted without clear(): init() alone must reset
        assertArrayEquals(HEX.parseHex(RFC4493[3][1]), mac(soft, key, MSG, new int[] {16, 16}));
    }

    private static int[] randomSplits(Random rnd, int len) {
        int parts = rnd.nextInt(4);
        int[] s = new int[parts];
        int left = len;
        for (int i = 0; i < parts; i++) {
            s[i] = left == 0 ? 0 : rnd.nextInt(left + 1);
            left -= s[i];
        }
        return s;
    }
}
