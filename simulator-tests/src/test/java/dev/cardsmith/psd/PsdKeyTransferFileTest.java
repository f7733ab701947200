package dev.cardsmith.psd;

import dev.cardsmith.hsm.Hsm;
import dev.cardsmith.hsm.HsmFactory;
import dev.cardsmith.store.Database;
import dev.cardsmith.support.CardTest;
import dev.cardsmith.transport.CardSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Issue 12, the key-transfer file between the key management server and the access server on
 * two machines: a network attacker between the servers (or anyone who can put a file where the
 * operator picks it up) cannot get an unsigned, re-signed, replayed, mis-addressed or downgraded
 * file accepted. Two separate worlds: the KMS HSM and the access server HSM/DB share nothing but
 * the files.
 */
@CardTest
class PsdKeyTransferFileTest {
    @TempDir Path dir;
    Hsm kmsHsm;
    Hsm accessHsm;
    KeyManagementServer kms;
    AccessServer access;

    @BeforeEach
    void setUp() {
        kmsHsm = HsmFactory.open("pkcs12:" + dir.resolve("kms.p12"), "kms-pw".toCharArray());
        accessHsm = HsmFactory.open("pkcs12:" + dir.resolve("access.p12"), "access-pw".toCharArray());
        kms = new KeyManagementServer(kmsHsm);
        access = new AccessServer(accessHsm, new PsdStore(Database.open("jdbc:sqlite:" + dir.resolve("access.db"))));
        kms.init();
        access.trustKms(kms.transferSigningKey(), false);
        access.importTransportKey(dev.cardsmith.crypto.Hex.parse(PsdKeys.DEV_TRANSPORT_KEY_HEX));
    }

    @AfterEach
    void tearDown() {
        kmsHsm.close();
        accessHsm.close();
    }

    private byte[] file(long seq) {
        return kms.exportTransferFile(access.keyTransferImportKey(), true, seq);
    }

    private String refused(byte[] f) {
        return assertThrows(PsdException.class, () -> access.importTransferFile(f)).getMessage();
    }

    @Test
    void twoMachinesIssueAndReplaceThroughSignedFiles() {
        Map<String, Object> r = access.importTransferFile(file(100));
        assertEquals("#100", r.get("transfer"));
        try (CardSession card = PsdWorld.newCard()) {
            assertEquals("issued", access.issue(card).action());
            kms.rotateMasterKeyBlock();
            access.importTransferFile(file(101));
            assertEquals(2, access.replaceMasterKey(card).mkVersion());
        }
    }

    @Test
    void unsignedTransferFileIsRefused() {
        String f = new String(file(100), StandardCharsets.US_ASCII);
        byte[] unsigned = f.substring(0, f.lastIndexOf("signature: ")).getBytes(StandardCharsets.US_ASCII);
        assertTrue(refused(unsigned).contains("not signed"));
        assertEquals(0, access.latestMkVersion(), "nothing imported");
    }

    @Test
    void transferFileResignedByAnotherKeyIsRefused() {
        byte[] genuine = file(100);
        KeyTransferFile.Parsed p = KeyTransferFile.parse(genuine);
        // the attacker's own KMS-looking signing key, and a body naming it as the signer
        try (Hsm attacker = HsmFactory.open("pkcs12:" + dir.resolve("attacker.p12"), "x".toCharArray())) {
            attacker.generateEcKeyPair("evil");
            byte[] body = KeyTransferFile.body(p.transfer(), 100, access.keyTransferImportKey(), attacker.publicKey("evil"));
            assertTrue(refused(KeyTransferFile.withSignature(body, attacker.signSha256WithEcdsa("evil", body))).contains("not signed by the pinned KMS key"));
            // the genuine body re-signed by the attacker (signer field left as the KMS's)
            assertTrue(refused(KeyTransferFile.withSignature(p.signedBytes(), attacker.signSha256WithEcdsa("evil", p.signedBytes()))).contains("not signed by the pinned KMS key"));
        }
        // a single changed byte in a wrapped block breaks the genuine signature
        String text = new String(genuine, StandardCharsets.US_ASCII);
        int i = text.indexOf("mk.1: ") + 6;
        char c = text.charAt(i);
        byte[] tampered = (text.substring(0, i) + (c == 'A' ? 'B' : 'A') + text.substring(i + 1)).getBytes(StandardCharsets.US_ASCII);
        assertTrue(refused(tampered).contains("not signed by the pinned KMS key"));
        assertEquals(0, access.latestMkVersion());
        access.importTransferFile(genuine);
        assertEquals(1, access.latestMkVersion(), "the genuine file goes through: the checks above are live");
    }

