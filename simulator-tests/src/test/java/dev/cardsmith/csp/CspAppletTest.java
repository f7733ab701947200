package dev.cardsmith.csp;

import dev.cardsmith.crypto.EcP256;
import dev.cardsmith.applet.csp.Constants;
import dev.cardsmith.applet.platform.Sw;
import dev.cardsmith.transport.CardSession;
import dev.cardsmith.transport.CardStatusException;
import dev.cardsmith.support.CardTest;
import dev.cardsmith.support.CardUnderTest;
import dev.cardsmith.support.SimulatorOnly;
import dev.cardsmith.transport.CardTransports;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import javax.crypto.Cipher;
import javax.crypto.KeyAgreement;
import javax.smartcardio.CommandAPDU;
import javax.smartcardio.ResponseAPDU;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

/** The CSP applet in jCardSim through {@link CspCard} (APDU level). */
@CardTest
class CspAppletTest {

    static final char[] PIN = "123456".toCharArray();
    static final char[] PUK = "12345678".toCharArray();

    CardSession session;
    CspCard card;

    @BeforeEach
    void installAndSelect() {
        session = new CardSession(CardUnderTest.fresh());
        card = new CspCard(session);
        card.select();
    }

    @AfterEach
    void close() {
        session.close();
    }

    private int sw(Runnable r) {
        try {
            r.run();
            return 0x9000;
        } catch (CardStatusException e) {
            return e.sw();
        }
    }

    @Test
    void claim44_selectReportsSlotsAndAlgorithms() {
        CardInfo info = card.select();
        assertEquals(Constants.SLOT_COUNT, info.slots());
        assertTrue(info.rsaSupported());
        assertEquals(Constants.CERT_MAX, info.certificateMax());
    }

    @Test
    void claim42_ecdsaOverHostHashVerifiesWithJdk() throws Exception {
        card.login(PIN);
        PublicKey pub = card.generate(0, KeyAlgorithm.EC_P256, "sig");
        byte[] msg = "seed 003 claim 24".getBytes();
        byte[] hash = MessageDigest.getInstance("SHA-256").digest(msg);
        var before = session.stats().snapshot();
        byte[] sig = card.signEcdsa(0, hash);
        assertEquals(1, session.stats().since(before).apdus(), "one APDU per signature");
        Signature v = Signature.getInstance("SHA256withECDSA");
        v.initVerify(pub);
        v.update(msg);
        assertTrue(v.verify(sig));
        assertEquals(pub, card.publicKey(0));
    }

    @Test
    void claim42_rsaPkcs1SignAndDecrypt() throws Exception {
        card.login(PIN);
        PublicKey pub = card.generate(1, KeyAlgorithm.RSA_2048, "rsa");
        assertEquals(2048, ((RSAPublicKey) pub).getModulus().bitLength());
        assertEquals(java.math.BigInteger.valueOf(65537), ((RSAPublicKey) pub).getPublicExponent());
        byte[] msg = "hello".getBytes();
        byte[] di = HostCrypto.digestInfo("SHA-256", MessageDigest.getInstance("SHA-256").digest(msg));
        byte[] sig = card.signRsaPkcs1(1, di);
        Signature v = Signature.getInstance("SHA256withRSA");
        v.initVerify(pub);
        v.update(msg);
        assertTrue(v.verify(sig));

        Cipher c = Cipher.getInstance("RSA/ECB/PKCS1Padding");
        c.init(Cipher.ENCRYPT_MODE, pub);
        byte[] ct = c.doFinal("secret session key".getBytes());
        var before = session.stats().snapshot();
        assertArrayEquals("secret session key".getBytes(), card.decryptRsaPkcs1(1, ct));
        assertEquals(2, session.stats().since(before).apdus(), "256-byte ciphertext = a chain of two APDUs");
        // bad padding: a random block is no PKCS#1 type 2 block
        byte[] junk = new byte[256];
        junk[1] = 5;
        assertEquals(Sw.WRONG_DATA & 0xFFFF, sw(() -> card.decryptRsaPkcs1(1, junk)));
    }

