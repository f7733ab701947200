package dev.cardsmith.csp;

import dev.cardsmith.cli.Main;
import dev.cardsmith.support.CardTest;
import dev.cardsmith.support.CardUnderTest;
import dev.cardsmith.transport.CardSession;
import dev.cardsmith.transport.CardStatusException;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.crypto.KeyAgreement;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import java.security.InvalidParameterException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * P-384 keys (PIV algorithm 14) through the host: the provider's KeyPairGenerator and
 * {@code csp keygen --alg p384} make them on the card, SHA384withECDSA (and SHA256withECDSA,
 * the hash left-padded to 48 bytes) signs with them, and the JDK and openssl verify.
 */
@CardTest
class CspP384Test {

    static final char[] PIN = "314159".toCharArray();

    @TempDir Path dir;
    CardSession session;
    CardsmithProvider provider;

    @BeforeEach
    void card() {
        session = new CardSession(CardUnderTest.fresh());
        new PivCard(session).changePin("123456".toCharArray(), PIN);
        provider = new CardsmithProvider(session);
        provider.login(PIN);
    }

    @AfterEach
    void close() {
        provider.close();
        session.close();
    }

    private KeyPair generateP384(int slot) throws Exception {
        provider.authenticateManagement(CardsmithProvider.factoryManagementKey());
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC", provider);
        g.initialize(new ECGenParameterSpec("secp384r1"));
        g.initialize(new CardKeyGenParameterSpec(slot, null));
        return g.generateKeyPair();
    }

    @Test
    void p384KeySignsAndTheJdkAndOpensslVerify() throws Exception {
        KeyPair kp = generateP384(PivSlot.AUTHENTICATION.index());
        ECPublicKey pub = (ECPublicKey) kp.getPublic();
        assertEquals(384, pub.getParams().getOrder().bitLength());
        CardPrivateKey.Ec k = (CardPrivateKey.Ec) kp.getPrivate();
        assertEquals(KeyAlgorithm.EC_P384, k.curve());
        assertEquals(KeyAlgorithm.EC_P384, provider.card().slot("9a").algorithm(), "GET METADATA reports algorithm 14");

        byte[] data = "signed on the card with P-384".getBytes(StandardCharsets.UTF_8);
        for (String alg : new String[] {"SHA384withECDSA", "SHA256withECDSA", "SHA512withECDSA"}) {
            Signature s = Signature.getInstance(alg, provider);
            s.initSign(k);
            s.update(data);
            byte[] sig = s.sign();
            Signature v = Signature.getInstance(alg, "SunEC");
            v.initVerify(pub);
            v.update(data);
            assertTrue(v.verify(sig), alg + " verifies with the JDK");
            v.initVerify(pub);
            v.update("another message".getBytes(StandardCharsets.UTF_8));
            assertFalse(v.verify(sig), alg + " does not verify another message");
        }

        // the KeyStore hands out the same key after a fresh load
        KeyStore ks = KeyStore.getInstance(CardsmithProvider.KEYSTORE_TYPE, provider);
        ks.load(null, PIN);
        assertEquals(KeyAlgorithm.EC_P384, ((CardPrivateKey.Ec) ks.getKey("9a", null)).curve());

        Signature s = Signature.getInstance("SHA384withECDSA", provider);
        s.initSign(k);
        s.update(data);
        assertOpensslVerifies(pub, "-sha384", data, s.sign());
    }

    @Test
    void p384KeyRefusesAP256SizedHashAndEcdh() throws Exception {
        KeyPair kp = generateP384(PivSlot.AUTHENTICATION.index());
        // GENERAL AUTHENTICATE with algorithm 11 (P-256) for a P-384 slot: the card checks the algorithm
        CardStatusException e = assertThrows(CardStatusException.class,
                () -> provider.card().signEcdsa(PivSlot.AUTHENTICATION.index(), new byte[32]));
        assertNotEquals(0x9000, e.sw());
        assertThrows(IllegalArgumentException.class, () -> provider.card().signEcdsa(PivSlot.AUTHENTICATION.index(), new byte[40]));
        // the card validates ECDH points on P-256 only, so a P-384 key agrees nothing
        KeyAgreement ka = KeyAgreement.getInstance("ECDH", provider);
        assertThrows(InvalidKeyException.class, () -> ka.init(kp.getPrivate()));
    }

