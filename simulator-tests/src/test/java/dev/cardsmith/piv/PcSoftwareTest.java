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
 * self-signed certificate made through the JCA provider, and a P-256 key in 9C certified by a test
 * CA. One test generates a 9E key through OpenSC's piv-tool. Runs in CI (CARDSMITH_REQUIRE_PCSC=1:
 * a missing tool fails); elsewhere a missing tool skips with its package name.
 */
@Tag(PcSoftware.TAG)
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
        PcSoftware.need("OpenSC (opensc, opensc-pkcs11)", PcSoftware.OPENSC_PKCS11, Path.of("/usr/bin/pkcs11-tool"), Path.of("/usr/bin/piv-tool"));
        PcSoftware.need("openssl", Path.of("/usr/bin/openssl"));
        reader = PcSoftware.start();
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

        // 9C: P-256 generated through the provider (piv-tool's key generation, P-384 in 9E: pivToolGeneratesAKeyAndPkcs11ToolSignsWithIt)
        try (CardsmithProvider p = new CardsmithProvider("reader:" + PcSoftware.READER)) {
            p.authenticateManagement(CardsmithProvider.factoryManagementKey());
            ec9c = p.card().generate(PivSlot.SIGNATURE.index(), dev.cardsmith.csp.KeyAlgorithm.EC_P256, null);
            p.authenticateManagement(CardsmithProvider.factoryManagementKey());
            p.card().putCertificate(PivSlot.SIGNATURE.index(), caCertificate(ec9c, "CN=card signer,O=cardsmith").getEncoded());
            // 9E (PIN never): P-256 for the ECDSA benchmark; pivToolGeneratesAKeyAndPkcs11ToolSignsWithIt replaces it
            p.authenticateManagement(CardsmithProvider.factoryManagementKey());
            PublicKey ec9e = p.card().generate(PivSlot.CARD_AUTHENTICATION.index(), dev.cardsmith.csp.KeyAlgorithm.EC_P256, null);
            p.authenticateManagement(CardsmithProvider.factoryManagementKey());
            p.card().putCertificate(PivSlot.CARD_AUTHENTICATION.index(), caCertificate(ec9e, "CN=card authentication,O=cardsmith").getEncoded());
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

    /**
     * Key generation through OpenSC's PIV driver: piv-tool proves the management key with the
     * mutual GENERAL AUTHENTICATE (SP 800-73-4 Part 2 A.2) and sends GENERATE ASYMMETRIC KEY PAIR
     * for 9E / P-384 (algorithm 14). OpenSC 0.23 then fails on the host when it turns the card's answer into an
     * OpenSSL 3 key ("gen_key unable to gen EC key ... invalid curve"; RSA: "unable to gen RSA") and
     * its external authentication ("A:9B:03") fails its own length check (fixed upstream in
     * a0aef25c7, OpenSC 0.24) - so the public key is read back through the card's metadata, certified
     * by a test CA and written with the provider; then pkcs11-tool signs with 9E (PIN never) using
     * ECDSA-SHA384 and openssl verifies.
     */
    @Test
    void pivToolGeneratesAKeyAndPkcs11ToolSignsWithIt() throws Exception {
        Tool g = Tool.run(dir, env, "piv-tool", "-A", "M:9B:03", "-G", "9E:14", "-o", path("9e.pub"));
        assertTrue(g.exit() == 0 || g.output().contains("gen_key unable to gen EC key"), g.output());
        PublicKey ec9e;
        try (CardsmithProvider p = new CardsmithProvider("reader:" + PcSoftware.READER)) {
            ec9e = p.card().publicKey(PivSlot.CARD_AUTHENTICATION.index());
            assertEquals(384, ((java.security.interfaces.ECPublicKey) ec9e).getParams().getOrder().bitLength(), "a P-384 key");
            p.authenticateManagement(CardsmithProvider.factoryManagementKey());
            p.card().putCertificate(PivSlot.CARD_AUTHENTICATION.index(), caCertificate(ec9e, "CN=card authentication,O=cardsmith").getEncoded());
        }
        pem(dir.resolve("9e.pem"), ec9e);
        // pkcs11-tool logs in to any token flagged "login required", although the card asks no PIN for 9E
        Tool.ok(dir, env, "pkcs11-tool", "--module", MODULE, "--login", "--pin", PIN, "--sign", "--id", "04", "--mechanism", "ECDSA-SHA384",
                "--signature-format", "openssl", "-i", path("data.txt"), "-o", path("9e.sig"));
        Tool v = Tool.ok(dir, env, "openssl", "dgst", "-sha384", "-verify", path("9e.pem"), "-signature", path("9e.sig"), path("data.txt"));
        assertTrue(v.output().contains("Verified OK"), v.output());

        // without the management key the card generates nothing (a wrong key file: the mutual authentication fails)
        Path wrong = dir.resolve("wrong-mgmt.key");
        Files.writeString(wrong, "2040608010305070" + "0102030405060708".repeat(2)); // differs beyond the DES parity bits
        Map<String, String> e = new HashMap<>(env);
        e.put("PIV_EXT_AUTH_KEY", wrong.toString());
        Tool refused = Tool.run(dir, e, "piv-tool", "-A", "M:9B:03", "-G", "9E:14", "-o", path("9e-2.pub"));
        assertNotEquals(0, refused.exit(), refused.output());
        try (CardsmithProvider p = new CardsmithProvider("reader:" + PcSoftware.READER)) {
            assertEquals(ec9e, p.card().publicKey(PivSlot.CARD_AUTHENTICATION.index()), "the 9E key is unchanged");
        }
    }

    @Test
    void openscNamesTheCardAndReadsItsPkcs15View() throws Exception {
        Tool n = Tool.ok(dir, env, "opensc-tool", "-n");
        assertTrue(n.output().contains("Personal Identity Verification Card"), n.output()); // OpenSC's PIV driver name
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
        assertTrue(l.output().contains("piv_II"), l.output()); // the token's manufacturer: OpenSC's PIV emulation
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
        PcSoftware.need("openssh-client", Path.of("/usr/bin/ssh-keygen"));
        Tool k = Tool.ok(dir, env, "ssh-keygen", "-D", MODULE);
        assertTrue(k.output().contains("ssh-rsa "), k.output());
        assertTrue(k.output().contains("ecdsa-sha2-nistp256 "), k.output());
    }

    @Test
    void sshLoginToALoopbackSshdWithTheCardKey() throws Exception {
        PcSoftware.need("openssh-server and openssh-client", Path.of("/usr/sbin/sshd"), Path.of("/usr/bin/ssh"));
        Path ssh = Files.createDirectories(dir.resolve("ssh"));
        Path runSshd = Path.of("/run/sshd");
        try {
            if (!Files.isDirectory(runSshd)) Files.createDirectories(runSshd); // sshd's privilege separation directory (root)
        } catch (IOException notRoot) {
            // an sshd run by an ordinary user does not chroot its pre-authentication child there
        }
        Tool.ok(ssh, env, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", ssh.resolve("host_key").toString());
        String keys = Tool.ok(ssh, env, "ssh-keygen", "-D", MODULE).output();
        Path authorized = ssh.resolve("authorized_keys");
        String rsaKey = keys.lines().filter(l -> l.startsWith("ssh-rsa ")).findFirst().orElseThrow() + "\n";
        Files.writeString(authorized, rsaKey);
        // IdentitiesOnly: ssh offers only the PKCS#11 key matching this public key file, nothing from ~/.ssh
        Path cardPub = ssh.resolve("card.pub");
        Files.writeString(cardPub, rsaKey);
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
            Path wrongPin = ssh.resolve("askpass-wrong");
            Files.writeString(wrongPin, "#!/bin/sh\necho 000000\n");
            Files.setPosixFilePermissions(wrongPin, PosixFilePermissions.fromString("rwx------"));
            Tool refused = ssh(ssh, wrongPin, cardPub);
            assertNotEquals(0, refused.exit(), refused.output());
            assertFalse(Files.readString(ssh.resolve("sshd.log")).contains("Accepted publickey"), "a wrong PIN logs nobody in");

            Tool login = ssh(ssh, askpass, cardPub); // the right PIN also resets the retry counter
            String log = Files.readString(ssh.resolve("sshd.log"));
            assertEquals(0, login.exit(), login.output() + "\nsshd: " + log);
            assertTrue(login.output().contains("logged-in-with-the-card"), login.output());
            assertTrue(log.contains("Accepted publickey for " + System.getProperty("user.name")) && log.contains("ssh2: RSA "), log);
        } finally {
            sshd.destroy();
            if (!sshd.waitFor(10, TimeUnit.SECONDS)) sshd.destroyForcibly();
        }
    }

    /** One ssh login to the loopback sshd with the card's key (PKCS11Provider), the PIN from {@code askpass}. */
    static Tool ssh(Path ssh, Path askpass, Path cardPub) throws Exception {
        Map<String, String> e = new HashMap<>(env);
        e.put("SSH_ASKPASS", askpass.toString());
        e.put("SSH_ASKPASS_REQUIRE", "force"); // CI has no terminal: the PIN comes from the askpass program
        e.put("DISPLAY", ":0");
        return Tool.run(ssh, e, "ssh", "-F", "/dev/null", "-p", String.valueOf(SSHD_PORT),
                "-o", "PKCS11Provider=" + MODULE, "-o", "IdentitiesOnly=yes", "-o", "IdentityFile=" + cardPub,
                "-o", "PasswordAuthentication=no", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-o", "ConnectTimeout=30", System.getProperty("user.name") + "@127.0.0.1", "echo", "logged-in-with-the-card");
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

    /**
     * Git commit signing with the card key: ssh-agent (started and stopped by the test) takes the
     * card's keys with {@code ssh-add -s opensc-pkcs11.so} (PIN through SSH_ASKPASS), git signs with
     * {@code gpg.format=ssh} and the 9A key as {@code user.signingKey}, and {@code git verify-commit}
     * accepts it against an allowed-signers file naming that key, and refuses it against one
     * naming another key.
     */
    @Test
    void gitSignsACommitWithTheCardKeyThroughSshAgent() throws Exception {
        PcSoftware.need("git and openssh-client", Path.of("/usr/bin/git"), Path.of("/usr/bin/ssh-agent"), Path.of("/usr/bin/ssh-add"));
        Path g = Files.createDirectories(dir.resolve("git"));
        String keys = Tool.ok(g, env, "ssh-keygen", "-D", MODULE).output();
        String rsaKey = keys.lines().filter(l -> l.startsWith("ssh-rsa ")).findFirst().orElseThrow();
        String ecKey = keys.lines().filter(l -> l.startsWith("ecdsa-sha2-nistp256 ")).findFirst().orElseThrow();
        String signingKey = rsaKey.split(" ")[0] + " " + rsaKey.split(" ")[1];
        Path askpass = g.resolve("askpass");
        Files.writeString(askpass, "#!/bin/sh\necho " + PIN + "\n");
        Files.setPosixFilePermissions(askpass, PosixFilePermissions.fromString("rwx------"));
        Path sock = g.resolve("agent.sock");
        Process agent = new ProcessBuilder("/usr/bin/ssh-agent", "-D", "-a", sock.toString())
                .redirectErrorStream(true).redirectOutput(g.resolve("agent.log").toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (!Files.exists(sock) && System.nanoTime() < deadline) {
                if (!agent.isAlive()) fail("ssh-agent exited: " + Files.readString(g.resolve("agent.log")));
                Thread.sleep(100);
            }
            Map<String, String> e = new HashMap<>(env);
            e.put("SSH_AUTH_SOCK", sock.toString());
            e.put("SSH_ASKPASS", askpass.toString());
            e.put("SSH_ASKPASS_REQUIRE", "force");
            e.put("DISPLAY", ":0");
            e.put("GIT_CONFIG_NOSYSTEM", "1");
            Tool.ok(g, e, "ssh-add", "-s", MODULE);
            Tool listed = Tool.ok(g, e, "ssh-add", "-L");
            assertTrue(listed.output().contains(signingKey), listed.output());

            Path repo = Files.createDirectories(g.resolve("repo"));
            Tool.ok(repo, e, "git", "init", "-q");
            Files.writeString(repo.resolve("README"), "signed with a PIV card\n");
            Tool.ok(repo, e, "git", "add", "README");
            Tool.ok(repo, e, "git", "-c", "user.name=Card User", "-c", "user.email=card@example.org", "-c", "gpg.format=ssh",
                    "-c", "user.signingKey=key::" + signingKey, "commit", "-q", "-S", "-m", "signed by the card");

            Path allowed = g.resolve("allowed_signers");
            Files.writeString(allowed, "card@example.org namespaces=\"git\" " + signingKey + "\n");
            Tool ok = Tool.run(repo, e, "git", "-c", "gpg.format=ssh", "-c", "gpg.ssh.allowedSignersFile=" + allowed, "verify-commit", "HEAD");
            assertEquals(0, ok.exit(), ok.output());
            assertTrue(ok.output().contains("Good \"git\" signature for card@example.org"), ok.output());

            Path others = g.resolve("allowed_signers_other");
            Files.writeString(others, "card@example.org namespaces=\"git\" " + ecKey + "\n");
            Tool refused = Tool.run(repo, e, "git", "-c", "gpg.format=ssh", "-c", "gpg.ssh.allowedSignersFile=" + others, "verify-commit", "HEAD");
            assertNotEquals(0, refused.exit(), "a signature by a key the allowed signers do not name: " + refused.output());
        } finally {
            agent.destroy();
            if (!agent.waitFor(10, TimeUnit.SECONDS)) agent.destroyForcibly();
        }
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
        Tool wrongPin = Tool.run(dir, e, "openssl", "dgst", "-sha256", "-engine", "pkcs11", "-keyform", "engine",
                "-sign", "pkcs11:id=%01;type=private;pin-value=000000", "-out", path("engine-bad.sig"), path("data.txt"));
        assertNotEquals(0, wrongPin.exit(), "a wrong PIN signs nothing: " + wrongPin.output());
        assertFalse(Files.exists(dir.resolve("engine-bad.sig")) && Files.size(dir.resolve("engine-bad.sig")) > 0, wrongPin.output());
        Tool.ok(dir, e, "openssl", "dgst", "-sha256", "-engine", "pkcs11", "-keyform", "engine",
                "-sign", "pkcs11:id=%01;type=private;pin-value=" + PIN, "-out", path("engine.sig"), path("data.txt")); // resets the counter
        Tool v = Tool.ok(dir, env, "openssl", "dgst", "-sha256", "-verify", path("9a.pem"), "-signature", path("engine.sig"), path("data.txt"));
        assertTrue(v.output().contains("Verified OK"), v.output());
    }

    /**
     * Signatures per second through the same pcscd + vpcd, with the 9A RSA-2048 key and the 9E
     * P-256 key: once through OpenSC (the JDK's SunPKCS11 provider over opensc-pkcs11.so, one
     * PKCS#11 session) and once through the Cardsmith JCA provider ("reader:NAME"). docs/csp.md
     * quotes the numbers.
     */
    @Test
    void signaturesPerSecondThroughOpenscAndTheProvider() throws Exception {
        int n = Integer.getInteger("cardsmith.bench.signatures", 20);
        PublicKey ec9e;
        try (CardsmithProvider p = new CardsmithProvider("reader:" + PcSoftware.READER)) {
            ec9e = p.card().publicKey(PivSlot.CARD_AUTHENTICATION.index()); // whichever key 9E holds now
        }
        Path cfg = dir.resolve("sunpkcs11.cfg");
        Files.writeString(cfg, "name = opensc\nlibrary = " + MODULE + "\nslotListIndex = 0\n");
        java.security.Provider p11 = java.security.Security.getProvider("SunPKCS11").configure(cfg.toString());
        java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS11", p11);
        ks.load(null, PIN.toCharArray());
        double openscRsa = rate(java.security.Signature.getInstance("SHA256withRSA", p11), openscKey(ks, rsa9a), rsa9a, n);
        double openscEc = rate(java.security.Signature.getInstance("SHA256withECDSA", p11), openscKey(ks, ec9e), ec9e, n);
        try {
            ((java.security.AuthProvider) p11).logout();
        } catch (javax.security.auth.login.LoginException ignored) {
            // already logged out
        }

        double jcaRsa;
        double jcaEc;
        try (CardsmithProvider p = new CardsmithProvider("reader:" + PcSoftware.READER)) {
            p.login(PIN.toCharArray());
            jcaRsa = rate(java.security.Signature.getInstance("SHA256withRSA", p), p.key(p.card().slot("9a")), rsa9a, n);
            jcaEc = rate(java.security.Signature.getInstance("SHA256withECDSA", p), p.key(p.card().slot("9e")), ec9e, n);
        }
        int curveBits = ((java.security.interfaces.ECPublicKey) ec9e).getParams().getOrder().bitLength();
        System.out.printf("pc-software bench over pcscd+vpcd, %d signatures each: SHA256withRSA (9A) OpenSC PKCS#11 %.1f/s, Cardsmith JCA %.1f/s;"
                + " SHA256withECDSA (9E, P-%d) OpenSC PKCS#11 %.1f/s, Cardsmith JCA %.1f/s%n", n, openscRsa, jcaRsa, curveBits, openscEc, jcaEc);
    }

    /** The private key OpenSC shows for the certificate that names {@code pub}. */
    private static java.security.PrivateKey openscKey(java.security.KeyStore ks, PublicKey pub) throws Exception {
        for (String a : java.util.Collections.list(ks.aliases())) {
            java.security.cert.Certificate c = ks.getCertificate(a);
            if (c != null && c.getPublicKey().equals(pub)) return (java.security.PrivateKey) ks.getKey(a, null);
        }
        return fail("OpenSC shows no key for " + pub.getAlgorithm() + " " + pub);
    }

    /** Signs {@code n} messages; the first signature must verify under {@code pub} with the JDK. */
    private static double rate(java.security.Signature s, java.security.PrivateKey key, PublicKey pub, int n) throws Exception {
        byte[] msg = new byte[1024];
        s.initSign(key);
        s.update(msg);
        byte[] first = s.sign();
        java.security.Signature v = java.security.Signature.getInstance(s.getAlgorithm());
        v.initVerify(pub);
        v.update(msg);
        assertTrue(v.verify(first), s.getAlgorithm() + " through " + s.getProvider().getName() + " verifies");
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            msg[0] = (byte) i;
            s.update(msg);
            s.sign();
        }
        return n / ((System.nanoTime() - t0) / 1e9);
    }
}
