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

    /**
     * Review finding: every AES key had CKA_WRAP and CKA_UNWRAP with no CKA_UNWRAP_TEMPLATE, so
     * whoever holds the user PIN read a "sensitive, extractable only wrapped" key (a KMS data
     * block) in clear with two raw PKCS#11 calls: wrap it under any wrap+unwrap key of the token,
     * unwrap the blob with CKA_SENSITIVE=false, C_GetAttributeValue(CKA_VALUE).
     */
    @Test
    void bug_sensitiveKeyReadableByWrappingAndUnwrappingItAsNonSensitive() throws Exception {
        Pkcs11Hsm h = (Pkcs11Hsm) hsm;
        h.generateAesKey(p + "blk", 128, true);
        h.generateAesKey(p + "any", 256);
        java.lang.reflect.Field f = Pkcs11Hsm.class.getDeclaredField("token");
        f.setAccessible(true);
        org.xipki.pkcs11.wrapper.PKCS11Token t = (org.xipki.pkcs11.wrapper.PKCS11Token) f.get(h);
        long blk = t.findObjects(new org.xipki.pkcs11.wrapper.AttributeVector().class_(org.xipki.pkcs11.wrapper.PKCS11Constants.CKO_SECRET_KEY).label(p + "blk"), 1)[0];
        for (String wrapper : new String[] {p + "any", p + "blk"}) {
            long w = t.findObjects(new org.xipki.pkcs11.wrapper.AttributeVector().class_(org.xipki.pkcs11.wrapper.PKCS11Constants.CKO_SECRET_KEY).label(wrapper), 1)[0];
            byte[] clear = null;
            try {
                byte[] blob = t.wrapKey(new org.xipki.pkcs11.wrapper.Mechanism(org.xipki.pkcs11.wrapper.PKCS11Constants.CKM_AES_KEY_WRAP), w, blk);
                long copy = t.unwrapKey(new org.xipki.pkcs11.wrapper.Mechanism(org.xipki.pkcs11.wrapper.PKCS11Constants.CKM_AES_KEY_WRAP), w, blob,
                        org.xipki.pkcs11.wrapper.AttributeVector.newAESSecretKey().token(false).sensitive(false).extractable(true));
                clear = t.getAttrValues(copy, org.xipki.pkcs11.wrapper.PKCS11Constants.CKA_VALUE).value();
            } catch (org.xipki.pkcs11.wrapper.TokenException refused) {
                // the token refused one of the steps: good
            }
            assertNull(clear, "sensitive key read in clear through wrap/unwrap under " + wrapper);
        }
        // the same through an RSA pair (RSA-OAEP wrap under the public key, unwrap with the private one)
        h.generateRsaKeyPair(p + "rsa", 2048, true);
        long pub = t.findObjects(new org.xipki.pkcs11.wrapper.AttributeVector().class_(org.xipki.pkcs11.wrapper.PKCS11Constants.CKO_PUBLIC_KEY).label(p + "rsa"), 1)[0];
        long priv = t.findObjects(new org.xipki.pkcs11.wrapper.AttributeVector().class_(org.xipki.pkcs11.wrapper.PKCS11Constants.CKO_PRIVATE_KEY).label(p + "rsa"), 1)[0];
        org.xipki.pkcs11.wrapper.Mechanism oaep = new org.xipki.pkcs11.wrapper.Mechanism(org.xipki.pkcs11.wrapper.PKCS11Constants.CKM_RSA_PKCS_OAEP,
                new org.xipki.pkcs11.wrapper.params.RSA_PKCS_OAEP_PARAMS(org.xipki.pkcs11.wrapper.PKCS11Constants.CKM_SHA_1,
                        org.xipki.pkcs11.wrapper.PKCS11Constants.CKG_MGF1_SHA1));
        byte[] clear = null;
        try {
            byte[] blob = t.wrapKey(oaep, pub, blk);
            long copy = t.unwrapKey(oaep, priv, blob,
                    org.xipki.pkcs11.wrapper.AttributeVector.newAESSecretKey().token(false).sensitive(false).extractable(true));
            clear = t.getAttrValues(copy, org.xipki.pkcs11.wrapper.PKCS11Constants.CKA_VALUE).value();
        } catch (org.xipki.pkcs11.wrapper.TokenException refused) {
            // good
        }
        assertNull(clear, "sensitive key read in clear through RSA-OAEP wrap/unwrap");
        // legitimate sensitive unwraps still work
        h.generateAesKey(p + "kek2", 256, true);
        h.unwrapKey(p + "kek2", h.wrapKey(p + "kek2", p + "blk"), p + "blk2", Hsm.KeyKind.AES, false);
        assertArrayEquals(h.aesCmac(p + "blk", new byte[] {1}), h.aesCmac(p + "blk2", new byte[] {1}));
    }
}
