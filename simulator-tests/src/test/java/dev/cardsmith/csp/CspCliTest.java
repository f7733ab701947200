package dev.cardsmith.csp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cardsmith.cli.Main;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** {@code cardsmith csp ...} and {@code cardsmith bench csp-sign} in-process on a persistent simulated card. */
class CspCliTest {

    @TempDir Path dir;
    Path sim;

    record Run(int exit, String out, String err) {
        JsonNode json() throws Exception { return new ObjectMapper().readTree(out); }
    }

    @BeforeEach
    void freshCard() {
        sim = dir.resolve("card.sim");
        // PIV: no key use under the default PIN
        assertEquals(0, cli("csp", "pin", "change", "--pin", "123456", "--new-pin", "314159").exit());
    }

    Run cli(String... args) {
        List<String> a = new ArrayList<>(List.of("--sim=" + sim, "--json"));
        a.addAll(List.of(args));
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(a.toArray(new String[0]), new PrintWriter(out), new PrintWriter(err));
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void keygenListSignAcrossInvocations() throws Exception {
        Run k = cli("csp", "keygen", "--alg", "ec", "--slot", "9a", "--self-signed", "CN=Alice", "--pin", "314159");
        assertEquals(0, k.exit(), k.err());
        PublicKey pub = KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(k.json().get("publicKey").asText())));
        assertEquals(0, k.json().get("slot").asInt());

        Run l = cli("csp", "list");
        assertEquals(0, l.exit(), l.err());
        assertEquals("9a", l.json().at("/slots/slot0/alias").asText());
        assertEquals("CN=Alice", l.json().at("/slots/slot0/certificateSubject").asText());
        assertEquals("empty", l.json().at("/slots/slot1/algorithm").asText());
        assertEquals(3, l.json().get("pinTriesLeft").asInt());

        Path data = dir.resolve("doc.txt");
        Files.writeString(data, "sign me");
        Path sigFile = dir.resolve("doc.sig");
        Run s = cli("csp", "sign", "--key", "9a", "--in", data.toString(), "--out", sigFile.toString(), "--sig-alg", "SHA384withECDSA", "--pin", "314159");
        assertEquals(0, s.exit(), s.err());
        Signature v = Signature.getInstance("SHA384withECDSA", "SunEC");
        v.initVerify(pub);
        v.update(Files.readAllBytes(data));
        assertTrue(v.verify(Files.readAllBytes(sigFile)));