    @Test
    void ecdhAgreesWithJdk() throws Exception {
        card.login(PIN);
        ECPublicKey cardPub = (ECPublicKey) card.generate(2, KeyAlgorithm.EC_P256, "dh");
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair peer = g.generateKeyPair();
        byte[] onCard = card.ecdh(2, EcP256.encode((ECPublicKey) peer.getPublic()));
        KeyAgreement ka = KeyAgreement.getInstance("ECDH");
        ka.init(peer.getPrivate());
        ka.doPhase(cardPub, true);
        assertArrayEquals(ka.generateSecret(), onCard);
        // A point off the curve: jCardSim 3.0.5.11's KeyAgreement does not check it (real chips
        // do), so the host refuses it before it reaches the card (CardKeyAgreementSpi).
        byte[] bad = EcP256.encode((ECPublicKey) peer.getPublic());
        bad[64] ^= 1;
        assertThrows(java.security.InvalidKeyException.class, () -> HostCrypto.checkOnCurve(bad));
    }

    @Test
    void longCertificateUsesChainingAndGetResponse() {
        card.login(PIN);
        card.generate(0, KeyAlgorithm.EC_P256, "c");
        byte[] der = new byte[1000];
        for (int i = 0; i < der.length; i++) der[i] = (byte) i;
        der[0] = 0x30;
        card.putCertificate(0, der);
        ResponseAPDU r = session.transmit(CspApdus.getCertificate(0));
        assertEquals(0x9000, r.getSW());
        assertArrayEquals(der, r.getData());
        assertEquals(1000, card.slots().get(0).certificateLength());
        byte[] tooBig = new byte[Constants.CERT_MAX + 1];
        tooBig[0] = 0x30;
        assertThrows(IllegalArgumentException.class, () -> CspApdus.putCertificate(0, tooBig));
        byte[] notDer = new byte[10];
        assertEquals(Sw.WRONG_DATA & 0xFFFF, sw(() -> card.putCertificate(0, notDer)));
        assertArrayEquals(der, session.transmit(CspApdus.getCertificate(0)).getData(), "failed PUT keeps the old certificate");
    }

    @Test
    void tearDuringPutCertificateKeepsTheOldCertificate() {
        card.login(PIN);
        card.generate(0, KeyAlgorithm.EC_P256, "c");
        byte[] old = new byte[300];
        old[0] = 0x30;
        Arrays.fill(old, 1, old.length, (byte) 0x11);
        card.putCertificate(0, old);
        // the first link of a new chain reaches the card, then the card is torn from the reader
        byte[] part = new byte[255];
        part[0] = 0x30;
        Arrays.fill(part, 1, part.length, (byte) 0x22);
        assertEquals(0x9000, session.transmit(new CommandAPDU(0x90, Constants.INS_PUT_CERTIFICATE, 0, 0, part)).getSW());
        session.reset();
        card.select();
        assertArrayEquals(old, session.transmit(CspApdus.getCertificate(0)).getData());
        // a chain broken off by another command is abandoned, the old certificate stays
        card.login(PIN);
        assertEquals(0x9000, session.transmit(new CommandAPDU(0x90, Constants.INS_PUT_CERTIFICATE, 0, 0, part)).getSW());
        card.slots();
        assertEquals(0x9000, session.transmit(new CommandAPDU(0x80, Constants.INS_PUT_CERTIFICATE, 0, 0, new byte[] {0x30, 0})).getSW());
        assertArrayEquals(new byte[] {0x30, 0}, session.transmit(CspApdus.getCertificate(0)).getData(), "a fresh one-APDU certificate");
        // an empty PUT CERTIFICATE deletes it
        assertEquals(0x9000, session.transmit(new CommandAPDU(0x80, Constants.INS_PUT_CERTIFICATE, 0, 0)).getSW());
        assertEquals(0x6A88, session.transmit(CspApdus.getCertificate(0)).getSW());
    }

