package dev.cardsmith.applet.piv;

import dev.cardsmith.applet.JdkEc;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import javax.crypto.Cipher;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.RSAPublicKey;
import java.util.Arrays;
import java.util.HexFormat;

import static dev.cardsmith.applet.piv.PivCard.cat;
import static dev.cardsmith.applet.piv.PivCard.tlv;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The SP 800-73-4 card edge, command by command, in jCardSim. */
class PivAppletTest {

    static final HexFormat HEX = HexFormat.of();
    PivCard piv;

    @BeforeEach
    void install() {
        piv = new PivCard();
    }

    @AfterEach
    void close() {
        piv.close();
    }

    @Test
    void selectByTruncatedAidAnswersThePropertyTemplate() {
        PivCard.Rsp r = piv.raw(HEX.parseHex("00A4040005A00000030800"));
        assertEquals(0x9000, r.sw());
        String t = HEX.formatHex(r.data());
        assertTrue(t.startsWith("61"), t);
        assertTrue(t.contains("4f06000010000100"), t);
        assertTrue(t.contains("79074f05a000000308"), t);
        assertTrue(t.contains("800107") && t.contains("800111") && t.contains("800114") && t.contains("800103") && t.contains("80010c"), t);
        assertEquals(r.data().length - 2, r.data()[1] & 0xFF);
    }

    @Test
    void getDataAnswersDiscoveryChuidAndCccAnd6A82ForAbsentObjects() {
        PivCard.Rsp d = piv.send(Constants.INS_GET_DATA, 0x3F, 0xFF, HEX.parseHex("5C017E"));
        assertEquals("7e124f0ba0000003080000100001005f2f024000", HEX.formatHex(d.data()));
        PivCard.Rsp chuid = piv.send(Constants.INS_GET_DATA, 0x3F, 0xFF, HEX.parseHex("5C035FC102"));
        assertEquals(0x9000, chuid.sw());
        assertEquals(0x53, chuid.data()[0] & 0xFF);
        assertEquals(chuid.data().length - 2, chuid.data()[1] & 0xFF);
        assertEquals(0x9000, piv.send(Constants.INS_GET_DATA, 0x3F, 0xFF, HEX.parseHex("5C035FC107")).sw());
        assertEquals(0x6A82, piv.send(Constants.INS_GET_DATA, 0x3F, 0xFF, HEX.parseHex("5C035FC105")).sw());
        assertEquals(0x6A82, piv.send(Constants.INS_GET_DATA, 0x3F, 0xFF, HEX.parseHex("5C035FC10C")).sw());
        assertEquals(0x6A82, piv.send(Constants.INS_GET_DATA, 0x3F, 0xFF, HEX.parseHex("5C035FC108")).sw(), "facial image: not kept");
        assertEquals(0x6A80, piv.send(Constants.INS_GET_DATA, 0x3F, 0xFF, HEX.parseHex("5C045FC10500")).sw());
        assertEquals(0x6A86, piv.send(Constants.INS_GET_DATA, 0x3F, 0x00, HEX.parseHex("5C017E")).sw());
    }

    @Test
    void verifyCountsDownReportsStatusAndResets() {
        assertEquals(0x63C3, piv.send(Constants.INS_VERIFY, 0, 0x80, new byte[0]).sw(), "not verified: tries left");
        assertEquals(0x63C2, piv.verify(PivCard.pad("999999")));
        assertEquals(0x9000, piv.verify(PivCard.PIN));
        assertEquals(0x9000, piv.send(Constants.INS_VERIFY, 0, 0x80, new byte[0]).sw());
        assertEquals(0x9000, piv.release());
        assertEquals(0x63C3, piv.send(Constants.INS_VERIFY, 0, 0x80, new byte[0]).sw(), "released, counter back at 3");
        assertEquals(0x6A80, piv.verify("123456".getBytes()), "not padded to 8");
        assertEquals(0x6A88, piv.send(Constants.INS_VERIFY, 0, 0x81, PivCard.PUK).sw(), "the PUK is not verified");
        piv.verify(PivCard.pad("000000"));
        piv.verify(PivCard.pad("000000"));
        assertEquals(0x6983, piv.verify(PivCard.pad("000000")));
        assertEquals(0x6983, piv.verify(PivCard.PIN), "blocked");
        assertEquals(0x63C2, piv.send(Constants.INS_RESET_RETRY_COUNTER, 0, 0x80, cat(PivCard.pad("0000000"), PivCard.NEW_PIN)).sw());
        assertEquals(0x9000, piv.send(Constants.INS_RESET_RETRY_COUNTER, 0, 0x80, cat(PivCard.PUK, PivCard.NEW_PIN)).sw());
        assertEquals(0x9000, piv.verify(PivCard.NEW_PIN));
    }

