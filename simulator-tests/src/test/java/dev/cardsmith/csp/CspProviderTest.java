package dev.cardsmith.csp;

import dev.cardsmith.transport.CardSession;
import dev.cardsmith.support.CardTest;
import dev.cardsmith.support.CardUnderTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.crypto.BadPaddingException;
import javax.crypto.Cipher;
import javax.crypto.KeyAgreement;
import javax.crypto.NoSuchPaddingException;
import java.io.IOException;
import java.nio.file.Path;
import java.security.InvalidKeyException;
import java.security.Key;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.ProviderException;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Security;
import java.security.Signature;
import java.security.UnrecoverableKeyException;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.util.Collections;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The JCA provider over the simulated card: the split of claims 24, 42, 47-48 seen by an ordinary Java program. */
@CardTest
class CspProviderTest {

    static final char[] PIN = "314159".toCharArray();
    /** PIV cards use no key while the PIN is the well-known default: every fresh card gets this one first. */
    static final char[] DEFAULT_PIN = "123456".toCharArray();

    CardSession session;
    CardsmithProvider provider;

    @BeforeEach
    void installAndSelect() {
        session = new CardSession(CardUnderTest.fresh());
        new PivCard(session).changePin(DEFAULT_PIN, PIN);
        provider = new CardsmithProvider(session);
        Security.addProvider(provider);
    }

    @AfterEach
    void close() {
        Security.removeProvider(CardsmithProvider.NAME);
        provider.close();
        session.close();
    }

    private KeyStore keyStore(char[] pin) throws Exception {
        KeyStore ks = KeyStore.getInstance(CardsmithProvider.KEYSTORE_TYPE);
        ks.load(null, pin);
        return ks;
    }

    static final int SLOT_9A = 0;
    static final int SLOT_9D = 2;

    /** A key pair generated on the card (management key first); 9D for decryption and ECDH, 9A for signatures. */
    private KeyPair generate(String alg, int slot) throws Exception {
        provider.authenticateManagement(CardsmithProvider.factoryManagementKey());
        KeyPairGenerator g = KeyPairGenerator.getInstance(alg, provider);
        g.initialize(new CardKeyGenParameterSpec(slot, null));
        return g.generateKeyPair();
    }

    @Test
    void claim42_ecdsaSignaturesOnCardVerifyWithJdk() throws Exception {
        keyStore(PIN);
        KeyPair kp = generate("EC", SLOT_9A);
        byte[] msg = "claim 24: hashing on the computer, private key on the device".getBytes();
        for (String alg : List.of("SHA256withECDSA", "SHA384withECDSA", "SHA512withECDSA", "SHA224withECDSA")) {
            Signature s = Signature.getInstance(alg); // delayed provider selection picks Cardsmith for a card key
            s.initSign(kp.getPrivate());
            s.update(msg);
            byte[] sig = s.sign();
            assertEquals(CardsmithProvider.NAME, s.getProvider().getName(), alg);
            Signature v = Signature.getInstance(alg, "SunEC");
            v.initVerify(kp.getPublic());
            v.update(msg);
            assertTrue(v.verify(sig), alg);
        }
        // NONEwithECDSA: the caller hashes
        byte[] hash = java.security.MessageDigest.getInstance("SHA-256").digest(msg);
        Signature s = Signature.getInstance("NONEwithECDSA");
        s.initSign(kp.getPrivate());
        s.update(hash);
        byte[] sig = s.sign();
        Signature v = Signature.getInstance("SHA256withECDSA", "SunEC");
        v.initVerify(kp.getPublic());
        v.update(msg);
        assertTrue(v.verify(sig));
    }

    @Test
    void claim42_oneApduPerSignatureAfterSessionOpen() throws Exception {
        keyStore(PIN);
        KeyPair kp = generate("EC", SLOT_9A);
        Signature s = Signature.getInstance("SHA256withECDSA");
        s.initSign(kp.getPrivate());
        s.update(new byte[10_000]);
        var before = session.stats().snapshot();
        s.sign();
        s.update(new byte[1]);
        s.sign();
        assertEquals(2, session.stats().since(before).apdus(), "the 10 kB hashed on the host; one APDU per signature");
    }

