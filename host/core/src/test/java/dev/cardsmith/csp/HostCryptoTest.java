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