    @Test
    void changeReferenceDataChecksTheOldValueAndTheNewFormat() {
        assertEquals(0x6A80, piv.changePin(PivCard.PIN, PivCard.pad("12a456")), "not digits");
        assertEquals(0x6A80, piv.changePin(PivCard.PIN, PivCard.pad("12345")), "too short");
        assertEquals(0x63C2, piv.changePin(PivCard.pad("654321"), PivCard.NEW_PIN));
        assertEquals(0x9000, piv.changePin(PivCard.PIN, PivCard.NEW_PIN));
        assertEquals(0x63C2, piv.verify(PivCard.PIN));
        assertEquals(0x9000, piv.verify(PivCard.NEW_PIN));
        byte[] newPuk = "87654321".getBytes();
        assertEquals(0x9000, piv.send(Constants.INS_CHANGE_REFERENCE_DATA, 0, 0x81, cat(PivCard.PUK, newPuk)).sw());
        assertEquals(0x63C2, piv.send(Constants.INS_RESET_RETRY_COUNTER, 0, 0x80, cat(PivCard.PUK, PivCard.PIN)).sw());
    }

    @Test
    void managementKeyMutualAndExternalAuthentication() throws Exception {
        assertEquals(0x6982, piv.generate(0x9A, 0x11).sw(), "generate needs 9B");
        byte[] wrong = MGMT_WRONG.clone();
        assertEquals(0x6982, piv.authenticate(wrong));
        assertEquals(0x6985, piv.send(Constants.INS_GENERAL_AUTHENTICATE, 3, 0x9B,
                tlv(0x7C, cat(tlv(0x80, new byte[8]), tlv(0x81, new byte[8])))).sw(), "no witness pending");
        assertEquals(0x9000, piv.authenticate(PivCard.MGMT));
        assertEquals(0x9000, piv.generate(0x9A, 0x11).sw());
        assertEquals(0x6A86, piv.send(Constants.INS_GENERAL_AUTHENTICATE, 8, 0x9B, HEX.parseHex("7C028000")).sw(), "not an AES key");
        // external: 81 00 -> R, then 82 E(R)
        piv.release();
        PivCard.Rsp ch = piv.send(Constants.INS_GENERAL_AUTHENTICATE, 3, 0x9B, HEX.parseHex("7C028100"));
        assertEquals(0x9000, ch.sw());
        byte[] r = Arrays.copyOfRange(ch.data(), 4, 12);
        Cipher c = Cipher.getInstance("DESede/ECB/NoPadding");
        c.init(Cipher.ENCRYPT_MODE, new javax.crypto.spec.SecretKeySpec(PivCard.MGMT, "DESede"));
        assertEquals(0x9000, piv.send(Constants.INS_GENERAL_AUTHENTICATE, 3, 0x9B, tlv(0x7C, tlv(0x82, c.doFinal(r)))).sw());
        assertEquals(0x9000, piv.generate(0x9E, 0x11).sw());
    }

