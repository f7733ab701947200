package dev.cardsmith.hsm;

import dev.cardsmith.crypto.Sp800108;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.security.Signature;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SoftwareHsmTest {

    @Test
    void keysPersistBehindThePasswordAndSignaturesVerify(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("ks.p12");
        PublicKey pub;
        byte[] mac;
        try (Hsm h = HsmFactory.open("pkcs12:" + file, "pw".toCharArray())) {
            pub = h.generateEcKeyPair("m.sign");
            h.generateAesKey("m.master", 256);
            mac = h.aesCmac("m.master", new byte[] {1, 2, 3});
        }
        try (Hsm h = HsmFactory.open(file.toString(), "pw".toCharArray())) {
            assertTrue(h.contains("m.sign"));
            assertEquals(pub, h.publicKey("m.sign"));
            assertArrayEquals(mac, h.aesCmac("m.master", new byte[] {1, 2, 3}));
            byte[] sig = h.signSha256WithEcdsa("m.sign", "hello".getBytes());
            Signature v = Signature.getInstance("SHA256withECDSA");
            v.initVerify(pub);
            v.update("hello".getBytes());
            assertTrue(v.verify(sig));
            assertThrows(HsmException.class, () -> h.generateAesKey("m.master", 128), "labels are unique");
            h.delete("m.sign");
            assertFalse(h.contains("m.sign"));
        }
        HsmException wrong = assertThrows(HsmException.class, () -> HsmFactory.open(file.toString(), "nope".toCharArray()));
        assertTrue(wrong.getMessage().startsWith("wrong password for keystore"), wrong.getMessage());
    }

    @Test
    void kdfInsideTheHsmEqualsTheSoftwareKdf(@TempDir Path dir) throws Exception {
        try (SoftwareHsm h = SoftwareHsm.open(dir.resolve("k.p12"), "pw".toCharArray())) {
            h.generateAesKey("master", 128);
            // The key value is only reachable through the keystore file itself, as a test oracle.
            java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
            try (var in = Files.newInputStream(dir.resolve("k.p12"))) {
                ks.load(in, "pw".toCharArray());
            }
            byte[] key = ks.getKey("master", "pw".toCharArray()).getEncoded();
            byte[] label = {0x43, 0x53};
            byte[] context = "490154203237518".getBytes();
            assertArrayEquals(Sp800108.deriveKey(key, label, context, 32), HsmKdf.deriveKey(h, "master", label, context, 32));
            assertArrayEquals(Sp800108.deriveKey(key, label, context, 16), HsmKdf.deriveKey(h, "master", label, context, 16));
        }
    }

    @Test
    void missingKeysAreNamedNotDumped(@TempDir Path dir) {
        try (SoftwareHsm h = SoftwareHsm.open(dir.resolve("k.p12"), "pw".toCharArray())) {
            HsmException e = assertThrows(HsmException.class, () -> h.aesCmac("absent", new byte[1]));
            assertTrue(e.getMessage().startsWith("no secret key 'absent'"), e.getMessage());
        }
    }
}
