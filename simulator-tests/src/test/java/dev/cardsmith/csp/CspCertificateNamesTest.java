package dev.cardsmith.csp;

import dev.cardsmith.support.CardTest;
import dev.cardsmith.support.CardUnderTest;
import dev.cardsmith.transport.CardSession;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.FileInputStream;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Attack on the certificates the card's keys get: a distinguished name encoded in the reverse
 * order of what the user wrote names another subject to every relying party that compares
 * encoded names (TLS client-certificate mapping, certificate pinning, chain building by issuer
 * name: "O=Interop Test, CN=Jar Signer" is not "CN=Jar Signer, O=Interop Test"), and a
 * certificate without a Subject Key Identifier cannot be matched to its key by tools that look
 * keys up by identifier (PKCS#11 CKA_ID, Windows, chain builders). The reference is what keytool,
 * the JDK's own certificate tool, encodes for the same -dname.
 */
@CardTest
class CspCertificateNamesTest {

    static final char[] PIN = "314159".toCharArray();
    static final String DN = "CN=Jar Signer,O=Interop Test,C=DE";

    CardSession session;
    CardsmithProvider provider;

    @BeforeEach
    void install() {
        session = new CardSession(CardUnderTest.fresh());
        new PivCard(session).changePin("123456".toCharArray(), PIN);
        provider = new CardsmithProvider(session);
        provider.login(PIN);
        provider.authenticateManagement(CardsmithProvider.factoryManagementKey());
    }

    @AfterEach
    void close() {
        provider.close();
        session.close();
    }

    private X509Certificate selfSigned(String alg) throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance(alg, provider);
        g.initialize(new CardKeyGenParameterSpec(alg.equals("EC") ? 0 : 3, null)); // 9A, 9E
        CardPrivateKey k = (CardPrivateKey) g.generateKeyPair().getPrivate();
        return CardCertificates.selfSigned(provider, k, DN, Duration.ofDays(1));
    }

    @Test
    void selfSignedDnIsNotReversed(@TempDir Path dir) throws Exception {
        X509Certificate cert = selfSigned("EC");
        assertEquals(DN, cert.getSubjectX500Principal().getName(), "the subject reads as written");
        assertEquals(DN, cert.getIssuerX500Principal().getName());

        // keytool's encoding of the same -dname, byte for byte
        Path ks = dir.resolve("ref.p12");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-keystore", ks.toString(), "-storetype", "PKCS12", "-storepass", "changeit",
                "-alias", "ref", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", DN)
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue());
        KeyStore ref = KeyStore.getInstance("PKCS12");
        try (FileInputStream in = new FileInputStream(ks.toFile())) {
            ref.load(in, "changeit".toCharArray());
        }
        X509Certificate keytool = (X509Certificate) ref.getCertificate("ref");
        assertArrayEquals(keytool.getSubjectX500Principal().getEncoded(), cert.getSubjectX500Principal().getEncoded(),
                "same DER subject as keytool -dname '" + DN + "'");
    }

    @Test
    void certificateCarriesSubjectKeyIdentifier() throws Exception {
        for (String alg : List.of("EC", "RSA")) {
            X509Certificate cert = selfSigned(alg);
            byte[] ext = cert.getExtensionValue("2.5.29.14");
            assertNotNull(ext, alg + ": no Subject Key Identifier");
            byte[] ski = ASN1OctetString.getInstance(ASN1OctetString.getInstance(ext).getOctets()).getOctets();
            byte[] expected = new JcaX509ExtensionUtils().createSubjectKeyIdentifier(cert.getPublicKey()).getKeyIdentifier();
            assertArrayEquals(expected, ski, alg + ": SKI is the SHA-1 of the public key bits (RFC 5280 4.2.1.2 method 1)");
            byte[] aki = cert.getExtensionValue("2.5.29.35");
            assertNotNull(aki, alg + ": a self-signed certificate names its own key as the authority key");
            assertArrayEquals(expected, AuthorityKeyIdentifier.getInstance(ASN1OctetString.getInstance(aki).getOctets()).getKeyIdentifier());
        }
    }
}