    /** The signature in a GENERAL AUTHENTICATE answer verifies over msg under pub. */
    static void assertVerifies(String alg, PublicKey pub, byte[] msg, PivCard.Rsp answer) throws Exception {
        assertEquals(0x9000, answer.sw());
        Signature v = Signature.getInstance(alg);
        v.initVerify(pub);
        v.update(msg);
        assertTrue(v.verify(PivCard.response(answer.data())), alg);
    }

    static final byte[] MGMT_WRONG = HEX.parseHex("0102030405060708010203040506070801020304050607FF");

    @Test
    void ecdsaSignaturesVerifyWithTheGeneratedKey() throws Exception {
        piv.authenticate(PivCard.MGMT);
        PivCard.Rsp g = piv.generate(0x9A, 0x11);
        assertEquals(0x9000, g.sw());
        assertEquals("7f4943", HEX.formatHex(g.data(), 0, 3));
        PublicKey pub = JdkEc.publicKey(PivCard.ecPoint(g.data()));
        piv.initialise();
        byte[] msg = "PIV".getBytes();
        byte[] hash = MessageDigest.getInstance("SHA-256").digest(msg);
        PivCard.Rsp s = piv.authenticate(0x11, 0x9A, 0x81, hash);
        assertEquals(0x9000, s.sw());
        assertVerifies("SHA256withECDSA", pub, msg, s);
        assertEquals(0x6A86, piv.authenticate(0x07, 0x9A, 0x81, hash).sw(), "P1 is not the slot's algorithm");
        assertEquals(0x6A88, piv.authenticate(0x11, 0x9C, 0x81, hash).sw(), "empty slot");
        // SHA-384 hash on P-256: the leftmost 32 bytes are signed (FIPS 186-4 6.4)
        byte[] h384 = MessageDigest.getInstance("SHA-384").digest(msg);
        PivCard.Rsp s2 = piv.authenticate(0x11, 0x9A, 0x81, h384);
        assertVerifies("SHA384withECDSA", pub, msg, s2);
    }

    @Test
    void p384SignaturesVerifyAndTheKeyManagementSlotStaysP256() throws Exception {
        piv.authenticate(PivCard.MGMT);
        PivCard.Rsp g = piv.generate(0x9C, 0x14);
        assertEquals(0x9000, g.sw());
        assertEquals("7f496386610", HEX.formatHex(g.data(), 0, 6).substring(0, 11));
        java.security.AlgorithmParameters ap = java.security.AlgorithmParameters.getInstance("EC");
        ap.init(new java.security.spec.ECGenParameterSpec("secp384r1"));
        java.security.spec.ECParameterSpec spec = ap.getParameterSpec(java.security.spec.ECParameterSpec.class);
        byte[] w = Arrays.copyOfRange(g.data(), 5, 5 + 97);
        PublicKey pub = java.security.KeyFactory.getInstance("EC").generatePublic(new java.security.spec.ECPublicKeySpec(
                new java.security.spec.ECPoint(new BigInteger(1, Arrays.copyOfRange(w, 1, 49)), new BigInteger(1, Arrays.copyOfRange(w, 49, 97))), spec));
        piv.initialise();
        byte[] msg = "P-384".getBytes();
        PivCard.Rsp s = piv.authenticate(0x14, 0x9C, 0x81, MessageDigest.getInstance("SHA-384").digest(msg));
        assertEquals(0x9000, s.sw());
        assertVerifies("SHA384withECDSA", pub, msg, s);
        assertEquals(0x6A80, piv.generate(0x9D, 0x14).sw(), "ECDH stays on P-256, whose points the card checks");
    }

