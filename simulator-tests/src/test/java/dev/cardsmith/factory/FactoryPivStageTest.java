package dev.cardsmith.factory;

import dev.cardsmith.csp.PinMailer;
import dev.cardsmith.csp.PivCard;
import dev.cardsmith.csp.PivIssuance;
import dev.cardsmith.support.CliProcess;
import dev.cardsmith.transport.CardSession;
import dev.cardsmith.transport.CardStatusException;
import dev.cardsmith.transport.CardTransports;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.MessageDigest;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The piv stage: a 9A key certified by the line's PIV CA, and the default PIN, PUK and
 * management key replaced with per-device values that only the PIN mailer's private key opens.
 */
class FactoryPivStageTest {
    static final List<String> VAULT_PIV = List.of("vault", "piv");
    static final String RANGE = "35693803564380-35693803564399";
    static final byte[] DEFAULT_MGMT = HexFormat.of().parseHex("010203040506070801020304050607080102030405060708");

    @TempDir
    Path dir;

    static KeyPair ecKeyPair(String curve) throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec(curve));
        return g.generateKeyPair();
    }

    static Path pem(Path file, String type, byte[] der) throws Exception {
        Files.writeString(file, "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der) + "\n-----END " + type + "-----\n");
        return file;
    }

    @Test
    void vaultThenPivIssuesEachCardWhoseSealedSecretsOpenWithTheMailerKeyAndWorkOnTheCard() throws Exception {
        KeyPair mailer = ecKeyPair("secp256r1");
        try (LineFixture f = new LineFixture(dir, VAULT_PIV)) {
            IdentityPool pool = IdentityPool.imeiRange(f.db, f.pub, RANGE);
            RunSummary s = f.line(VAULT_PIV, pool, f.sims, PinMailer.of(mailer.getPublic())).start(3, 2, null);
            assertEquals(3, s.succeeded(), s.toMap().toString());
            System.out.println("FactoryPivStageTest vault,piv x3: " + s.toMap().get("perStage"));
            X509Certificate ca = new PivLineCa(f.hsm, f.db).certificate();
            assertEquals(f.hsm.publicKey(PivLineCa.LABEL), ca.getPublicKey(), "the CA certificate is the HSM key's");
            for (FactoryStore.Device d : f.store.devices(s.runId())) {
                PivRecords.Row row = PivRecords.row(f.db, s.runId(), d.slot()).orElseThrow();
                assertEquals("DONE", row.state());
                assertEquals(PinMailer.of(mailer.getPublic()).fingerprint(), row.mailer());
                PivIssuance.Secrets secrets = PivIssuance.Secrets.parse(PinMailer.open(row.sealed(), mailer.getPrivate()));
                assertTrue(secrets.pin().matches("[0-9]{6,8}"), "PIN of 6-8 digits");
                assertTrue(secrets.puk().matches("[0-9]{8}"), "PUK of 8 digits");
                assertEquals(16, secrets.managementKey().length, "AES-128 management key");
                String sealedText = new String(row.sealed(), StandardCharsets.ISO_8859_1);
                assertFalse(sealedText.contains("pin=") || sealedText.contains(secrets.puk()), "the blob is sealed, not clear");
                try (CardSession session = new CardSession(CardTransports.open("sim:" + d.card()))) {
                    PivCard card = new PivCard(session);
                    card.select();
                    X509Certificate cert = card.certificate(0);
                    assertEquals(row.certificate(), cert, "the card holds the recorded certificate");
                    cert.verify(ca.getPublicKey()); // chains to the line CA
                    assertEquals(ca.getSubjectX500Principal(), cert.getIssuerX500Principal());
                    assertTrue(cert.getSubjectX500Principal().getName().contains("CN=" + d.identity()), cert.getSubjectX500Principal().getName());
                    assertEquals(cert.getPublicKey(), card.publicKey(0), "certificate for the 9A key");
                    assertFalse(card.pinIsDefault());
                    // the default PIN no longer works; the sealed one does, and unlocks the 9A key
                    CardStatusException wrong = assertThrows(CardStatusException.class, () -> card.login("123456".toCharArray()));
                    assertEquals(0x63C0, wrong.sw() & 0xFFF0, "default PIN refused: " + Integer.toHexString(wrong.sw()));
                    card.login(secrets.pin().toCharArray());
                    byte[] hash = MessageDigest.getInstance("SHA-256").digest("factory".getBytes());
                    byte[] sig = card.signEcdsa(0, hash);
                    Signature v = Signature.getInstance("NONEwithECDSA");
                    v.initVerify(cert.getPublicKey());
                    v.update(hash);
                    assertTrue(v.verify(sig), "the 9A key signs with the sealed PIN");
                    // the default management key is gone, the sealed one is the card's; the PUK is the sealed one
                    assertThrows(RuntimeException.class, () -> card.authenticateManagement(DEFAULT_MGMT));
                    card.authenticateManagement(secrets.managementKey());
                    assertFalse(card.managementKeyIsDefault());
                    assertThrows(CardStatusException.class, () -> card.changePuk("12345678".toCharArray(), "87654321".toCharArray()));
                    card.changePuk(secrets.puk().toCharArray(), secrets.puk().toCharArray());
                }
            }
            // the secrets are nowhere in clear in the line's records
            assertEquals(0, f.count("SELECT COUNT(*) FROM factory_intent WHERE detail LIKE '%pin=%' OR detail LIKE '%management-key%'"));
            assertEquals(3, f.count("SELECT COUNT(*) FROM factory_piv WHERE state = 'DONE'"));
        }
    }

    @Test
    void aDoneCardIsReportedDoneWithoutAWriteAndAnotherCardIsRefused() throws Exception {
        KeyPair mailer = ecKeyPair("secp256r1");
        try (LineFixture f = new LineFixture(dir, List.of("piv"))) {
            RunSummary s = f.line(List.of("piv"), null, f.sims, PinMailer.of(mailer.getPublic())).start(2, 1, null);
            assertEquals(2, s.succeeded(), s.toMap().toString());
            List<FactoryStore.Device> devices = f.store.devices(s.runId());
            PivLineCa ca = new PivLineCa(f.hsm, f.db);
            try (CardSession session = new CardSession(CardTransports.open("sim:" + devices.get(0).card()))) {
                PivCard card = new PivCard(session);
                PivIssuance.Outcome again = PivIssuance.issueOrResume(card, k -> ca.issue(k, "x"), PinMailer.of(mailer.getPublic()),
                        new PivRecords(f.db, s.runId(), 0));
                assertEquals(PivIssuance.Action.ALREADY_DONE, again.action());
                assertEquals(PivRecords.row(f.db, s.runId(), 0).orElseThrow().certificate(), again.certificate());
                // card 0 presented as slot 1's device: its certificate is not the one slot 1's record names
                assertThrows(dev.cardsmith.csp.CspException.class, () -> PivIssuance.issueOrResume(card, k -> ca.issue(k, "x"),
                        PinMailer.of(mailer.getPublic()), new PivRecords(f.db, s.runId(), 1)));
            }
        }
    }

    @Test
    void twoStationsOnOneDatabaseEachCertifyWithTheirOwnCaKey() throws Exception {
        try (LineFixture f = new LineFixture(dir, List.of("piv"));
             dev.cardsmith.hsm.SoftwareHsm other = dev.cardsmith.hsm.SoftwareHsm.open(dir.resolve("station2.p12"), "test".toCharArray())) {
            PivLineCa first = new PivLineCa(f.hsm, f.db);
            PivLineCa second = new PivLineCa(other, f.db);
            assertFalse(second.ready(), "station 2 has no CA key yet");
            assertThrows(FactoryException.class, second::certificate);
            second.init();
            assertTrue(second.ready());
            assertFalse(first.certificate().getPublicKey().equals(second.certificate().getPublicKey()));
            java.security.PublicKey device = ecKeyPair("secp256r1").getPublic();
            second.issue(device, "d2").verify(second.certificate().getPublicKey());
            X509Certificate byFirst = first.issue(device, "d1");
            byFirst.verify(first.certificate().getPublicKey());
            assertThrows(java.security.SignatureException.class, () -> byFirst.verify(second.certificate().getPublicKey()));
            assertEquals(2, f.count("SELECT COUNT(*) FROM factory_piv_ca"));
        }
    }

    @Test
    void rsaMailerKeysSealWithOaepAndOnlyTheMailerOpens() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        KeyPair rsa = g.generateKeyPair();
        byte[] secret = "pin=123987\npuk=11223344\nmanagement-key=aes128:00112233445566778899aabbccddeeff\n".getBytes(StandardCharsets.US_ASCII);
        PinMailer m = PinMailer.read(pem(dir.resolve("rsa.pem"), "PUBLIC KEY", rsa.getPublic().getEncoded()));
        byte[] sealed = m.seal(secret);
        assertArrayEquals(secret, PinMailer.open(sealed, rsa.getPrivate()));
        assertEquals("123987", PivIssuance.Secrets.parse(PinMailer.open(sealed, rsa.getPrivate())).pin());
        KeyPair other = g.generateKeyPair();
        assertThrows(dev.cardsmith.csp.CspException.class, () -> PinMailer.open(sealed, other.getPrivate()));
        // A wrong key whose modulus lies below the wrapped key: BouncyCastle throws its own
        // DataLengthException, which must come out as the same one line (CI failed once at random when
        // the second 2048-bit modulus above happened to be below the ciphertext). The modulus 2^2047+1
        // is below at least 11 % of ciphertexts (JDK moduli are >= 1.125 * 2^2047), so 200 seals reach
        // that path with certainty short of 1e-10; the count below shows it was reached.
        PrivateKey below = KeyFactory.getInstance("RSA").generatePrivate(new java.security.spec.RSAPrivateKeySpec(
                java.math.BigInteger.ONE.shiftLeft(2047).add(java.math.BigInteger.ONE), java.math.BigInteger.valueOf(3)));
        int libraryFailures = 0;
        for (int i = 0; i < 200; i++) {
            byte[] s = m.seal(secret);
            dev.cardsmith.csp.CspException x = assertThrows(dev.cardsmith.csp.CspException.class, () -> PinMailer.open(s, below));
            if (!(x.getCause() instanceof org.bouncycastle.cms.CMSException)) libraryFailures++;
        }
        assertTrue(libraryFailures > 0, "no ciphertext was above the wrong modulus");
        assertThrows(dev.cardsmith.csp.CspException.class, () -> PinMailer.open(java.util.Arrays.copyOf(sealed, sealed.length / 2), rsa.getPrivate()));
        KeyPair ec = ecKeyPair("secp256r1");
        byte[] ecSealed = PinMailer.of(ec.getPublic()).seal(secret);
        assertThrows(dev.cardsmith.csp.CspException.class, () -> PinMailer.open(ecSealed, ecKeyPair("secp256r1").getPrivate()));
    }

    @Test
    void mailerKeysOfTheWrongFormatAreRefusedWithOneLine() throws Exception {
        KeyPair ec = ecKeyPair("secp256r1");
        Path priv = pem(dir.resolve("private.pem"), "PRIVATE KEY", ec.getPrivate().getEncoded());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> PinMailer.read(priv)).getMessage().contains("private key"));
        Path p384 = pem(dir.resolve("p384.pem"), "PUBLIC KEY", ecKeyPair("secp384r1").getPublic().getEncoded());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> PinMailer.read(p384)).getMessage().contains("P-256"));
        Path junk = pem(dir.resolve("junk.pem"), "PUBLIC KEY", new byte[] {1, 2, 3});
        assertTrue(assertThrows(IllegalArgumentException.class, () -> PinMailer.read(junk)).getMessage().contains("not an EC or RSA"));
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(1024);
        Path small = pem(dir.resolve("rsa1024.pem"), "PUBLIC KEY", g.generateKeyPair().getPublic().getEncoded());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> PinMailer.read(small)).getMessage().contains("2048"));
        assertThrows(IllegalArgumentException.class, () -> PinMailer.read(dir.resolve("missing.pem")));
    }

    @Test
    void thePivStageWithoutAMailerKeyIsRefusedBeforeAnyCardOrKey() throws Exception {
        try (LineFixture f = new LineFixture(dir, List.of("vault"))) {
            FactoryException e = assertThrows(FactoryException.class, () -> f.line(List.of("piv"), null, f.sims, null));
            assertEquals(FactoryException.Kind.USAGE, e.kind());
            assertTrue(e.getMessage().contains("--pin-mailer-key"), e.getMessage());
        }
        Path home = dir.resolve("home");
        CliProcess.Result r = CliProcess.run(dir, home, List.of("--dev", "factory", "run", "--stages", "vault,piv", "--count", "1"));
        assertEquals(2, r.exit(), r.output());
        assertTrue(r.output().contains("the piv stage needs --pin-mailer-key FILE.pem"), r.output());
        assertTrue(!Files.exists(home.resolve("cards")) || Files.list(home.resolve("cards")).findAny().isEmpty(), "a card was created");
        Path bad = Files.writeString(dir.resolve("bad.pem"), "not a key\n");
        CliProcess.Result b = CliProcess.run(dir, home, List.of("--dev", "factory", "run", "--stages", "piv", "--pin-mailer-key", bad.toString()));
        assertEquals(2, b.exit(), b.output());
        assertTrue(b.output().contains("not a PEM public key"), b.output());
        assertTrue(!Files.exists(home.resolve("cards")) || Files.list(home.resolve("cards")).findAny().isEmpty(), "a card was created");
        // with the key, the same command issues the card
        Path good = pem(dir.resolve("mailer.pem"), "PUBLIC KEY", ecKeyPair("secp256r1").getPublic().getEncoded());
        CliProcess.Result ok = CliProcess.run(dir, home, List.of("--dev", "factory", "run", "--stages", "piv", "--pin-mailer-key", good.toString()));
        assertEquals(0, ok.exit(), ok.output());
    }
}