    @Test
    void claim42_verifyWithPublicKeyNeedsNoCard() throws Exception {
        keyStore(PIN);
        KeyPair kp = generate("EC", SLOT_9A);
        Signature s = Signature.getInstance("SHA256withECDSA", provider);
        s.initSign(kp.getPrivate());
        s.update(new byte[] {1});
        byte[] sig = s.sign();
        var before = session.stats().snapshot();
        Signature v = Signature.getInstance("SHA256withECDSA", provider); // the Cardsmith provider, public key
        v.initVerify(kp.getPublic());
        v.update(new byte[] {1});
        assertTrue(v.verify(sig));
        assertEquals(0, session.stats().since(before).apdus(), "verification is done on the host");
        assertEquals(AlgorithmTable.Worker.HOST, AlgorithmTable.decide(AlgorithmTable.ENTRIES.get(0), kp.getPublic()));
        assertEquals(AlgorithmTable.Worker.HOST_THEN_CARD, AlgorithmTable.decide(AlgorithmTable.ENTRIES.get(0), kp.getPrivate()));
    }

    @Test
    void rsaSignaturesAndDecryptRoundTrip() throws Exception {
        keyStore(PIN);
        KeyPair kp = generate("RSA", SLOT_9A);
        byte[] msg = "jarsigner".getBytes();
        for (String alg : List.of("SHA256withRSA", "SHA384withRSA", "SHA512withRSA")) {
            Signature s = Signature.getInstance(alg);
            s.initSign(kp.getPrivate());
            s.update(msg);
            byte[] sig = s.sign();
            Signature v = Signature.getInstance(alg, "SunRsaSign");
            v.initVerify(kp.getPublic());
            v.update(msg);
            assertTrue(v.verify(sig), alg);
        }
        kp = generate("RSA", SLOT_9D); // PIV: 9D decrypts, 9A/9C sign
        Cipher enc = Cipher.getInstance("RSA/ECB/PKCS1Padding", "SunJCE");
        enc.init(Cipher.ENCRYPT_MODE, kp.getPublic());
        byte[] ct = enc.doFinal("a session key".getBytes());
        Cipher dec = Cipher.getInstance("RSA/ECB/PKCS1Padding");
        dec.init(Cipher.DECRYPT_MODE, kp.getPrivate());
        assertEquals(CardsmithProvider.NAME, dec.getProvider().getName());
        assertArrayEquals("a session key".getBytes(), dec.doFinal(ct));
        // wrap/unwrap of an AES key
        javax.crypto.SecretKey aes = new javax.crypto.spec.SecretKeySpec(new byte[16], "AES");
        Cipher w = Cipher.getInstance("RSA/ECB/PKCS1Padding", provider);
        w.init(Cipher.WRAP_MODE, kp.getPublic());
        byte[] wrapped = w.wrap(aes);
        Cipher u = Cipher.getInstance("RSA", provider);
        u.init(Cipher.UNWRAP_MODE, kp.getPrivate());
        assertArrayEquals(aes.getEncoded(), u.unwrap(wrapped, "AES", Cipher.SECRET_KEY).getEncoded());
        // tampered ciphertext: the card answers a synthetic block (implicit rejection), so the caller
        // gets some other plaintext and no padding verdict (no Bleichenbacher oracle)
        ct[5] ^= 0x55;
        dec.init(Cipher.DECRYPT_MODE, kp.getPrivate());
        assertFalse(java.util.Arrays.equals("a session key".getBytes(), dec.doFinal(ct)));
        assertThrows(NoSuchPaddingException.class, () -> Cipher.getInstance("RSA/ECB/OAEPWithSHA-256AndMGF1Padding", provider));
        KeyPair decrypter = kp;
        assertThrows(InvalidKeyException.class, () -> Cipher.getInstance("RSA", provider).init(Cipher.ENCRYPT_MODE, decrypter.getPrivate()));
    }

    @Test
    void ecdhAgreesWithJdk() throws Exception {
        keyStore(PIN);
        KeyPair card = generate("EC", SLOT_9D);
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC", "SunEC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair peer = g.generateKeyPair();
        KeyAgreement a = KeyAgreement.getInstance("ECDH");
        a.init(card.getPrivate());
        a.doPhase(peer.getPublic(), true);
        assertEquals(CardsmithProvider.NAME, a.getProvider().getName());
        byte[] onCard = a.generateSecret();
        KeyAgreement b = KeyAgreement.getInstance("ECDH", "SunEC");
        b.init(peer.getPrivate());
        b.doPhase(card.getPublic(), true);
        assertArrayEquals(b.generateSecret(), onCard);
    }

