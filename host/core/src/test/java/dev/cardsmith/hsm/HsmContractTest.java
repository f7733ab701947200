package dev.cardsmith.hsm;

import dev.cardsmith.crypto.Cmac;
import dev.cardsmith.crypto.Sp800108;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import javax.crypto.Cipher;
import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.RSAPublicKey;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The HSM port's contract: every back end passes it ({@link SoftwareHsmContractTest},
 * {@link Pkcs11HsmContractTest}). Labels are unique per test so token state never leaks.
 */
abstract class HsmContractTest {

    protected Hsm hsm;
    protected String p;

    protected abstract Hsm openHsm() throws Exception;

    @BeforeEach
    void open() throws Exception {
        hsm = openHsm();
        p = "t" + UUID.randomUUID().toString().substring(0, 8) + "-";
    }

    @AfterEach
    void close() {
        if (hsm != null) hsm.close();
    }

    @Test
    void aesKeyGenerateContainsCmacDelete() {
        assertFalse(hsm.contains(p + "k"));
        hsm.generateAesKey(p + "k", 128);
        assertTrue(hsm.contains(p + "k"));
        byte[] m1 = hsm.aesCmac(p + "k", new byte[] {1, 2, 3});
        assertEquals(16, m1.length);
        assertArrayEquals(m1, hsm.aesCmac(p + "k", new byte[] {1, 2, 3}));
        assertThrows(HsmException.class, () -> hsm.generateAesKey(p + "k", 128), "label exists");
        hsm.delete(p + "k");
        assertFalse(hsm.contains(p + "k"));
        assertThrows(HsmException.class, () -> hsm.aesCmac(p + "k", new byte[1]));
    }

    @Test
    void importedAesKeyCmacMatchesRfc4493() {
        // RFC 4493 section 4, Example 2 (16-byte message)
        byte[] key = dev.cardsmith.crypto.Hex.parse("2b7e151628aed2a6abf7158809cf4f3c");
        hsm.importAesKey(p + "imp", key.clone());
        assertEquals("070A16B46B4D4144F79BDD9DD04A287C",
                dev.cardsmith.crypto.Hex.of(hsm.aesCmac(p + "imp", dev.cardsmith.crypto.Hex.parse("6bc1bee22e409f96e93d7e117393172a"))));
    }

    @Test
    void ecKeyPairSignsVerifiably() throws Exception {
        PublicKey pub = hsm.generateEcKeyPair(p + "ec");
        assertEquals(pub, hsm.publicKey(p + "ec"));
        byte[] sig = hsm.signSha256WithEcdsa(p + "ec", "hello".getBytes(StandardCharsets.US_ASCII));
        Signature v = Signature.getInstance("SHA256withECDSA");
        v.initVerify(pub);
        v.update("hello".getBytes(StandardCharsets.US_ASCII));
        assertTrue(v.verify(sig));
        hsm.delete(p + "ec");
        assertFalse(hsm.contains(p + "ec"));
    }

    @Test
    void rsaOaepRoundTripAndInteroperatesWithJce() throws Exception {
        PublicKey pub = hsm.generateRsaKeyPair(p + "rsa", 2048);
        assertEquals(2048, ((RSAPublicKey) pub).getModulus().bitLength());
        byte[] random = hsm.generateRandom(32);
        byte[] c = hsm.rsaOaepEncrypt(p + "rsa", random);
        assertEquals(256, c.length);
        assertArrayEquals(random, hsm.rsaOaepDecrypt(p + "rsa", c));
        // a cryptogram made by the JCE with the exported public key decrypts in the HSM (same OAEP variant)
        Cipher jce = Cipher.getInstance("RSA/ECB/OAEPPadding");
        jce.init(Cipher.ENCRYPT_MODE, pub, SoftwareHsm.OAEP_SHA1);
        assertArrayEquals(random, hsm.rsaOaepDecrypt(p + "rsa", jce.doFinal(random)));
        c[10] ^= 1;
        byte[] bad = c;
        assertThrows(HsmException.class, () -> hsm.rsaOaepDecrypt(p + "rsa", bad));
    }

    @Test
    void deriveAesKeyEqualsSp800108AndHsmKdf() {
        byte[] master = dev.cardsmith.crypto.Hex.parse("000102030405060708090A0B0C0D0E0F");
        hsm.importAesKey(p + "m", master.clone());
        byte[] label = "PSD-MK".getBytes(StandardCharsets.US_ASCII);
        byte[] context = dev.cardsmith.crypto.Hex.parse("0102030405060708");
        hsm.deriveAesKey(p + "m", label, context, p + "d");
        byte[] expected = Sp800108.deriveKey(master, label, context, 16);
        assertArrayEquals(expected, HsmKdf.deriveKey(hsm, p + "m", label, context, 16));
        // the derived key is usable inside the HSM and is the SP 800-108 output
        assertArrayEquals(Cmac.aes(expected, new byte[] {9}), hsm.aesCmac(p + "d", new byte[] {9}));
        assertThrows(HsmException.class, () -> hsm.deriveAesKey(p + "m", label, context, p + "d"), "target exists");
        hsm.delete(p + "d");
        assertFalse(hsm.contains(p + "d"));
    }