    @Test
    void rsaPkcs1SignatureAndDecryptionThroughChainedCommands() throws Exception {
        piv.authenticate(PivCard.MGMT);
        PivCard.Rsp g = piv.generate(0x9A, 0x07);
        assertEquals(0x9000, g.sw());
        PublicKey pub = PivCard.rsaKey(g.data());
        piv.initialise();
        byte[] msg = "PIV RSA".getBytes();
        byte[] block = RsaBlocks.pkcs1(MessageDigest.getInstance("SHA-256").digest(msg), "SHA-256");
        PivCard.Rsp s = piv.authenticate(0x07, 0x9A, 0x81, block);
        assertEquals(0x9000, s.sw());
        assertVerifies("SHA256withRSA", pub, msg, s);

        PivCard.Rsp k = piv.generate(0x9D, 0x07);
        assertEquals(0x9000, k.sw());
        RSAPublicKey kmk = (RSAPublicKey) PivCard.rsaKey(k.data());
        Cipher enc = Cipher.getInstance("RSA/ECB/PKCS1Padding");
        enc.init(Cipher.ENCRYPT_MODE, kmk);
        byte[] secret = HEX.parseHex("00112233445566778899aabbccddeeff");
        PivCard.Rsp d = piv.authenticate(0x07, 0x9D, 0x81, enc.doFinal(secret));
        assertEquals(0x9000, d.sw());
        assertArrayEquals(secret, RsaBlocks.unpadType2(PivCard.response(d.data())));
    }

    @Test
    void ecdhAgreesWithTheHost() throws Exception {
        piv.authenticate(PivCard.MGMT);
        PivCard.Rsp g = piv.generate(0x9D, 0x11);
        PublicKey cardKey = JdkEc.publicKey(PivCard.ecPoint(g.data()));
        piv.initialise();
        KeyPair host = JdkEc.generate();
        PivCard.Rsp z = piv.authenticate(0x11, 0x9D, 0x85, JdkEc.point(host.getPublic()));
        assertEquals(0x9000, z.sw());
        assertArrayEquals(JdkEc.ecdh(host.getPrivate(), cardKey), PivCard.response(z.data()));
    }

    @Test
    void signatureKeyNeedsThePinRightBeforeEachUse() throws Exception {
        piv.authenticate(PivCard.MGMT);
        piv.generate(0x9C, 0x11);
        piv.initialise();
        byte[] hash = new byte[32];
        assertEquals(0x9000, piv.authenticate(0x11, 0x9C, 0x81, hash).sw(), "right after VERIFY");
        assertEquals(0x6982, piv.authenticate(0x11, 0x9C, 0x81, hash).sw(), "PIN always: consumed");
        piv.verify(PivCard.NEW_PIN);
        piv.send(Constants.INS_GET_DATA, 0x3F, 0xFF, HEX.parseHex("5C017E"));
        assertEquals(0x6982, piv.authenticate(0x11, 0x9C, 0x81, hash).sw(), "another command in between disarms");
        piv.verify(PivCard.NEW_PIN);
        assertEquals(0x9000, piv.authenticate(0x11, 0x9C, 0x81, hash).sw());
    }

    @Test
    void cardAuthenticationKeyNeedsNoPin() throws Exception {
        piv.authenticate(PivCard.MGMT);
        piv.generate(0x9E, 0x11);
        piv.initialise();
        piv.release();
        assertEquals(0x9000, piv.authenticate(0x11, 0x9E, 0x81, new byte[32]).sw());
    }

    @Test
    void putDataStoresAChainedCertificateObject() throws Exception {
        byte[] cert = new byte[1500];
        cert[0] = 0x30;
        cert[1] = (byte) 0x82;
        cert[2] = (byte) ((1496) >> 8);
        cert[3] = (byte) 1496;
        byte[] object = tlv(0x53, cat(tlv(0x70, cert), HEX.parseHex("710100FE00")));
        byte[] cmd = cat(HEX.parseHex("5C035FC105"), object);
        assertEquals(0x6982, piv.send(Constants.INS_PUT_DATA, 0x3F, 0xFF, cmd).sw(), "needs 9B");
        piv.authenticate(PivCard.MGMT);
        assertEquals(0x9000, piv.send(Constants.INS_PUT_DATA, 0x3F, 0xFF, cmd).sw());
        PivCard.Rsp r = piv.send(Constants.INS_GET_DATA, 0x3F, 0xFF, HEX.parseHex("5C035FC105"));
        assertEquals(0x9000, r.sw());
        assertArrayEquals(object, r.data());
        byte[] notCert = cat(HEX.parseHex("5C035FC10A"), tlv(0x53, tlv(0x70, new byte[] {1, 2, 3})));
        assertEquals(0x6A80, piv.send(Constants.INS_PUT_DATA, 0x3F, 0xFF, notCert).sw());
        assertEquals(0x9000, piv.send(Constants.INS_PUT_DATA, 0x3F, 0xFF, HEX.parseHex("5C035FC1055300")).sw(), "53 00 deletes");
        assertEquals(0x6A82, piv.send(Constants.INS_GET_DATA, 0x3F, 0xFF, HEX.parseHex("5C035FC105")).sw());
        assertEquals(0x6A84, piv.send(Constants.INS_PUT_DATA, 0x3F, 0xFF,
                cat(HEX.parseHex("5C035FC10C"), tlv(0x53, tlv(0x04, new byte[200])))).sw(), "key history is small");
    }

