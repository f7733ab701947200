package dev.cardsmith.applet.platform;

import com.licel.jcardsim.base.Simulator;
import com.licel.jcardsim.utils.AIDUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every piece of the platform layer, on card: {@link PlatformTestApplet} in jCardSim. */
class PlatformLayerTest {

    private static final HexFormat HEX = HexFormat.of();
    private static final byte[] AID_BYTES = HEX.parseHex("F043534D54FE01");
    private static final byte[] PARAMS = HEX.parseHex("C10401020304");
    private static final BigInteger P = new BigInteger(1, P256.P);

    private Simulator sim;

    @BeforeEach
    void install() {
        sim = new Simulator();
        byte[] data = installData(AID_BYTES, PARAMS);
        sim.installApplet(AIDUtil.create(AID_BYTES), PlatformTestApplet.class, data, (short) 0, (byte) data.length);
        sim.selectApplet(AIDUtil.create(AID_BYTES));
    }

    @AfterEach
    void reset() {
        sim.resetRuntime();
    }

    static byte[] installData(byte[] aid, byte[] params) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.write(aid.length);
        o.writeBytes(aid);
        o.write(1);
        o.write(0);
        o.write(params.length);
        o.writeBytes(params);
        return o.toByteArray();
    }

    private byte[] send(String hex) {
        return sim.transmitCommand(HEX.parseHex(hex.replace(" ", "")));
    }

    private byte[] send(int cla, int ins, int p1, int p2, byte[] data) {
        byte[] c = new byte[5 + data.length];
        c[0] = (byte) cla; c[1] = (byte) ins; c[2] = (byte) p1; c[3] = (byte) p2; c[4] = (byte) data.length;
        System.arraycopy(data, 0, c, 5, data.length);
        return sim.transmitCommand(c);
    }

    private static int sw(byte[] r) {
        return ((r[r.length - 2] & 0xFF) << 8) | (r[r.length - 1] & 0xFF);
    }

    private static byte[] body(byte[] r) {
        return Arrays.copyOf(r, r.length - 2);
    }

    private static byte[] ok(byte[] r) {
        assertEquals(0x9000, sw(r), () -> String.format("SW %04X", sw(r)));
        return body(r);
    }

    // ---- install parameters ------------------------------------------------------------------

    @Test
    void installParametersAreTheC9Value() {
        assertArrayEquals(PARAMS, ok(send("00 24 00 00 00")));
    }

    @Test
    void installDataRunningPastItsLengthIsRefused() {
        Simulator s = new Simulator();
        byte[] data = installData(AID_BYTES, PARAMS);
        data[data.length - PARAMS.length - 1] = (byte) (PARAMS.length + 5); // params length past the end
        assertThrows(RuntimeException.class,
                () -> s.installApplet(AIDUtil.create(AID_BYTES), PlatformTestApplet.class, data, (short) 0, (byte) data.length));
    }

    // ---- dispatch table and exception policy ---------------------------------------------------

    @Test
    void dispatchTableRefusesPerState() {
        assertEquals(0x6D00, sw(send("00 7E 00 00")));
        assertEquals(0x6985, sw(send("00 20 00 00")));
        assertEquals(0x6986, sw(send("00 22 00 00")));
        ok(send("00 1E 01 00"));
        ok(send("00 20 00 00"));
        assertEquals(0x6986, sw(send("00 22 00 00")));
        ok(send("00 1E 02 00"));
        assertEquals(0x6985, sw(send("00 20 00 00")));
        ok(send("00 22 00 00"));
    }

    @Test
    void unexpectedExceptionsGetOneStatusWordRefusalsKeepTheirs() {
        assertEquals(Sw.UNEXPECTED, (short) sw(send("00 1C 01 00"))); // NullPointerException
        assertEquals(Sw.UNEXPECTED, (short) sw(send("00 1C 02 00"))); // ArrayIndexOutOfBounds
        assertEquals(Sw.UNEXPECTED, (short) sw(send("00 1C 03 00"))); // CryptoException
        assertEquals(Sw.UNEXPECTED, (short) sw(send("00 1C 06 00"))); // 6F00 is never answered
        assertEquals(0x6A88, sw(send("00 1C 04 00")));
        assertEquals(0x6F01, Sw.UNEXPECTED & 0xFFFF);
    }

    @Test
    void policyAbortsAnOpenTransaction() {
        assertEquals(0x6985, sw(send("00 1C 05 00"))); // opens a transaction, then refuses
        // had the transaction stayed open, beginTransaction would throw TransactionException.IN_PROGRESS (6F01)
        assertEquals(0x6985, sw(send("00 1C 05 00")));
    }

    // ---- APDU I/O --------------------------------------------------------------------------------

    @Test
    void shortCommandEchoes() {
        assertArrayEquals(HEX.parseHex("0102030405"), ok(send("00 10 00 00 05 0102030405")));
    }

    @Test
    void inboundChainingIsStagedAndJoined() {
        byte[] a = new byte[200], b = new byte[200], c = new byte[50];
        new Random(1).nextBytes(a); new Random(2).nextBytes(b); new Random(3).nextBytes(c);
        assertEquals(0x9000, sw(send(0x10, 0x10, 0, 0, a)));
        assertEquals(0x9000, sw(send(0x10, 0x10, 0, 0, b)));
        byte[] r = send(0x00, 0x10, 0, 0, c);
        // 450 bytes: 256 now, 194 by GET RESPONSE
        assertEquals(0x61C2, sw(r));
        byte[] rest = send("00 C0 00 00 00");
        assertEquals(0x9000, sw(rest));
        byte[] all = concat(body(r), body(rest));
        assertArrayEquals(concat(concat(a, b), c), all);
        assertEquals(0x6985, sw(send("00 C0 00 00 00"))); // nothing pending any more
    }

    @Test
    void anotherCommandEndsTheChain() {
        assertEquals(0x9000, sw(send(0x10, 0x10, 0, 0, new byte[] {1, 2, 3})));
        ok(send("00 1E 00 00")); // interrupts the chain
        assertArrayEquals(new byte[] {9}, ok(send(0x00, 0x10, 0, 0, new byte[] {9})));
    }

    @Test
    void chainingOnlyWhereTheTableAllowsIt() {
        byte[] d = new byte[20];
        assertEquals(0x6884, sw(send(0x10, 0x12, 0, 0, d)));
        assertEquals(0x6884, sw(send(0x10, 0x1C, 0x04, 0, new byte[0])));
    }

    @Test
    void chainLongerThanItsMaximumIsRefused() {
        byte[] d = new byte[250];
        assertEquals(0x9000, sw(send(0x10, 0x10, 0, 0, d)));
        assertEquals(0x9000, sw(send(0x10, 0x10, 0, 0, d)));
        assertEquals(0x6700, sw(send(0x10, 0x10, 0, 0, d))); // 750 > 600 staged bytes
        assertArrayEquals(new byte[] {7}, ok(send(0x00, 0x10, 0, 0, new byte[] {7}))); // a fresh command again
    }

    @Test
    void extendedLengthCommandIsStreamedIntoStaging() {
        byte[] d = new byte[500];
        new Random(4).nextBytes(d);
        byte[] c = new byte[7 + d.length + 2];
        c[1] = 0x10; c[4] = 0; c[5] = (byte) (d.length >> 8); c[6] = (byte) d.length;
        System.arraycopy(d, 0, c, 7, d.length); // Le = 0000: up to 65536
        byte[] r = sim.transmitCommand(c);
        assertEquals(0x9000, sw(r));
        assertArrayEquals(d, body(r));
    }

    @Test
    void extendedLengthCommandToAShortRowIsReceivedInTheApduBuffer() {
        // jCardSim's extended APDU buffer has 32777 bytes: more than a short holds, so the free
        // room in it must be computed without overflow (it was: every such command got 6700)
        byte[] c = HEX.parseHex("00180000" + "000003" + "010203" + "0000");
        assertEquals("01020380000000000000000000000000", HEX.formatHex(ok(sim.transmitCommand(c))));
        assertEquals(0x6700, sw(sim.transmitCommand(HEX.parseHex("00180000" + "0000C9" + "00".repeat(201) + "0000"))),
                "the row's maximum (200) still holds for an extended command");
    }

    @Test
    void responseLongerThanLeComesInPieces() {
        byte[] d = new byte[40];
        new Random(5).nextBytes(d);
        byte[] c = concat(HEX.parseHex("00100000"), concat(new byte[] {40}, concat(d, new byte[] {16})));
        byte[] r = sim.transmitCommand(c);
        assertEquals(0x6118, sw(r));
        assertArrayEquals(Arrays.copyOf(d, 16), body(r));
        byte[] r2 = send("00 C0 00 00 10");
        assertEquals(0x6108, sw(r2));
        byte[] r3 = send("00 C0 00 00 00");
        assertEquals(0x9000, sw(r3));
        assertArrayEquals(d, concat(body(r), concat(body(r2), body(r3))));
    }

    @Test
    void anyOtherCommandDropsAPendingResponse() {
        byte[] c = concat(HEX.parseHex("00100000"), concat(new byte[] {40}, concat(new byte[40], new byte[] {16})));
        assertEquals(0x6118, sw(sim.transmitCommand(c)));
        ok(send("00 1E 00 00"));
        assertEquals(0x6985, sw(send("00 C0 00 00 00")));
    }

    @Test
    void caseTwoCommandUnderT0IsNotReceived() {
        sim.changeProtocol("T=0");
        sim.selectApplet(AIDUtil.create(AID_BYTES));
        assertArrayEquals(PARAMS, ok(send("00 24 00 00 06")));
        assertEquals(0x6A88, sw(send("00 1C 04 00 00")));
    }

    @Test
    void caseOneCommandWithDataIsRefused() {
        sim.changeProtocol("T=1");
        sim.selectApplet(AIDUtil.create(AID_BYTES));
        assertArrayEquals(PARAMS, ok(send("00 24 00 00 00")));
        assertEquals(0x6700, sw(send("00 1E 01 00 02 0102")));
    }

    // ---- AES-CMAC ----------------------------------------------------------------------------------

    private static final String K128 = "2b7e151628aed2a6abf7158809cf4f3c";
    private static final String M64 = "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
            + "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";

    /** RFC 4493 section 4 (AES-128) and NIST SP 800-38B D.3 (AES-256). */
    private static final String[][] VECTORS = {
        {K128, "", "bb1d6929e95937287fa37d129b756746"},
        {K128, M64.substring(0, 32), "070a16b46b4d4144f79bdd9dd04a287c"},
        {K128, M64.substring(0, 80), "dfa66747de9ae63030ca32611497c827"},
        {K128, M64, "51f0bebf7e3b9d92fc49741779363cfe"},
        {"603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4", "", "028962f61b7bf89efc6b551f4667d983"},
        {"603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4", M64, "e1992190549f6ed5696a2c056c315410"},
    };

    @Test
    void cmacPassesRfc4493OnBothPaths() {
        assertArrayEquals(new byte[] {1}, ok(send("00 26 00 00 00")), "jCardSim has ALG_AES_CMAC_128: the platform path runs");
        for (int path = 0; path <= 1; path++) {
            for (String[] v : VECTORS) {
                byte[] key = HEX.parseHex(v[0]);
                byte[] r = send(0x00, 0x12, path, key.length, concat(key, HEX.parseHex(v[1])));
                assertEquals(v[2], HEX.formatHex(ok(r)), "path " + path + " key " + v[0] + " msg " + v[1].length() / 2);
            }
        }
    }

    @Test
    void bothCmacPathsAgreeOnEveryLength() {
        Random rnd = new Random(6);
        for (int len = 0; len <= 70; len++) {
            byte[] key = new byte[16];
            byte[] m = new byte[len];
            rnd.nextBytes(key);
            rnd.nextBytes(m);
            byte[] a = ok(send(0x00, 0x12, 0, 16, concat(key, m)));
            byte[] b = ok(send(0x00, 0x12, 1, 16, concat(key, m)));
            assertArrayEquals(a, b, "length " + len);
        }
    }

    // ---- P-256 point check -------------------------------------------------------------------------

    private int onCurve(byte[] point) {
        return sw(send(0x00, 0x14, 0, 0, point));
    }

    private static byte[] point(BigInteger x, BigInteger y) {
        byte[] pt = new byte[65];
        pt[0] = 4;
        byte[] xb = x.toByteArray(), yb = y.toByteArray();
        System.arraycopy(xb, Math.max(0, xb.length - 32), pt, 1 + 32 - Math.min(32, xb.length), Math.min(32, xb.length));
        System.arraycopy(yb, Math.max(0, yb.length - 32), pt, 33 + 32 - Math.min(32, yb.length), Math.min(32, yb.length));
        return pt;
    }

    @Test
    void validPointsAreAccepted() throws Exception {
        assertEquals(0x9000, onCurve(P256.G));
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        for (int i = 0; i < 4; i++) {
            ECPublicKey k = (ECPublicKey) g.generateKeyPair().getPublic();
            BigInteger x = k.getW().getAffineX(), y = k.getW().getAffineY();
            assertEquals(0x9000, onCurve(point(x, y)));
            assertEquals(0x9000, onCurve(point(x, P.subtract(y)))); // the negated point
        }
    }

    @Test
    void invalidPointsAreRefused() {
        BigInteger gx = new BigInteger(1, Arrays.copyOfRange(P256.G, 1, 33));
        BigInteger gy = new BigInteger(1, Arrays.copyOfRange(P256.G, 33, 65));
        assertEquals(0x6A80, onCurve(point(BigInteger.ONE, BigInteger.ONE)));
        assertEquals(0x6A80, onCurve(point(gx, gy.add(BigInteger.ONE))));
        assertEquals(0x6A80, onCurve(point(gx.subtract(BigInteger.ONE), gy)));
        assertEquals(0x6A80, onCurve(point(gx.add(P), gy)), "x + p: the same residue, but not below p");
        assertEquals(0x6A80, onCurve(point(BigInteger.ZERO, BigInteger.ZERO)));
        assertEquals(0x6A80, onCurve(new byte[] {0}), "the point at infinity");
        assertEquals(0x6A80, onCurve(Arrays.copyOf(P256.G, 64)));
        assertEquals(0x6A80, onCurve(Arrays.copyOf(P256.G, 66)));
        byte[] compressed = P256.G.clone();
        compressed[0] = 0x03;
        assertEquals(0x6A80, onCurve(compressed));
        assertEquals(0x6A80, onCurve(point(P, BigInteger.ONE)));
    }

    @Test
    void coordinateAtOrAbovePIsRefusedEvenWhenItsResidueIsOnTheCurve() {
        // the smallest x with a point on the curve; x + p is the same residue but not a field element
        BigInteger b = new BigInteger(1, P256.B);
        for (int i = 0; i < 100; i++) {
            BigInteger x = BigInteger.valueOf(i);
            BigInteger rhs = x.pow(3).subtract(x.multiply(BigInteger.valueOf(3))).add(b).mod(P);
            BigInteger y = rhs.modPow(P.add(BigInteger.ONE).shiftRight(2), P);
            if (!y.multiply(y).mod(P).equals(rhs)) continue;
            assertEquals(0x9000, onCurve(point(x, y)), "x = " + i);
            assertEquals(0x6A80, onCurve(point(x.add(P), y)), "x = " + i + " + p");
            assertEquals(0x6A80, onCurve(point(x, y.add(P).mod(BigInteger.TWO.pow(256)))), "y + p");
            return;
        }
        throw new AssertionError("no small x on the curve");
    }

    // ---- TLV -----------------------------------------------------------------------------------------

    private int tlvSw(String hex) {
        return sw(send(0x00, 0x16, 0, 0, HEX.parseHex(hex.replace(" ", ""))));
    }

    @Test
    void nestedTlvsAreWalked() {
        byte[] r = ok(send(0x00, 0x16, 0, 0, HEX.parseHex("70 07 80 01 AA A1 02 81 00 5F20 02 0102 C1 81 01 FF".replace(" ", ""))));
        assertEquals("00700007" + "00800001" + "00a10002" + "00810000" + "5f200002" + "00c10001", HEX.formatHex(r));
    }

    @Test
    void malformedTlvsAreRefused() {
        assertEquals(0x6A80, tlvSw("70 03 80 05 01 02 03 04 05"), "child length runs past its parent");
        assertEquals(0x6A80, tlvSw("70 04 80 01 AA"), "parent runs past the data");
        assertEquals(0x6A80, tlvSw("80 80 00 00"), "indefinite length");
        assertEquals(0x6A80, tlvSw("80 83 00 00 01 AA"), "three length bytes");
        assertEquals(0x6A80, tlvSw("5F"), "tag cut off");
        assertEquals(0x6A80, tlvSw("5F 20"), "length missing");
        assertEquals(0x6A80, tlvSw("80 82 00"), "long length cut off");
        assertEquals(0x6A80, tlvSw("5F 81 20 00"), "three-byte tag");
        assertEquals(0x6A80, tlvSw("70 02 A1 02 81 00"), "grandchild past its parent");
        assertEquals(0x6A80, tlvSw("80 82 80 00"), "negative length");
        assertEquals(0x6A80, tlvSw("70 06 71 04 72 02 73 00"), "nested deeper than the reader allows");
    }

    @Test
    void longFormLengthsAreRead() {
        byte[] v = new byte[130];
        byte[] r = ok(send(0x00, 0x16, 0, 0, concat(HEX.parseHex("C08182"), v)));
        assertEquals("00c00082", HEX.formatHex(r));
        assertEquals(0x9000, tlvSw("C0 82 00 01 AA"));
    }

    // ---- padding and compare -------------------------------------------------------------------------

    @Test
    void iso9797Method2Padding() {
        assertEquals("80000000000000000000000000000000", HEX.formatHex(ok(send("00 18 00 00 00"))));
        assertEquals("01020380000000000000000000000000", HEX.formatHex(ok(send("00 18 00 00 03 010203"))));
        byte[] sixteen = new byte[16];
        byte[] padded = ok(send(0x00, 0x18, 0, 0, sixteen));
        assertEquals(32, padded.length);
        assertEquals((byte) 0x80, padded[16]);
        assertArrayEquals(sixteen, ok(send(0x00, 0x18, 1, 0, padded)));
        assertEquals("010203", HEX.formatHex(ok(send("00 18 01 00 10 01020380000000000000000000000000"))));
    }

    @Test
    void badPaddingIsRefused() {
        assertEquals(0x6A80, sw(send("00 18 01 00 10 00000000000000000000000000000000")));
        assertEquals(0x6A80, sw(send("00 18 01 00 10 01020381000000000000000000000000")));
        // 80 before the last block: more than one block of zeros is not padding
        byte[] b = new byte[32];
        b[0] = (byte) 0x80;
        assertEquals(0x6A80, sw(send(0x00, 0x18, 1, 0, b)));
        assertEquals(0x6A80, sw(send("00 18 01 00 00")));
    }

    @Test
    void constantTimeCompare() {
        assertArrayEquals(new byte[] {1}, ok(send("00 1A 00 00 06 010203 010203")));
        assertArrayEquals(new byte[] {0}, ok(send("00 1A 00 00 06 010203 000203")));
        assertArrayEquals(new byte[] {0}, ok(send("00 1A 00 00 06 010203 010204")));
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    // ---- robustness (what AllAppletsRobustnessTest asks of every registered applet) -------------

    @Test
    void malformedCommandsGetIsoStatusWordsAndNever6F00() {
        Random rnd = new Random(0xC0FFEE);
        int[] classes = {0x00, 0x80, 0x84, 0x90, 0x0C, 0xFF, 0x10, 0xE0};
        for (int i = 0; i < 3000; i++) {
            int ins = 0x10 + 2 * rnd.nextInt(12); // the test applet's INS, THROW excluded below
            if (ins == 0x1C) continue;
            int len = rnd.nextInt(4) == 0 ? 0 : rnd.nextInt(rnd.nextBoolean() ? 16 : 255) + 1;
            byte[] body = new byte[len];
            rnd.nextBytes(body);
            if (len > 2 && rnd.nextBoolean()) { body[0] = (byte) (0x80 + rnd.nextInt(0x40)); body[1] = (byte) rnd.nextInt(256); }
            byte[] r = send(classes[rnd.nextInt(classes.length)], ins, rnd.nextInt(256), rnd.nextInt(256), body);
            int sw = sw(r);
            int sw1 = sw >> 8;
            String what = String.format("INS %02X Lc=%d -> %04X", ins, len, sw);
            assertTrue(sw != 0x6F00 && sw != (Sw.UNEXPECTED & 0xFFFF), what + ": an uncaught / unexpected exception");
            assertTrue(sw == 0x9000 || (sw1 >= 0x61 && sw1 <= 0x6F) || sw1 == 0x63, what + " outside ISO 7816-4");
            if (i % 200 == 0) sim.selectApplet(AIDUtil.create(AID_BYTES));
        }
    }
}
