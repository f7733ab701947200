package dev.cardsmith.hsm;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** The contract on SoftHSM2 (skips without it unless CARDSMITH_REQUIRE_SOFTHSM=1). */
class Pkcs11HsmContractTest extends HsmContractTest {

    @Override
    protected Hsm openHsm() {
        return SoftHsmFixture.open(SoftHsmFixture.TOKEN);
    }

    @Test
    void keysAreSensitiveAndTransportKeysNonExtractable() {
        Pkcs11Hsm h = (Pkcs11Hsm) hsm;
        h.generateAesKey(p + "block", 128, true);
        assertTrue(h.valueUnreadable(p + "block"));
        assertTrue(h.extractable(p + "block"), "wrappable block");
        h.generateAesKey(p + "plain", 128);
        assertFalse(h.extractable(p + "plain"), "keys are non-extractable unless asked for");
        h.generateRsaKeyPair(p + "rsa", 2048);
        assertFalse(h.extractable(p + "rsa"));
        h.importAesKey(p + "tk", new byte[16]);
        assertTrue(h.valueUnreadable(p + "tk"));
        assertFalse(h.extractable(p + "tk"));
        h.generateAesKey(p + "kek", 128);
        assertThrows(HsmException.class, () -> h.wrapKey(p + "kek", p + "tk"), "non-extractable keys never leave, not even wrapped");
        assertThrows(HsmException.class, () -> h.wrapKey(p + "kek", p + "plain"));
        assertThrows(HsmException.class, () -> h.wrapKey(p + "kek", p + "rsa"));
        h.deriveAesKey(p + "block", new byte[] {1}, new byte[] {2}, p + "d");
        assertTrue(h.valueUnreadable(p + "d"));
    }

    @Test
    void specRejectsPinAndMissingLibrary() {
        assertThrows(HsmException.class, () -> HsmFactory.open("pkcs11:library=/nonexistent/lib.so;token=x", "1".toCharArray()));
        assertThrows(HsmException.class, () -> HsmFactory.open("pkcs11:library=/x.so;pin=1234", "1".toCharArray()));
        assertThrows(HsmException.class, () -> HsmFactory.open(SoftHsm2.spec("no-such-token"), "1".toCharArray()));
    }

    @Test
    void wrongPinFails() {
        // PKCS#11 login state is per application: log out the fixture's session first
        hsm.close();
        hsm = null;
        assertThrows(HsmException.class, () -> HsmFactory.open(SoftHsm2.spec(SoftHsmFixture.TOKEN), "0000".toCharArray()));
    }

    @Test
    void crossBackEndWrapInteroperates(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        try (Hsm soft = HsmFactory.open("pkcs12:" + dir.resolve("k.p12"), "pw".toCharArray())) {
            byte[] kek = new byte[32];
            kek[0] = 9;
            soft.importAesKey("kek", kek.clone());
            hsm.importAesKey(p + "kek", kek.clone());
            soft.generateAesKey("block", 128);
            hsm.unwrapKey(p + "kek", soft.wrapKey("kek", "block"), p + "block", Hsm.KeyKind.AES, false);
            assertArrayEquals(soft.aesCmac("block", new byte[] {3}), hsm.aesCmac(p + "block", new byte[] {3}));
            soft.generateRsaKeyPair("pair", 2048);
            hsm.unwrapKey(p + "kek", soft.wrapKey("kek", "pair"), p + "pair", Hsm.KeyKind.RSA_PRIVATE, false);
            assertArrayEquals(new byte[] {4}, hsm.rsaOaepDecrypt(p + "pair", soft.rsaOaepEncrypt("pair", new byte[] {4})));
            hsm.generateRsaKeyPair(p + "p11pair", 2048, true);
            soft.unwrapKey("kek", hsm.wrapKey(p + "kek", p + "p11pair"), "frompkcs11", Hsm.KeyKind.RSA_PRIVATE, false);
            assertArrayEquals(new byte[] {8}, soft.rsaOaepDecrypt("frompkcs11", hsm.rsaOaepEncrypt(p + "p11pair", new byte[] {8})));
        }
    }
}
