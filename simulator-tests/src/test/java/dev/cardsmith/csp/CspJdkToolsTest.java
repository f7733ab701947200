package dev.cardsmith.csp;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.Security;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The JDK's own tools with the card (issue 6): keytool -list, jarsigner sign + verify, and a
 * JSSE TLS client authenticating with a card key to a loopback server that requires client
 * certificates. keytool and jarsigner run as separate processes on the same persistent
 * simulator file (state carries over through seed + journal replay).
 */
class CspJdkToolsTest {

    static final String PIN = "314159";
    /** The slot the tools use: PIV Authentication, PIN once per session. */
    static final String ALIAS = "9a";

    private CardsmithProvider provider;

    @AfterEach
    void close() {
        Security.removeProvider(CardsmithProvider.NAME);
        if (provider != null) provider.close();
    }

    /** A card file with a key in slot 9A, certificate CN=ALIAS-argument and its self-signed certificate, signed on the card. */
    private static X509Certificate prepareCard(Path sim, String alias, String alg) throws Exception {
        CardsmithProvider p = new CardsmithProvider("sim:" + sim);
        try {
            p.card().changePin("123456".toCharArray(), PIN.toCharArray()); // PIV: no key use under the default PIN
            p.login(PIN.toCharArray());
            p.authenticateManagement(CardsmithProvider.factoryManagementKey());
            KeyPairGenerator g = KeyPairGenerator.getInstance(alg, p);
            g.initialize(new CardKeyGenParameterSpec(0, null));
            CardPrivateKey k = (CardPrivateKey) g.generateKeyPair().getPrivate();
            X509Certificate cert = CardCertificates.selfSigned(p, k, "CN=" + alias + ", O=cardsmith test", Duration.ofDays(30));
            p.card().putCertificate(k.slot(), cert.getEncoded());
            return cert;
        } finally {
            p.close();
        }
    }

    /** The test JVM's class path (surefire puts host, applet, jCardSim and BouncyCastle on it). */
    private static String providerPath() {
        String cp = System.getProperty("java.class.path");
        assertNotNull(cp);
        return cp;
    }

    private static String tool(String name) {
        return Path.of(System.getProperty("java.home"), "bin", name).toString();
    }

    /**
     * keytool takes the provider's class path with -providerPath; jarsigner (JDK 17) has no
     * -providerPath, so its JVM gets the class path with -J-cp.
     */
    private static List<String> providerArgs(Path sim, boolean keytool) {
        List<String> a = new ArrayList<>();
        if (!keytool) a.addAll(List.of("-J-cp", "-J" + providerPath()));
        a.addAll(List.of("-keystore", "NONE", "-storetype", CardsmithProvider.KEYSTORE_TYPE,
                "-providerClass", CardsmithProvider.class.getName(), "-providerArg", "sim:" + sim));
        if (keytool) a.addAll(List.of("-providerPath", providerPath()));
        a.addAll(List.of("-storepass", PIN));
        return a;
    }

    record Result(int exit, String output) {}