    @Test
    void keyStoreListsSlotsAndNeverExportsPrivateKeys() throws Exception {
        KeyStore ks = keyStore(PIN);
        assertEquals(0, ks.size());
        KeyPair kp = generate("EC", SLOT_9A);
        KeyStore ks2 = keyStore(PIN);
        assertEquals(List.of("9a"), Collections.list(ks2.aliases()));
        check(ks2, kp);
    }

    private void check(KeyStore ks, KeyPair kp) throws Exception {
        Key k = ks.getKey("9a", PIN);
        assertInstanceOf(PrivateKey.class, k);
        assertNull(k.getEncoded(), "no private key export");
        assertNull(k.getFormat());
        assertEquals(kp.getPublic(), ((CardPrivateKey) k).publicKey());
        assertNull(ks.getCertificate("9a"));
        X509Certificate cert = CardCertificates.selfSigned(provider, (CardPrivateKey) k, "CN=signer", Duration.ofDays(30));
        ks.setKeyEntry("9a", k, null, new java.security.cert.Certificate[] {cert});
        assertEquals(cert, ks.getCertificate("9a"));
        assertEquals("9a", ks.getCertificateAlias(cert));
        assertThrows(java.security.KeyStoreException.class, () -> ks.setCertificateEntry("x", cert));
        KeyPairGenerator soft = KeyPairGenerator.getInstance("EC", "SunEC");
        soft.initialize(256);
        PrivateKey software = soft.generateKeyPair().getPrivate();
        assertThrows(java.security.KeyStoreException.class, () -> ks.setKeyEntry("soft", software, null, new java.security.cert.Certificate[] {cert}));
        ks.deleteEntry("9a"); // PIV deletes no key: the certificate object is emptied
        assertNull(ks.getCertificate("9a"));
    }

    @Test
    void rsaCertificateLongerThanOneApdu() throws Exception {
        keyStore(PIN);
        KeyPair kp = generate("RSA", SLOT_9A);
        X509Certificate cert = CardCertificates.selfSigned(provider, (CardPrivateKey) kp.getPrivate(), "CN=Cardsmith RSA test, O=cardsmith", Duration.ofDays(1));
        assertTrue(cert.getEncoded().length > 255);
        var before = session.stats().snapshot();
        provider.card().putCertificate(((CardPrivateKey) kp.getPrivate()).slot(), cert.getEncoded());
        int chained = session.stats().since(before).apdus();
        int nc = PivApdus.putData(PivSlot.AUTHENTICATION.certificateObject(), PivApdus.certificateObject(cert.getEncoded())).getNc();
        assertEquals((nc + 254) / 255, chained);
        assertEquals(cert, provider.card().certificate(((CardPrivateKey) kp.getPrivate()).slot()));
    }

    @Test
    void wrongPinOnLoadCountsDownAndBlocks() throws Exception {
        IOException e = assertThrows(IOException.class, () -> keyStore("000000".toCharArray()));
        assertInstanceOf(UnrecoverableKeyException.class, e.getCause());
        assertEquals(2, provider.card().pinTriesLeft());
        assertThrows(IOException.class, () -> keyStore("000000".toCharArray()));
        assertThrows(IOException.class, () -> keyStore("000000".toCharArray()));
        assertEquals(0, provider.card().pinTriesLeft());
        assertThrows(IOException.class, () -> keyStore(PIN), "blocked");
        provider.card().unblockPin("12345678".toCharArray(), PIN);
        keyStore(PIN);
    }

    @Test
    void signingWithoutPinIsRefused() throws Exception {
        keyStore(PIN);
        KeyPair kp = generate("EC", SLOT_9A);
        provider.card().logout();
        Signature s = Signature.getInstance("SHA256withECDSA", provider);
        s.initSign(kp.getPrivate());
        s.update(new byte[1]);
        java.security.SignatureException e = assertThrows(java.security.SignatureException.class, s::sign);
        assertTrue(e.getMessage().contains("PIN"));
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC", provider);
        g.initialize(new CardKeyGenParameterSpec(SLOT_9A, null));
        assertThrows(ProviderException.class, g::generateKeyPair, "GENERATE needs the management key");
    }