    @Test
    void replayedTransferFileIsRefused() {
        byte[] first = file(100);
        access.importTransferFile(first);
        assertTrue(refused(first).contains("replayed"));
        byte[] older = file(99);
        assertTrue(refused(older).contains("replayed"), "a lower sequence is a replay of an older export");
        access.importTransferFile(file(101));
    }

    @Test
    void downgradedTransferFileIsRefused() {
        kms.rotateMasterKeyBlock();
        KeyTransferFile.Parsed v2 = KeyTransferFile.parse(file(100));
        access.importTransferFile(file(101));
        assertEquals(2, access.latestMkVersion());
        // a KMS restored from an old backup (or its key abused) signs a file holding only MK v1: newer sequence, older keys
        Map<Integer, byte[]> onlyV1 = new TreeMap<>(v2.transfer().wrappedMkBlocks());
        onlyV1.remove(2);
        KeyTransfer old = new KeyTransfer(v2.transfer().wrappedKtk(), onlyV1, v2.transfer().wrappedKrkBlocks(), v2.transfer().publicKey(), null);
        byte[] body = KeyTransferFile.body(old, 200, access.keyTransferImportKey(), kms.transferSigningKey());
        assertTrue(refused(KeyTransferFile.withSignature(body, kmsHsm.signSha256WithEcdsa(PsdKeys.KMS_TRANSFER_SIGNING, body))).contains("downgrade"));
        // an older format version, even correctly signed
        String text = new String(KeyTransferFile.body(v2.transfer(), 201, access.keyTransferImportKey(), kms.transferSigningKey()), StandardCharsets.US_ASCII)
                .replace("cardsmith-psd-key-transfer: 1", "cardsmith-psd-key-transfer: 0");
        byte[] b0 = text.getBytes(StandardCharsets.US_ASCII);
        assertTrue(refused(KeyTransferFile.withSignature(b0, kmsHsm.signSha256WithEcdsa(PsdKeys.KMS_TRANSFER_SIGNING, b0))).contains("format 0 refused"));
    }

    @Test
    void transferFileForAnotherAccessServerIsRefused() {
        try (Hsm other = HsmFactory.open("pkcs12:" + dir.resolve("other.p12"), "o".toCharArray())) {
            other.generateRsaKeyPair("imp", PsdKeys.RSA_BITS);
            byte[] f = kms.exportTransferFile(other.publicKey("imp"), true, 100);
            assertTrue(refused(f).contains("another access server"));
        }
    }

    @Test
    void noPinnedKmsKeyNoImportAndNoSilentRepin(@TempDir Path other) {
        AccessServer fresh = new AccessServer(accessHsm, new PsdStore(Database.open("jdbc:sqlite:" + other.resolve("a.db"))));
        assertTrue(assertThrows(PsdException.class, () -> fresh.importTransferFile(file(100))).getMessage().contains("no KMS signing key pinned"));
        try (Hsm attacker = HsmFactory.open("pkcs12:" + dir.resolve("attacker.p12"), "x".toCharArray())) {
            attacker.generateEcKeyPair("evil");
            assertThrows(PsdException.class, () -> access.trustKms(attacker.publicKey("evil"), false), "a different key is not pinned silently");
        }
    }
}
