package dev.cardsmith.vault;

import dev.cardsmith.applet.vault.Constants;
import dev.cardsmith.codec.Imei;
import dev.cardsmith.support.CardTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Issue 13, vault part: one test per attack of docs/threat-model.md (Vault), named after it.
 * Each failed on c8c0e15 (the message is in the closing note) and passes here.
 */
@CardTest
class VaultAttackTest {

    @TempDir
    Path dir;
    VaultFixture f;

    @BeforeEach
    void setUp() {
        f = new VaultFixture(dir);
    }

    @AfterEach
    void tearDown() {
        f.close();
    }

    // ---- malformed wipe signature: an exception the card's verifier did not expect -------------

    /**
     * Session 5 (issue 11, found by the fuzzer in every vault state): WIPE with an ECDSA signature
     * whose DER is malformed (the first INTEGER's tag 02 changed) made jCardSim's verifier throw a
     * BouncyCastle exception that is no CryptoException; the applet's one exception policy answered
     * 6F01 (a bug by docs/conventions.md). A signature the engine cannot parse is a wrong one: 6982,
     * and the package stays.
     */
    @Test
    void malformedWipeSignature_isAWrongSignatureNeverAnUnexpectedException() {
        f.spp(false).provision(f.card, Imei.identityBytes(VaultFixture.IMEI));
        byte[] sig = dev.cardsmith.crypto.Hex.parse("3045022100B111825E6C3C7173062082020F615A9B40D1EB583F1060C7A0A4E4EA6936789B"
                + "022072E7C7630A4CD9797260C828E99AA96D18D42627D4F731116F2E9C65DEC80A5B");
        for (int tag : new int[] {0x82, 0x12, 0x85}) {
            sig[2] = (byte) tag;
            f.card.challenge();
            int sw = f.session.transmit(VaultApdus.wipe(sig)).getSW();
            assertEquals(0x6982, sw, String.format("WIPE with INTEGER tag %02X answered %04X", tag, sw));
        }
        assertEquals(Constants.STATE_PROVISIONED, f.card.select().state(), "the package must stay");
    }

    // ---- identity cloning: one IMEI on several chips -------------------------------------------

    @Test
    void identityCloning_sameImeiOnASecondChipIsRefused() {
        SecureProcessingPoint spp = f.spp(false);
        String first = spp.provision(f.card, Imei.identityBytes(VaultFixture.IMEI)).chipId();
        VaultCard clone = f.newCard(new byte[0]);
        String cloneChip = clone.select().chipIdHex();

        VaultException e = assertThrows(VaultException.class, () -> spp.provision(clone, Imei.identityBytes(VaultFixture.IMEI)),
                "a second chip was provisioned and certified with an IMEI already bound to chip " + first);
        assertEquals(VaultException.Kind.IDENTITY_BOUND, e.kind());
        assertTrue(e.getMessage().contains("already bound to chip " + first) && e.getMessage().contains("device reassign"), e.getMessage());
        assertEquals(Constants.STATE_EMPTY, clone.select().state(), "the refused chip must not have been written");
        assertTrue(f.publicDb.history(cloneChip).isEmpty(), "no public record for the refused chip");
    }

