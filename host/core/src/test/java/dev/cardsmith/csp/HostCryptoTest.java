package dev.cardsmith.csp;

import dev.cardsmith.crypto.EcP256;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.interfaces.ECPublicKey;
import java.util.HexFormat;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.*;

/** The host's part of the split (claims 24, 42, 47-48), without a card. */
class HostCryptoTest {

    private static final HexFormat HEX = HexFormat.of();

    @Test
    void claim24_digestInfoMatchesRfc8017KnownAnswers() throws Exception {
        Properties v = new Properties();
        try (InputStream in = getClass().getResourceAsStream("/csp/rfc8017-digestinfo.properties")) {
            v.load(in);
        }
        for (String alg : new String[] {"SHA-1", "SHA-224", "SHA-256", "SHA-384", "SHA-512"}) {
            byte[] h = MessageDigest.getInstance(alg).digest("abc".getBytes(StandardCharsets.US_ASCII));
            assertEquals(v.getProperty(alg + ".abc"), HEX.formatHex(h), alg + " FIPS 180-2 vector");
            assertEquals(v.getProperty(alg + ".prefix") + v.getProperty(alg + ".abc"), HEX.formatHex(HostCrypto.digestInfo(alg, h)), alg);
        }
        assertThrows(IllegalArgumentException.class, () -> HostCrypto.digestInfo("MD5", new byte[16]));
    }

    @Test
    void ecdsaHashIsFittedToTheCurveOrder() {
        byte[] h48 = new byte[48];
        for (int i = 0; i < 48; i++) h48[i] = (byte) i;
        byte[] f = HostCrypto.fitEcdsaHash(h48);
        assertEquals(32, f.length);
        assertEquals(HEX.formatHex(h48, 0, 32), HEX.formatHex(f), "leftmost 256 bits (FIPS 186-4 6.4)");
        byte[] h20 = new byte[20];
        h20[0] = 7;
        byte[] g = HostCrypto.fitEcdsaHash(h20);
        assertEquals(new BigInteger(1, h20), new BigInteger(1, g), "shorter input keeps its integer value");

        byte[] h64 = new byte[64];
        for (int i = 0; i < 64; i++) h64[i] = (byte) (i + 1);
        assertEquals(HEX.formatHex(h64, 0, 48), HEX.formatHex(HostCrypto.fitEcdsaHash(h64, 48)), "P-384: leftmost 384 bits of SHA-512");
        byte[] h32 = java.util.Arrays.copyOf(h64, 32);
        byte[] p384 = HostCrypto.fitEcdsaHash(h32, 48);
        assertEquals(48, p384.length);
        assertEquals(new BigInteger(1, h32), new BigInteger(1, p384), "P-384: SHA-256 keeps its integer value");
    }

    @Test
    void p384PointsRoundTripAndOffCurvePointsAreRefused() throws Exception {
        KeyPairGenerator kg = KeyPairGenerator.getInstance("EC");
        kg.initialize(new java.security.spec.ECGenParameterSpec("secp384r1"));
        ECPublicKey pub = (ECPublicKey) kg.generateKeyPair().getPublic();
        byte[] p = EcPoints.encode(pub);
        assertEquals(97, p.length);
        assertEquals(KeyAlgorithm.EC_P384, EcPoints.curveOf(p));
        assertEquals(pub.getW(), EcPoints.decode(p).getW());
        assertEquals(KeyAlgorithm.EC_P384, KeyAlgorithm.ofCurve(EcPoints.decode(p).getParams()));
        byte[] off = p.clone();
        off[60] ^= 1;
        assertThrows(IllegalArgumentException.class, () -> EcPoints.decode(off), "off-curve P-384 point");
        assertThrows(IllegalArgumentException.class, () -> EcPoints.check(p, KeyAlgorithm.EC_P256), "a P-384 point is no P-256 point");
        assertThrows(IllegalArgumentException.class, () -> EcPoints.decode(new byte[80]), "neither curve's length");
        byte[] p256 = EcPoints.encode((ECPublicKey) EcP256.generate().getPublic());
        assertEquals(65, p256.length);
        assertEquals(KeyAlgorithm.EC_P256, KeyAlgorithm.ofCurve(EcPoints.decode(p256).getParams()));
        assertEquals(KeyAlgorithm.EC_P384, KeyAlgorithm.parse("p384"));
        assertEquals(KeyAlgorithm.EC_P384, KeyAlgorithm.ofCurveName("secp384r1"));
        assertNull(KeyAlgorithm.ofCurveName("secp521r1"));
        assertThrows(IllegalArgumentException.class, () -> KeyAlgorithm.parse("p521"));
    }

    @Test
    void uncompressedPointAndCurveCheck() throws Exception {
        KeyPairGenerator kg = KeyPairGenerator.getInstance("EC");
        kg.initialize(256);
        ECPublicKey pub = (ECPublicKey) kg.generateKeyPair().getPublic();
        byte[] p = EcP256.encode(pub);
        assertEquals(65, p.length);
        assertEquals(4, p[0]);
        HostCrypto.checkOnCurve(p);
        assertEquals(pub.getW(), EcP256.decode(p).getW());
        p[40] ^= 1;
        assertThrows(InvalidKeyException.class, () -> HostCrypto.checkOnCurve(p));
        assertThrows(InvalidKeyException.class, () -> HostCrypto.checkOnCurve(new byte[65]));
    }

    @Test
    void algorithmTableDecidesPerRequest() {
        AlgorithmTable.Entry sig = AlgorithmTable.ENTRIES.get(0);
        assertEquals("SHA256withECDSA", sig.algorithm());
        assertEquals(AlgorithmTable.Worker.HOST, AlgorithmTable.decide(sig, null));
        assertTrue(AlgorithmTable.markdown().contains("| Signature | SHA384withECDSA |"));
        assertTrue(AlgorithmTable.markdown().contains("| Cipher | RSA/ECB/PKCS1Padding |"));
    }

    @Test
    void docsCarryTheCurrentAlgorithmTable() throws Exception {
        String doc = java.nio.file.Files.readString(java.nio.file.Path.of("..", "..", "docs", "csp.md"));
        assertTrue(doc.contains(AlgorithmTable.markdown().trim()), "docs/csp.md section 2 must be AlgorithmTable.markdown()");
    }
}