    @Test
    void aesKeyWrapRoundTripIsRfc3394() {
        byte[] kek = dev.cardsmith.crypto.Hex.parse("000102030405060708090A0B0C0D0E0F");
        hsm.importAesKey(p + "kek", kek.clone());
        // RFC 3394 section 4.1: wrap 128 bits of key data with a 128-bit KEK
        byte[] keyData = dev.cardsmith.crypto.Hex.parse("00112233445566778899AABBCCDDEEFF");
        byte[] wrappedVector = dev.cardsmith.crypto.Hex.parse("1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5");
        hsm.unwrapKey(p + "kek", wrappedVector, p + "k", Hsm.KeyKind.AES, false);
        assertArrayEquals(Cmac.aes(keyData, new byte[] {7}), hsm.aesCmac(p + "k", new byte[] {7}));
        assertArrayEquals(wrappedVector, hsm.wrapKey(p + "kek", p + "k"));
        byte[] corrupt = wrappedVector.clone();
        corrupt[5] ^= 1;
        assertThrows(HsmException.class, () -> hsm.unwrapKey(p + "kek", corrupt, p + "k2", Hsm.KeyKind.AES, false));
    }

    @Test
    void transferUnderKeyTransferKeyBetweenTwoLabels() {
        // claim 16 shape inside one HSM: KTK to an RSA public key, blocks and private key under the KTK
        hsm.generateRsaKeyPair(p + "imp", 2048);
        hsm.importPublicKey(p + "peer", hsm.publicKey(p + "imp"));
        hsm.generateAesKey(p + "ktk", 256, true);
        byte[] ktkWrapped = hsm.wrapKey(p + "peer", p + "ktk");
        hsm.unwrapKey(p + "imp", ktkWrapped, p + "ktk2", Hsm.KeyKind.AES, true);
        assertArrayEquals(hsm.aesCmac(p + "ktk", new byte[] {1}), hsm.aesCmac(p + "ktk2", new byte[] {1}));

        hsm.generateAesKey(p + "block", 128, true);
        byte[] w = hsm.wrapKey(p + "ktk", p + "block");
        assertEquals(24, w.length);
        hsm.unwrapKey(p + "ktk2", w, p + "block2", Hsm.KeyKind.AES, true);
        assertArrayEquals(hsm.aesCmac(p + "block", new byte[] {2}), hsm.aesCmac(p + "block2", new byte[] {2}));

        PublicKey pub = hsm.generateRsaKeyPair(p + "pair", 2048, true);
        byte[] wp = hsm.wrapKey(p + "ktk", p + "pair");
        hsm.unwrapKey(p + "ktk2", wp, p + "pair2", Hsm.KeyKind.RSA_PRIVATE, true);
        assertEquals(pub, hsm.publicKey(p + "pair2"));
        byte[] c = hsm.rsaOaepEncrypt(p + "pair", new byte[] {5, 6});
        assertArrayEquals(new byte[] {5, 6}, hsm.rsaOaepDecrypt(p + "pair2", c));
    }

    @Test
    void missingKeysFailWithLabelNotValue() {
        HsmException e = assertThrows(HsmException.class, () -> hsm.aesCmac(p + "none", new byte[1]));
        assertTrue(e.getMessage().contains(p + "none"));
        assertThrows(HsmException.class, () -> hsm.publicKey(p + "none"));
        assertThrows(HsmException.class, () -> hsm.wrapKey(p + "none", p + "none2"));
    }

    /** Issue 13: the central system's key agreement in the HSM (session and persistent ECDH keys). */
    @Test
    void ecdhKeyPairAgreesWithJceAndRefusesPointsOffTheCurve() throws Exception {
        PublicKey pub = hsm.generateEcdhKeyPair(p + "ecdh", false);
        assertEquals(pub, hsm.publicKey(p + "ecdh"));
        java.security.KeyPair peer = dev.cardsmith.crypto.EcP256.generate();
        byte[] z = hsm.ecdh(p + "ecdh", dev.cardsmith.crypto.EcP256.encode(peer.getPublic()));
        javax.crypto.KeyAgreement ka = javax.crypto.KeyAgreement.getInstance("ECDH");
        ka.init(peer.getPrivate());
        ka.doPhase(pub, true);
        assertArrayEquals(ka.generateSecret(), z);
        byte[] oneOne = new byte[65];
        oneOne[0] = 4;
        oneOne[32] = 1;
        oneOne[64] = 1;
        assertThrows(HsmException.class, () -> hsm.ecdh(p + "ecdh", oneOne), "invalid-curve point (1,1)");
        hsm.delete(p + "ecdh");
        assertFalse(hsm.contains(p + "ecdh"));
        assertThrows(HsmException.class, () -> hsm.ecdh(p + "ecdh", dev.cardsmith.crypto.EcP256.encode(peer.getPublic())));
        hsm.generateEcdhKeyPair(p + "ecdh2", true);
        assertTrue(hsm.contains(p + "ecdh2"));
        assertEquals(32, hsm.ecdh(p + "ecdh2", dev.cardsmith.crypto.EcP256.encode(peer.getPublic())).length);
        hsm.delete(p + "ecdh2");
    }
}
