package dev.cardsmith.vault;

import dev.cardsmith.codec.Imei;
import dev.cardsmith.crypto.EcP256;
import dev.cardsmith.crypto.Hex;
import dev.cardsmith.hsm.SoftwareHsm;
import dev.cardsmith.store.Database;
import dev.cardsmith.store.OperationJournal;
import dev.cardsmith.transport.ApduTrace;
import dev.cardsmith.transport.CardSession;
import dev.cardsmith.transport.CardTransports;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.interfaces.ECPrivateKey;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Attack (docs/threat-model.md, Vault): a malicious reader, a USB/PC-SC sniffer or anyone with a
 * copy of the APDU log, the simulated card's file (its command journal) or the databases reads
 * the device private key and the channel key of STORE PACKAGE. Runs on saved simulated cards
 * (their file is the card's journal), so it is not a {@code @CardTest}.
 */
class VaultSniffingAttackTest {

    @TempDir
    Path dir;

    /** Records every command and answer byte as a sniffer between host and reader would. */
    static final class Sniffer implements ApduTrace {
        final ByteArrayOutputStream wire = new ByteArrayOutputStream();
        @Override public void command(byte[] apdu) { wire.writeBytes(apdu); }
        @Override public void response(byte[] resp) { wire.writeBytes(resp); }
        @Override public void note(String text) { wire.writeBytes(text.getBytes(StandardCharsets.UTF_8)); }
    }

    static void assertNowhere(Map<String, byte[]> where, String secretName, byte[] secret) {
        String hex = Hex.of(secret);
        for (Map.Entry<String, byte[]> e : where.entrySet()) {
            byte[] b = e.getValue();
            assertEquals(-1, indexOf(b, secret), secretName + " in clear in " + e.getKey());
            String text = new String(b, StandardCharsets.ISO_8859_1);
            assertFalse(text.contains(hex) || text.contains(hex.toLowerCase(java.util.Locale.ROOT)),
                    secretName + " as hex in " + e.getKey());
        }
    }

    static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
            return i;
        }
        return -1;
    }

    @Test
    void storePackageSniffing_noTraceCardFileOrDatabaseHoldsTheKeysInClear() throws Exception {
        byte[] identity = Imei.identityBytes("490154203237518");
        Path cardFile = dir.resolve("card.sim");
        Path opsFile = dir.resolve("cardsmith.db");
        Path pubFile = dir.resolve("public.db");
        Sniffer sniffer = new Sniffer();
        byte[] channelKey;
        try (SoftwareHsm hsm = SoftwareHsm.open(dir.resolve("keystore.p12"), "test".toCharArray())) {
            VaultKeys keys = new VaultKeys(hsm).ensure();
            channelKey = keys.channelKey(identity);
            SecureProcessingPoint spp = new SecureProcessingPoint(keys, PublicDatabase.open("jdbc:sqlite:" + pubFile),
                    new OperationJournal(Database.open("jdbc:sqlite:" + opsFile)), null);
            try (CardSession s = new CardSession(CardTransports.open("sim:" + cardFile), sniffer)) {
                spp.provision(new VaultCard(s), identity);
            }
        }
        Map<String, byte[]> where = new LinkedHashMap<>();
        where.put("the APDU trace", sniffer.wire.toByteArray());
        where.put("the simulated card's file (its command journal)", Files.readAllBytes(cardFile));
        where.put("the operations store (journal)", Files.readAllBytes(opsFile));
        where.put("the public database", Files.readAllBytes(pubFile));
        assertNowhere(where, "channel key", channelKey);

        // the same with a package whose private key the test knows, straight through STORE PACKAGE
        KeyPair kp = EcP256.generate();
        byte[] privateKey = EcP256.encodePrivate((ECPrivateKey) kp.getPrivate());
        byte[] otherChannelKey = new byte[16];
        new java.security.SecureRandom().nextBytes(otherChannelKey);
        Path card2 = dir.resolve("card2.sim");
        Sniffer sniffer2 = new Sniffer();
        try (SoftwareHsm hsm = SoftwareHsm.open(dir.resolve("keystore.p12"), "test".toCharArray());
             CardSession s = new CardSession(CardTransports.open("sim:" + card2), sniffer2)) {
            VaultCard card = new VaultCard(s);
            card.select();
            card.setManufacturerKey(new VaultKeys(hsm).manufacturerPoint());
            DataPackage p = new DataPackage(identity, otherChannelKey, privateKey, EcP256.encode(kp.getPublic()));
            card.storeSealedPackage(card.select(), p.encode());
        }
        Map<String, byte[]> where2 = Map.of("the APDU trace", sniffer2.wire.toByteArray(),
                "the simulated card's file (its command journal)", Files.readAllBytes(card2));
        assertNowhere(where2, "device private key", privateKey);
        assertNowhere(where2, "channel key", otherChannelKey);
    }
}