        // 9C, "PIN always": the sign command verifies right before the signature
        Run k9c = cli("csp", "keygen", "--alg", "ec", "--slot", "9c", "--pin", "314159");
        assertEquals(0, k9c.exit(), k9c.err());
        Run s9c = cli("csp", "sign", "--key", "9c", "--in", data.toString(), "--pin", "314159");
        assertEquals(0, s9c.exit(), s9c.err());
        assertTrue(s9c.json().get("verified").asBoolean());
    }

    @Test
    void certImportFromATestCa() throws Exception {
        Run k = cli("csp", "keygen", "--alg", "rsa", "--slot", "9d", "--pin", "314159");
        assertEquals(0, k.exit(), k.err());
        PublicKey pub = KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(k.json().get("publicKey").asText())));
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(256);
        KeyPair ca = g.generateKeyPair();
        X509Certificate cert = new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(
                new X500Name("CN=Test CA"), BigInteger.valueOf(7), new Date(), new Date(System.currentTimeMillis() + 86_400_000L),
                new X500Name("CN=Bob, O=cardsmith"), pub).build(new JcaContentSignerBuilder("SHA256withECDSA").build(ca.getPrivate())));
        Path pem = dir.resolve("bob.pem");
        try (JcaPEMWriter w = new JcaPEMWriter(Files.newBufferedWriter(pem))) {
            w.writeObject(cert);
        }
        Run i = cli("csp", "cert-import", "--key", "9d", "--cert", pem.toString(), "--pin", "314159");
        assertEquals(0, i.exit(), i.err());
        assertEquals(cert.getEncoded().length, i.json().get("bytes").asInt());
        assertEquals(cert.getSubjectX500Principal().getName(), cli("csp", "list").json().at("/slots/slot2/certificateSubject").asText());

        // a certificate for another key is refused
        Run k2 = cli("csp", "keygen", "--pin", "314159");
        assertEquals(0, k2.exit(), k2.err());
        Run wrong = cli("csp", "cert-import", "--key", "9a", "--cert", pem.toString(), "--pin", "314159");
        assertEquals(2, wrong.exit(), wrong.err());
        assertTrue(wrong.err().contains("another key"), wrong.err());
        // not a certificate
        Path junk = dir.resolve("junk.pem");
        Files.writeString(junk, "hello");
        assertEquals(2, cli("csp", "cert-import", "--key", "9d", "--cert", junk.toString(), "--pin", "314159").exit());
    }

    @Test
    void pinCommands() throws Exception {
        assertEquals(3, cli("csp", "pin", "status").json().get("pinTriesLeft").asInt());
        Run bad = cli("csp", "pin", "verify", "--pin", "999999");
        assertEquals(3, bad.exit(), "card status word -> exit 3");
        assertTrue(bad.err().contains("63C2"), bad.err());
        assertEquals(2, cli("csp", "pin", "status").json().get("pinTriesLeft").asInt(), "persisted across invocations");
        cli("csp", "pin", "verify", "--pin", "999999");
        Run blocked = cli("csp", "pin", "verify", "--pin", "999999");
        assertTrue(blocked.err().contains("6983"), blocked.err());
        assertTrue(cli("csp", "pin", "status").json().get("blocked").asBoolean());
        assertEquals(0, cli("csp", "pin", "unblock", "--puk", "12345678", "--new-pin", "246802").exit());
        assertEquals(0, cli("csp", "pin", "change", "--pin", "246802", "--new-pin", "135790").exit());
        assertEquals(0, cli("csp", "pin", "verify", "--pin", "135790").exit());
        assertEquals(0, cli("csp", "pin", "change-puk", "--puk", "12345678", "--new-puk", "87654321").exit());
        assertEquals(2, cli("csp", "pin", "change", "--pin", "135790", "--new-pin", "12").exit(), "too short: usage error");
        Run noPin = cli("csp", "keygen", "--slot", "9a");
        if (System.getenv("CARDSMITH_CSP_PIN") == null) assertEquals(2, noPin.exit(), noPin.err());
        assertEquals(3, cli("csp", "keygen", "--slot", "9a", "--pin", "314159").exit(), "old PIN refused");
    }

    @Test
    void deleteAndMissingKey() throws Exception {
        assertEquals(0, cli("csp", "keygen", "--slot", "9e", "--self-signed", "CN=tmp", "--pin", "314159").exit());
        assertEquals("CN=tmp", cli("csp", "list").json().at("/slots/slot3/certificateSubject").asText());
        // PIV has no command that deletes a key: delete empties the slot's certificate object
        assertEquals(0, cli("csp", "delete", "--key", "9e", "--pin", "314159").exit());
        assertTrue(cli("csp", "list").json().at("/slots/slot3/certificateSubject").isMissingNode());
        Run r = cli("csp", "sign", "--key", "9c", "--in", sim.toString(), "--pin", "314159");
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("no key"), r.err());
    }

    @Test
    void benchCspSign() throws Exception {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(new String[] {"--json", "bench", "csp-sign", "--count", "20"}, new PrintWriter(out), new PrintWriter(err));
        assertEquals(0, code, err.toString());
        JsonNode j = new ObjectMapper().readTree(out.toString());
        assertEquals(1.0, j.get("apdusPerSignature").asDouble(), "one APDU per signature after the session is open");
        assertEquals("SHA256withECDSA", j.get("algorithm").asText());
    }
}