    @Test
    void identityCloning_reassignIsExplicitAndKeepsTheHistory() {
        SecureProcessingPoint spp = f.spp(false);
        String first = spp.provision(f.card, Imei.identityBytes(VaultFixture.IMEI)).chipId();
        spp.wipe(f.card);
        VaultCard replacement = f.newCard(new byte[0]);
        String second = replacement.select().chipIdHex();
        assertThrows(VaultException.class, () -> spp.provision(replacement, Imei.identityBytes(VaultFixture.IMEI)));

        assertEquals(first, f.publicDb.reassign(VaultFixture.IMEI, second, "chip replaced, ticket 4711"));
        assertEquals(second, spp.provision(replacement, Imei.identityBytes(VaultFixture.IMEI)).chipId());
        List<PublicDatabase.Binding> h = f.publicDb.identityHistory(VaultFixture.IMEI);
        assertEquals(2, h.size(), h.toString());
        assertEquals("bind", h.get(0).action());
        assertEquals(first, h.get(0).chipId());
        assertEquals("reassign", h.get(1).action());
        assertEquals(second, h.get(1).chipId());
        assertEquals(first, h.get(1).previousChipId());
        assertEquals("chip replaced, ticket 4711", h.get(1).reason());
        assertEquals(1, f.publicDb.history(first).size(), "the old chip's device record stays");

        // and now the old chip is the clone
        VaultException again = assertThrows(VaultException.class,
                () -> f.publicDb.bindIdentity(VaultFixture.IMEI, first));
        assertEquals(VaultException.Kind.IDENTITY_BOUND, again.kind());
        assertThrows(VaultException.class, () -> f.publicDb.reassign(VaultFixture.IMEI, second, "same chip"));
        assertThrows(VaultException.class, () -> f.publicDb.reassign(VaultFixture.IMEI2, first, "never bound"));
        assertThrows(VaultException.class, () -> f.publicDb.reassign(VaultFixture.IMEI, first, " "));
    }

    // ---- the data package on the wire: another chip, tampering, replay -------------------------

    int sw(javax.smartcardio.CommandAPDU c) {
        return f.session.transmit(c).getSW();
    }

    DataPackage pkg() {
        java.security.KeyPair kp = dev.cardsmith.crypto.EcP256.generate();
        byte[] id = Imei.identityBytes(VaultFixture.IMEI);
        return new DataPackage(id, f.keys.channelKey(id), dev.cardsmith.crypto.EcP256.encodePrivate(
                (java.security.interfaces.ECPrivateKey) kp.getPrivate()), dev.cardsmith.crypto.EcP256.encode(kp.getPublic()));
    }

    /** A chip with the manufacturer key set, ready for a package; returns its chip info. */
    ChipInfo readyChip(VaultCard card) {
        f.keys.ensure();
        card.select();
        card.setManufacturerKey(f.keys.manufacturerPoint());
        return card.select();
    }

    /** The sealed STORE PACKAGE data for {@code chip} after a GET CHALLENGE on it. */
    byte[] sealFor(VaultCard card, ChipInfo chip, byte[] plain) {
        try (PackageSeal seal = PackageSeal.seal(chip.chipId(), chip.agreementKey(), card.challenge(), plain)) {
            return seal.command();
        }
    }

    @Test
    void storePackageRedirectedToAnotherChip_isRefused() {
        ChipInfo a = readyChip(f.card);
        byte[] forA = sealFor(f.card, a, pkg().encode());
        VaultCard b = f.newCard(new byte[0]);
        readyChip(b);
        b.challenge();
        assertEquals(0x6982, sw(VaultApdus.storePackage(forA)), "chip B opened a package sealed to chip A");
        // sealed with B's fresh challenge but to A's agreement key: B cannot open it either
        byte[] toAsKey;
        try (PackageSeal seal = PackageSeal.seal(b.select().chipId(), a.agreementKey(), b.challenge(), pkg().encode())) {
            toAsKey = seal.command();
        }
        assertEquals(0x6982, sw(VaultApdus.storePackage(toAsKey)));
        assertEquals(Constants.STATE_EMPTY, b.select().state());
    }

    @Test
    void storePackageTampering_isRefused() {
        ChipInfo chip = readyChip(f.card);
        byte[] plain = pkg().encode();
        byte[] sealed = sealFor(f.card, chip, plain);
        for (int at : new int[] {0, 1, 40, Constants.SEALED_OFF_CIPHERTEXT, Constants.SEALED_OFF_CIPHERTEXT + 20,
                sealed.length - Constants.MAC_LENGTH - 1, sealed.length - 1}) {
            byte[] t = sealed.clone();
            t[at] ^= 0x01;
            f.card.challenge();
            int sw = sw(VaultApdus.storePackage(t));
            assertTrue(sw == 0x6982 || sw == 0x6A80, "byte " + at + " flipped: " + Integer.toHexString(sw));
            assertEquals(Constants.STATE_EMPTY, f.card.select().state(), "a tampered package was stored (byte " + at + ")");
        }
        // the card refuses an unsealed (plain) package as well
        f.card.challenge();
        assertNotEquals(0x9000, sw(VaultApdus.storePackage(plain)));
        // and takes the genuine one, sealed to a fresh challenge
        f.card.storeSealedPackage(f.card.select(), plain);
        assertEquals(Constants.STATE_PACKAGED, f.card.select().state());
    }