    @Test
    @SimulatorOnly("the card's state lives in a jCardSim state file across processes")
    void claim15_stateSurvivesAcrossProcessesInTheSimFile(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path f = dir.resolve("card.sim");
        PublicKey pub;
        try (CardSession s = new CardSession(CardTransports.open("sim:" + f))) {
            CspCard c = new CspCard(s);
            c.login(PIN);
            pub = c.generate(3, KeyAlgorithm.EC_P256, "persist");
            assertEquals(0x63C2, swOf(() -> c.login("000000".toCharArray())));
        }
        try (CardSession s = new CardSession(CardTransports.open("sim:" + f))) {
            CspCard c = new CspCard(s);
            assertEquals(pub, c.publicKey(3), "same on-card key after replay");
            assertEquals(2, c.pinTriesLeft());
            assertEquals("persist", c.slots().get(3).label());
        }
    }

    private static int swOf(Runnable r) {
        try {
            r.run();
            return 0x9000;
        } catch (CardStatusException e) {
            return e.sw();
        }
    }

    @Test
    void wrongPinCountsDownBlocksAndPukUnblocks() {
        assertEquals(3, card.pinTriesLeft());
        assertEquals(0x63C2, sw(() -> card.login("000000".toCharArray())));
        assertEquals(0x63C1, sw(() -> card.login("000000".toCharArray())));
        assertEquals(0x6983, sw(() -> card.login("000000".toCharArray())));
        assertEquals(0, card.pinTriesLeft());
        assertEquals(0x6983, sw(() -> card.login(PIN)), "blocked: even the right PIN is refused");
        assertEquals(0x63C9, sw(() -> card.unblockPin("87654321".toCharArray(), "4321".toCharArray())));
        card.unblockPin(PUK, "4321".toCharArray());
        assertEquals(3, card.pinTriesLeft());
        card.login("4321".toCharArray());
        assertEquals(-1, card.pinTriesLeft());
    }

    @Test
    void privateKeyUseNeedsPin() {
        card.login(PIN);
        card.generate(0, KeyAlgorithm.EC_P256, "k");
        card.logout();
        byte[] h = new byte[32];
        assertEquals(0x6982, sw(() -> card.signEcdsa(0, h)));
        assertEquals(0x6982, sw(() -> card.generate(1, KeyAlgorithm.EC_P256, "x")));
        assertEquals(0x6982, sw(() -> card.delete(0)));
        assertNotNull(card.publicKey(0), "public key needs no PIN");
    }

    @Test
    void changePin() {
        card.changePin(PIN, "99999999".toCharArray());
        assertEquals(0x63C2, sw(() -> card.login(PIN)));
        card.login("99999999".toCharArray());
        assertEquals(0x63C2, sw(() -> card.changePin(PIN, "1111".toCharArray())));
    }