    @Test
    void metadataTellsDefaultsAndPublicKeys() throws Exception {
        assertEquals("0101ff050101060203" + "03", HEX.formatHex(piv.send(Constants.INS_GET_METADATA, 0, 0x80, new byte[0]).data()));
        assertEquals("010103020201010501" + "01", HEX.formatHex(piv.send(Constants.INS_GET_METADATA, 0, 0x9B, new byte[0]).data()));
        assertEquals(0x6A88, piv.send(Constants.INS_GET_METADATA, 0, 0x9A, new byte[0]).sw());
        piv.authenticate(PivCard.MGMT);
        PivCard.Rsp g = piv.generate(0x9C, 0x11);
        byte[] m = piv.send(Constants.INS_GET_METADATA, 0, 0x9C, new byte[0]).data();
        assertEquals("010111020203010301010443" + "8641", HEX.formatHex(m, 0, 14));
        assertArrayEquals(PivCard.ecPoint(g.data()), Arrays.copyOfRange(m, 14, 14 + 65));
        piv.changePin(PivCard.PIN, PivCard.NEW_PIN);
        assertEquals("00", HEX.formatHex(piv.send(Constants.INS_GET_METADATA, 0, 0x80, new byte[0]).data(), 5, 6));
    }

    @Test
    void setManagementKeyToAes256() throws Exception {
        byte[] aes = new byte[32];
        Arrays.fill(aes, (byte) 0x42);
        byte[] data = cat(new byte[] {Constants.ALG_AES_256, (byte) 0x9B, 32}, aes);
        assertEquals(0x6982, piv.send(Constants.INS_SET_MANAGEMENT_KEY, 0xFF, 0xFF, data).sw());
        piv.authenticate(PivCard.MGMT);
        assertEquals(0x9000, piv.send(Constants.INS_SET_MANAGEMENT_KEY, 0xFF, 0xFF, data).sw());
        piv.release();
        PivCard.Rsp w = piv.send(Constants.INS_GENERAL_AUTHENTICATE, 0x0C, 0x9B, HEX.parseHex("7C028000"));
        assertEquals(0x9000, w.sw());
        assertEquals(20, w.data().length, "a 16-byte AES witness");
        Cipher c = Cipher.getInstance("AES/ECB/NoPadding");
        c.init(Cipher.DECRYPT_MODE, new javax.crypto.spec.SecretKeySpec(aes, "AES"));
        byte[] witness = c.doFinal(Arrays.copyOfRange(w.data(), 4, 20));
        PivCard.Rsp r = piv.send(Constants.INS_GENERAL_AUTHENTICATE, 0x0C, 0x9B, tlv(0x7C, cat(tlv(0x80, witness), tlv(0x81, new byte[16]))));
        assertEquals(0x9000, r.sw());
        assertEquals(0x9000, piv.generate(0x9A, 0x11).sw());
        assertTrue(new BigInteger(1, PivCard.ecPoint(piv.generate(0x9A, 0x11).data())).signum() > 0);
    }
}