    @Test
    void storePackageReplay_isRefused() {
        ChipInfo chip = readyChip(f.card);
        byte[] sealed = sealFor(f.card, chip, pkg().encode());
        assertEquals(0x9000, sw(VaultApdus.storePackage(sealed)));
        f.spp(false).wipe(f.card); // the card is EMPTY again: would the recorded command store the package twice?
        assertEquals(0x6985, sw(VaultApdus.storePackage(sealed)), "no fresh challenge");
        f.card.challenge();
        assertEquals(0x6982, sw(VaultApdus.storePackage(sealed)), "a replayed package was accepted under a new challenge");
        assertEquals(0x6985, sw(VaultApdus.storePackage(sealed)), "the challenge is single use, also when refused");
        assertEquals(Constants.STATE_EMPTY, f.card.select().state());
    }

    @Test
    void storePackageAnswerFromAnImpostor_isRefusedByTheHost() {
        ChipInfo chip = readyChip(f.card);
        byte[] challenge = f.card.challenge();
        try (PackageSeal seal = PackageSeal.seal(chip.chipId(), chip.agreementKey(), challenge, pkg().encode())) {
            byte[] answer = f.card.storePackage(seal.command());
            assertEquals(1, seal.openResponse(answer).packageVersion());
            byte[] forged = answer.clone();
            forged[forged.length - 1] ^= 1; // an impostor cannot compute the response MAC
            VaultException e = assertThrows(VaultException.class, () -> seal.openResponse(forged));
            assertEquals(VaultException.Kind.VERIFICATION, e.kind());
        }
    }

    /** A reader that answers SELECT with its own agreement key in place of the chip's (C9 41 04 ...). */
    static dev.cardsmith.transport.CardTransport substitutingAgreementKey(dev.cardsmith.transport.CardTransport real, byte[] point) {
        return new dev.cardsmith.transport.CardTransport() {
            @Override public byte[] transmit(byte[] command) {
                byte[] b = real.transmit(command);
                if (command.length < 2 || command[1] != (byte) 0xA4) return b;
                for (int i = 0; i + 2 + 65 <= b.length; i++) {
                    if (b[i] == Constants.TAG_AGREEMENT_KEY && b[i + 1] == 65 && b[i + 2] == 4) {
                        System.arraycopy(point, 0, b, i + 2, 65);
                        break;
                    }
                }
                return b;
            }
            @Override public byte[] atr() { return real.atr(); }
            @Override public String name() { return "relaying reader"; }
            @Override public void reset() { real.reset(); }
            @Override public void close() { }
        };
    }

    @Test
    void relayingReaderSubstitutesTheAgreementKey_isRefused() {
        SecureProcessingPoint spp = f.spp(false);
        spp.provision(f.card, Imei.identityBytes(VaultFixture.IMEI)); // first contact: the key is recorded
        spp.wipe(f.card);
        byte[] attackers = dev.cardsmith.crypto.EcP256.encode(dev.cardsmith.crypto.EcP256.generate().getPublic());
        VaultCard relayed = new VaultCard(new dev.cardsmith.transport.CardSession(substitutingAgreementKey(f.transport, attackers)));
        VaultException e = assertThrows(VaultException.class, () -> spp.provision(relayed, Imei.identityBytes(VaultFixture.IMEI)),
                "the package was sealed to a key the reader substituted");
        assertEquals(VaultException.Kind.VERIFICATION, e.kind());
        assertTrue(e.getMessage().contains("another agreement key"), e.getMessage());
        assertEquals(Constants.STATE_EMPTY, f.card.select().state());
        spp.provision(f.card, Imei.identityBytes(VaultFixture.IMEI)); // the genuine chip still provisions
    }
}