    @Test
    void negativeCases() {
        card.login(PIN);
        byte[] h = new byte[32];
        assertEquals(0x6A88, sw(() -> card.signEcdsa(0, h)), "empty slot");
        card.generate(0, KeyAlgorithm.EC_P256, "ec");
        assertThrows(IllegalArgumentException.class, () -> card.generate(1, KeyAlgorithm.EC_P256, "ec"), "labels are unique aliases");
        card.generate(0, KeyAlgorithm.EC_P256, "ec"); // regenerating the same slot keeps its label
        assertEquals(0x6985, sw(() -> card.signRsaPkcs1(0, new byte[51])), "EC key, RSA mechanism");
        assertEquals(0x6985, sw(() -> card.decryptRsaPkcs1(0, new byte[256])));
        assertEquals(0x6A86, raw(0x80, Constants.INS_SIGN, 7, 1, h), "slot out of range");
        assertEquals(0x6A86, raw(0x80, Constants.INS_SIGN, 0, 9, h), "unknown mechanism");
        assertEquals(0x6700, raw(0x80, Constants.INS_SIGN, 0, 1, new byte[20]), "hash must be 32 bytes");
        assertEquals(0x6E00, raw(0x00, Constants.INS_SIGN, 0, 1, h), "wrong class");
        assertEquals(0x6E00, raw(0x80, Constants.INS_VERIFY, 0, 0x81, "123456".getBytes()));
        assertEquals(0x6D00, raw(0x80, 0x50, 0, 0, h));
        assertEquals(0x6884, raw(0x90, Constants.INS_SIGN, 0, 1, h), "SIGN takes no chaining");
        assertEquals(0x6985, raw(0x00, Constants.INS_GET_RESPONSE, 0, 0, null), "nothing pending");
        assertEquals(0x6A80, raw(0x00, Constants.INS_GENERATE_ASYMMETRIC_KEY_PAIR, 0x80, 1, new byte[] {(byte) 0x80, 1, 1, (byte) 0x81, 40}), "label length");
        assertEquals(0x6A81, raw(0x00, Constants.INS_GENERATE_ASYMMETRIC_KEY_PAIR, 0x80, 1, new byte[] {(byte) 0x80, 1, 9}), "unknown algorithm");
        assertEquals(0x6A80, raw(0x00, Constants.INS_VERIFY, 0, 0x81, "12".getBytes()), "PIN too short");
        assertEquals(0x6A86, raw(0x00, Constants.INS_VERIFY, 0, 0x80, "12345678".getBytes()), "VERIFY is for the user PIN only");
        assertEquals(0x6A80, raw(0x00, Constants.INS_CHANGE_REFERENCE_DATA, 0, 0x81, new byte[] {6, '1'}), "broken LV");
        assertEquals(0x6A88, raw(0x80, Constants.INS_GET_CERTIFICATE, 0, 0, null), "no certificate");
        assertEquals(0x6A80, raw(0x80, Constants.INS_ECDH, 0, 0, new byte[65]), "not uncompressed");
    }

    private int raw(int cla, int ins, int p1, int p2, byte[] data) {
        CommandAPDU c = data == null ? new CommandAPDU(cla, ins, p1, p2, 256) : new CommandAPDU(cla, ins, p1, p2, data, 256);
        return session.transmit(c).getSW();
    }

    @Test
    void randomComesFromTheCard() {
        byte[] a = card.random(300);
        byte[] b = card.random(300);
        assertEquals(300, a.length);
        assertFalse(Arrays.equals(a, b));
    }

    @Test
    @SimulatorOnly("reads the private keys out of the jCardSim applet objects")
    void noPrivateKeyLeavesTheCard() throws Exception {
        // Every response of the session is captured; the private key bytes are read out of the
        // simulator's key objects (test only) and must appear in none of them.
        java.util.List<byte[]> responses = new java.util.ArrayList<>();
        session = new CardSession(CardUnderTest.fresh(), new dev.cardsmith.transport.ApduTrace() {
            @Override public void command(byte[] apdu) {}
            @Override public void response(byte[] resp) { responses.add(resp.clone()); }
            @Override public void note(String text) {}
        });
        card = new CspCard(session);
        card.login(PIN);
        card.generate(0, KeyAlgorithm.EC_P256, "e");
        card.generate(1, KeyAlgorithm.RSA_2048, "r");
        card.publicKey(0);
        card.publicKey(1);
        card.slots();
        card.signEcdsa(0, new byte[32]);
        card.signRsaPkcs1(1, new byte[51]);
        card.random(256);
        java.util.List<byte[]> secrets = SimKeys.privateKeyBytes(session);
        assertEquals(3, secrets.size());
        assertTrue(responses.size() >= 10);
        for (byte[] r : responses) for (byte[] s : secrets) assertFalse(SimKeys.contains(r, s));
    }
}