    @Test
    void keyPairGeneratorRefusesOtherCurvesAndSizes() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC", provider);
        assertThrows(InvalidParameterException.class, () -> g.initialize(521));
        assertThrows(InvalidAlgorithmParameterException.class, () -> g.initialize(new ECGenParameterSpec("secp521r1")));
        g.initialize(384);
        g.initialize(256); // back to P-256: the last size given counts
        provider.authenticateManagement(CardsmithProvider.factoryManagementKey());
        g.initialize(new CardKeyGenParameterSpec(PivSlot.SIGNATURE.index(), null));
        assertEquals(256, ((ECPublicKey) g.generateKeyPair().getPublic()).getParams().getOrder().bitLength());
    }

    @Test
    void cliGeneratesAndSignsWithP384() throws Exception {
        provider.close(); // the CLI opens the card itself
        session.close();
        Path sim = dir.resolve("card.sim");
        assertEquals(0, cli(sim, "csp", "pin", "change", "--pin", "123456", "--new-pin", "314159").exit());
        Run k = cli(sim, "csp", "keygen", "--alg", "p384", "--slot", "9e", "--self-signed", "CN=P-384 test", "--pin", "314159");
        assertEquals(0, k.exit(), k.err());
        assertTrue(k.out().contains("\"curve\" : \"secp384r1\"") || k.out().contains("\"curve\":\"secp384r1\""), k.out());
        String b64 = k.out().replaceAll("(?s).*\"publicKey\"\\s*:\\s*\"([^\"]+)\".*", "$1");
        PublicKey pub = KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(b64)));
        assertEquals(384, ((ECPublicKey) pub).getParams().getOrder().bitLength());

        Path data = dir.resolve("doc.txt");
        Files.writeString(data, "sign me with P-384");
        Path sig = dir.resolve("doc.sig");
        Run s = cli(sim, "csp", "sign", "--key", "9e", "--in", data.toString(), "--out", sig.toString(), "--pin", "314159");
        assertEquals(0, s.exit(), s.err());
        assertTrue(s.out().contains("SHA384withECDSA"), "a P-384 key signs with SHA-384 by default: " + s.out());
        Signature v = Signature.getInstance("SHA384withECDSA", "SunEC");
        v.initVerify(pub);
        v.update(Files.readAllBytes(data));
        assertTrue(v.verify(Files.readAllBytes(sig)));
        assertOpensslVerifies(pub, "-sha384", Files.readAllBytes(data), Files.readAllBytes(sig));

        assertEquals(2, cli(sim, "csp", "keygen", "--alg", "p521", "--slot", "9a", "--pin", "314159").exit(), "unknown curve: usage error");
    }

    record Run(int exit, String out, String err) {}

    static Run cli(Path sim, String... args) {
        String[] a = new String[args.length + 2];
        a[0] = "--sim=" + sim;
        a[1] = "--json";
        System.arraycopy(args, 0, a, 2, args.length);
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(a, new PrintWriter(out), new PrintWriter(err));
        return new Run(code, out.toString(), err.toString());
    }

    /** openssl dgst -verify with the public key as PEM; skipped where openssl is not installed. */
    void assertOpensslVerifies(PublicKey pub, String digest, byte[] data, byte[] derSignature) throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/openssl")), "openssl not installed");
        Path pem = dir.resolve("pub.pem"), in = dir.resolve("data.bin"), sig = dir.resolve("sig.der");
        try (JcaPEMWriter w = new JcaPEMWriter(Files.newBufferedWriter(pem))) {
            w.writeObject(pub);
        }
        Files.write(in, data);
        Files.write(sig, derSignature);
        Process p = new ProcessBuilder("/usr/bin/openssl", "dgst", digest, "-verify", pem.toString(), "-signature", sig.toString(), in.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("Verified OK"), out);
    }
}