    private static Result run(List<String> cmd, Path dir) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
        Process proc = pb.start();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> {
            try (InputStream in = proc.getInputStream()) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return e.toString();
            }
        });
        assertTrue(proc.waitFor(180, TimeUnit.SECONDS), "tool timed out: " + cmd.get(0));
        return new Result(proc.exitValue(), out.get(30, TimeUnit.SECONDS));
    }

    @Test
    void keytoolListsTheCardKeys(@TempDir Path dir) throws Exception {
        Path sim = dir.resolve("card.sim");
        X509Certificate cert = prepareCard(sim, "jarkey", "EC");
        List<String> cmd = new ArrayList<>(List.of(tool("keytool"), "-list", "-v"));
        cmd.addAll(providerArgs(sim, true));
        Result r = run(cmd, dir);
        assertEquals(0, r.exit(), r.output());
        assertTrue(r.output().contains("Keystore type: CARDSMITH"), r.output());
        assertTrue(r.output().contains("Keystore provider: Cardsmith"), r.output());
        assertTrue(r.output().contains("Alias name: " + ALIAS), r.output());
        assertTrue(r.output().contains("PrivateKeyEntry"), r.output());
        assertTrue(r.output().contains(cert.getSerialNumber().toString(16)), r.output());

        // a wrong PIN: keytool fails and the card counts it (persisted in the sim file)
        List<String> bad = new ArrayList<>(cmd);
        bad.set(bad.indexOf(PIN), "000000");
        Result w = run(bad, dir);
        assertNotEquals(0, w.exit(), w.output());
        CardsmithProvider p = new CardsmithProvider("sim:" + sim);
        try {
            assertEquals(2, p.card().pinTriesLeft());
        } finally {
            p.close();
        }
    }

    @Test
    void jarsignerSignsWithACardKeyAndVerifies(@TempDir Path dir) throws Exception {
        Path sim = dir.resolve("card.sim");
        prepareCard(sim, "jarkey", "EC");
        Path jar = dir.resolve("app.jar");
        Manifest mf = new Manifest();
        mf.getMainAttributes().putValue("Manifest-Version", "1.0");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), mf)) {
            out.putNextEntry(new JarEntry("hello.txt"));
            out.write("signed by a Java Card".getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
        }
        Path signed = dir.resolve("app-signed.jar");
        List<String> sign = new ArrayList<>(List.of(tool("jarsigner")));
        sign.addAll(providerArgs(sim, false));
        sign.addAll(List.of("-signedjar", signed.toString(), jar.toString(), ALIAS));
        Result s = run(sign, dir);
        assertEquals(0, s.exit(), s.output());
        assertTrue(Files.exists(signed), s.output());

        // verification uses the JDK only (no provider, no card)
        Result v = run(List.of(tool("jarsigner"), "-verify", "-verbose", "-certs", signed.toString()), dir);
        assertEquals(0, v.exit(), v.output());
        assertTrue(v.output().contains("jar verified."), v.output());
        assertTrue(v.output().contains("CN=jarkey"), v.output());

        // and in-process: the signer certificate is the card key's certificate
        try (java.util.jar.JarFile jf = new java.util.jar.JarFile(signed.toFile(), true)) {
            JarEntry e = jf.getJarEntry("hello.txt");
            try (InputStream in = jf.getInputStream(e)) {
                in.readAllBytes();
            }
            assertNotNull(e.getCodeSigners());
            assertEquals("EC", e.getCodeSigners()[0].getSignerCertPath().getCertificates().get(0).getPublicKey().getAlgorithm());
        }
    }

    @Test
    void jsseClientAuthenticatesWithEcCardKeyTls13() throws Exception {
        tlsClientAuth("EC", "TLSv1.3");
    }

    @Test
    void jsseClientAuthenticatesWithRsaCardKeyTls12() throws Exception {
        // TLS 1.3 allows only RSA-PSS in CertificateVerify, which the card does not offer.
        tlsClientAuth("RSA", "TLSv1.2");
    }

    private void tlsClientAuth(String alg, String protocol) throws Exception {
        // the card: in-memory, key + self-signed certificate made through the provider
        provider = new CardsmithProvider("sim");
        Security.addProvider(provider);
        provider.card().changePin("123456".toCharArray(), PIN.toCharArray());
        provider.login(PIN.toCharArray());
        provider.authenticateManagement(CardsmithProvider.factoryManagementKey());
        KeyPairGenerator g = KeyPairGenerator.getInstance(alg, provider);
        g.initialize(new CardKeyGenParameterSpec(0, null));
        CardPrivateKey key = (CardPrivateKey) g.generateKeyPair().getPrivate();
        X509Certificate clientCert = CardCertificates.selfSigned(provider, key, "CN=tls-client", Duration.ofDays(1));
        provider.card().putCertificate(key.slot(), clientCert.getEncoded());

        // the server: JDK providers only, software key, trusts the card's certificate
        KeyPairGenerator sg = KeyPairGenerator.getInstance("EC", "SunEC");
        sg.initialize(256);
        KeyPair serverKeys = sg.generateKeyPair();
        X500Name sn = new X500Name("CN=localhost");
        X509Certificate serverCert = new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(
                sn, BigInteger.TEN, new Date(System.currentTimeMillis() - 60_000), new Date(System.currentTimeMillis() + 86_400_000L),
                sn, serverKeys.getPublic()).build(new JcaContentSignerBuilder("SHA256withECDSA").setProvider("SunEC").build(serverKeys.getPrivate())));
        KeyStore serverKs = KeyStore.getInstance("PKCS12");
        serverKs.load(null, null);
        serverKs.setKeyEntry("server", serverKeys.getPrivate(), "pw".toCharArray(), new X509Certificate[] {serverCert});
        KeyStore serverTrust = KeyStore.getInstance("PKCS12");
        serverTrust.load(null, null);
        serverTrust.setCertificateEntry("card", clientCert);
        KeyManagerFactory skmf = KeyManagerFactory.getInstance("SunX509");
        skmf.init(serverKs, "pw".toCharArray());
        TrustManagerFactory stmf = TrustManagerFactory.getInstance("PKIX");
        stmf.init(serverTrust);
        SSLContext serverCtx = SSLContext.getInstance(protocol);
        serverCtx.init(skmf.getKeyManagers(), stmf.getTrustManagers(), null);

        // the client: its KeyManager reads the card's KeyStore (load password = PIN)
        KeyStore cardKs = KeyStore.getInstance(CardsmithProvider.KEYSTORE_TYPE, provider);
        cardKs.load(null, PIN.toCharArray());
        KeyManagerFactory ckmf = KeyManagerFactory.getInstance("SunX509");
        ckmf.init(cardKs, PIN.toCharArray());
        KeyStore clientTrust = KeyStore.getInstance("PKCS12");
        clientTrust.load(null, null);
        clientTrust.setCertificateEntry("server", serverCert);
        TrustManagerFactory ctmf = TrustManagerFactory.getInstance("PKIX");
        ctmf.init(clientTrust);
        SSLContext clientCtx = SSLContext.getInstance(protocol);
        clientCtx.init(ckmf.getKeyManagers(), ctmf.getTrustManagers(), null);

        var stats = provider.card().session().stats().snapshot();
        try (SSLServerSocket server = (SSLServerSocket) serverCtx.getServerSocketFactory().createServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            server.setNeedClientAuth(true);
            server.setEnabledProtocols(new String[] {protocol});
            CompletableFuture<String> peer = CompletableFuture.supplyAsync(() -> {
                try (SSLSocket s = (SSLSocket) server.accept()) {
                    s.startHandshake();
                    X509Certificate c = (X509Certificate) s.getSession().getPeerCertificates()[0];
                    OutputStream o = s.getOutputStream();
                    o.write(1);
                    o.flush();
                    return c.getSubjectX500Principal().getName();
                } catch (IOException e) {
                    return "server failed: " + e;
                }
            });
            try (SSLSocket c = (SSLSocket) clientCtx.getSocketFactory().createSocket(InetAddress.getLoopbackAddress(), server.getLocalPort())) {
                c.setEnabledProtocols(new String[] {protocol});
                c.startHandshake();
                assertEquals(1, c.getInputStream().read());
                assertEquals(protocol, c.getSession().getProtocol());
            }
            assertEquals("CN=tls-client", peer.get(60, TimeUnit.SECONDS));
        }
        assertTrue(provider.card().session().stats().since(stats).apdus() >= 1, "the handshake signature came from the card");
    }

    @Test
    void providerPathIsTheTestClassPath() {
        for (String e : providerPath().split(File.pathSeparator)) assertFalse(e.isBlank());
    }
}