    @Test
    void pinIsNotReplayedAfterCardReset() throws Exception {
        keyStore(PIN);
        KeyPair kp = generate("EC", SLOT_9A);
        session.reset(); // power cycle: the card forgets the verified PIN and the selection
        Signature s = Signature.getInstance("SHA256withECDSA", provider);
        s.initSign(kp.getPrivate());
        s.update(new byte[1]);
        java.security.SignatureException e = assertThrows(java.security.SignatureException.class, s::sign,
                "the provider holds no PIN to log in again with");
        assertTrue(e.getMessage().contains("6982"), e.getMessage());
        provider.login(PIN); // the application, which has the PIN, logs in again
        s.update(new byte[1]);
        assertNotNull(s.sign());
    }

    @Test
    void secureRandomFromTheCard() throws Exception {
        SecureRandom r = SecureRandom.getInstance(CardsmithProvider.RANDOM, provider);
        byte[] a = new byte[600];
        var before = session.stats().snapshot();
        r.nextBytes(a);
        assertTrue(session.stats().since(before).apdus() >= 3, "600 bytes = 75 management-key challenges of 8 bytes");
        assertFalse(java.util.Arrays.equals(new byte[600], a));
    }

    @Test
    void keyGeneratorRejectsWhatTheCardCannotDo() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC", provider);
        assertThrows(java.security.InvalidAlgorithmParameterException.class, () -> g.initialize(new ECGenParameterSpec("secp521r1")));
        assertThrows(java.security.InvalidParameterException.class, () -> g.initialize(521)); // P-256 and P-384 only (CspP384Test)
        KeyPairGenerator r = KeyPairGenerator.getInstance("RSA", provider);
        assertThrows(java.security.InvalidParameterException.class, () -> r.initialize(3072));
    }

    @Test
    void offCurvePeerPointIsRefusedByTheHost() throws Exception {
        keyStore(PIN);
        KeyPair card = generate("EC", SLOT_9D);
        ECPublicKey real = (ECPublicKey) card.getPublic();
        PublicKey bogus = new ECPublicKey() {
            public java.security.spec.ECPoint getW() {
                return new java.security.spec.ECPoint(real.getW().getAffineX(), real.getW().getAffineY().add(java.math.BigInteger.ONE));
            }
            public String getAlgorithm() { return "EC"; }
            public String getFormat() { return null; }
            public byte[] getEncoded() { return null; }
            public java.security.spec.ECParameterSpec getParams() { return real.getParams(); }
        };
        KeyAgreement a = KeyAgreement.getInstance("ECDH", provider);
        a.init(card.getPrivate());
        var before = session.stats().snapshot();
        assertThrows(InvalidKeyException.class, () -> a.doPhase(bogus, true));
        assertEquals(0, session.stats().since(before).apdus());
    }

    @Test
    void configuredByStringAndPersistentAcrossProviders(@TempDir Path dir) throws Exception {
        assertThrows(IllegalArgumentException.class, () -> new CardsmithProvider("floppy:a"));
        assertFalse(new CardsmithProvider().isConfigured() && CardConfig.fromEnvironment() == null);
        Path file = dir.resolve("card.sim");
        CardsmithProvider p1 = (CardsmithProvider) new CardsmithProvider().configure("sim:" + file);
        assertTrue(p1.isConfigured());
        p1.card().changePin(DEFAULT_PIN, PIN);
        KeyStore ks = KeyStore.getInstance(CardsmithProvider.KEYSTORE_TYPE, p1);
        ks.load(null, PIN);
        p1.authenticateManagement(CardsmithProvider.factoryManagementKey());
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC", p1);
        g.initialize(new CardKeyGenParameterSpec(3, null));
        PublicKey pub = g.generateKeyPair().getPublic();
        p1.close();

        CardsmithProvider p2 = new CardsmithProvider("sim:" + file);
        KeyStore ks2 = KeyStore.getInstance(CardsmithProvider.KEYSTORE_TYPE, p2);
        ks2.load(null, PIN);
        CardPrivateKey k = (CardPrivateKey) ks2.getKey("9e", null);
        assertEquals(3, k.slot());
        assertEquals(pub, k.publicKey());
        Signature s = Signature.getInstance("SHA256withECDSA", p2);
        s.initSign(k);
        s.update(new byte[3]);
        byte[] sig = s.sign();
        Signature v = Signature.getInstance("SHA256withECDSA", "SunEC");
        v.initVerify(pub);
        v.update(new byte[3]);
        assertTrue(v.verify(sig));
        p2.close();
    }
}
