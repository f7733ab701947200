package dev.cardsmith.vault;

import dev.cardsmith.applet.vault.Constants;
import dev.cardsmith.codec.Imei;
import dev.cardsmith.crypto.Cmac;
import dev.cardsmith.support.CardTest;
import dev.cardsmith.transport.CardSession;
import dev.cardsmith.transport.CardStatusException;
import dev.cardsmith.transport.CardTransport;
import dev.cardsmith.transport.TransportException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.smartcardio.CommandAPDU;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.*;

/**
 * GET BACKUP (docs/vault.md, threat model "Vault"): every check of the command, each with the
 * attack it stops. The card answers only in PACKAGED, only after a fresh challenge, only to the
 * request MAC of its own channel key; the host accepts the answer only with the card's response
 * MAC over the challenge, the device public key and the backup.
 */
@CardTest
class VaultGetBackupAttackTest {
    static final byte[] IMEI = Imei.identityBytes(VaultFixture.IMEI);

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

    int sw(CommandAPDU c) {
        return f.session.transmit(c).getSW();
    }

    /** A chip left PACKAGED by a provision whose STORE PACKAGE answer was lost; returns its chip info. */
    ChipInfo packagedWithoutBackup() {
        AtomicBoolean armed = new AtomicBoolean(true);
        try (CardSession torn = new CardSession(VaultLostBackupTest.losingTheStorePackageAnswer(f.transport, armed))) {
            assertThrows(TransportException.class, () -> f.spp(false).provision(new VaultCard(torn), IMEI));
        }
        ChipInfo info = f.card.select();
        assertEquals(Constants.STATE_PACKAGED, info.state());
        return info;
    }

    byte[] requestMac(byte[] channelKey, ChipInfo chip, byte[] challenge) {
        return Cmac.aes(channelKey, VaultApdus.backupRequestInput(chip.chipId(), challenge));
    }

    @Test
    void backupOracleOnAnEmptyOrProvisionedCard_isRefused() {
        ChipInfo empty = f.card.select();
        byte[] key = f.keys.ensure().channelKey(IMEI);
        byte[] c = f.card.challenge();
        assertEquals(0x6985, sw(VaultApdus.getBackup(requestMac(key, empty, c))), "GET BACKUP in EMPTY");
        f.spp(false).provision(f.card, IMEI);
        ChipInfo provisioned = f.card.select();
        c = f.card.challenge();
        assertEquals(0x6985, sw(VaultApdus.getBackup(requestMac(key, provisioned, c))), "GET BACKUP in PROVISIONED");
    }

    @Test
    void backupRequestWithoutAChallenge_isRefused() {
        ChipInfo chip = packagedWithoutBackup();
        byte[] key = f.keys.channelKey(IMEI);
        assertEquals(0x6985, sw(VaultApdus.getBackup(requestMac(key, chip, new byte[16]))), "no GET CHALLENGE before it");
    }

    @Test
    void backupRequestByAHostWithoutTheChannelKey_isRefused() {
        ChipInfo chip = packagedWithoutBackup();
        byte[] c = f.card.challenge();
        byte[] otherKey = f.keys.channelKey(Imei.identityBytes(VaultFixture.IMEI2)); // another identity's key
        assertEquals(0x6982, sw(VaultApdus.getBackup(requestMac(otherKey, chip, c))));
        // the refused attempt burnt the challenge: the right MAC for it no longer works either
        assertEquals(0x6985, sw(VaultApdus.getBackup(requestMac(f.keys.channelKey(IMEI), chip, c))), "challenge reused after a refusal");
        // and through the host API: a VaultCard asking with a wrong key gets the card's refusal
        CardStatusException e = assertThrows(CardStatusException.class,
                () -> f.card.backupAgain(chip.chipId(), otherKey, f.card.devicePublicKey()));
        assertEquals(0x6982, e.sw());
    }

    @Test
    void backupRequestReplayedUnderANewChallenge_isRefused() {
        ChipInfo chip = packagedWithoutBackup();
        byte[] key = f.keys.channelKey(IMEI);
        byte[] c1 = f.card.challenge();
        byte[] recorded = requestMac(key, chip, c1);
        assertEquals(0x9000, sw(VaultApdus.getBackup(recorded)));
        f.card.challenge();
        assertEquals(0x6982, sw(VaultApdus.getBackup(recorded)), "a recorded request accepted under a new challenge");
    }

    @Test
    void backupRequestWithBadHeaderOrLength_isRefused() {
        ChipInfo chip = packagedWithoutBackup();
        byte[] key = f.keys.channelKey(IMEI);
        byte[] mac = requestMac(key, chip, f.card.challenge());
        assertEquals(0x6700, sw(new CommandAPDU(0x80, Constants.INS_GET_BACKUP & 0xFF, 0, 0, java.util.Arrays.copyOf(mac, 15), 256)));
        assertEquals(0x6A86, sw(new CommandAPDU(0x80, Constants.INS_GET_BACKUP & 0xFF, 0, 1, mac, 256)));
        assertEquals(0x6E00, sw(new CommandAPDU(0x00, Constants.INS_GET_BACKUP & 0xFF, 0, 0, mac, 256)));
    }

    @Test
    void backupAnswerAlteredByARelay_isRefusedByTheHost() {
        ChipInfo chip = packagedWithoutBackup();
        AtomicBoolean flip = new AtomicBoolean(true);
        CardTransport relay = new CardTransport() {
            @Override public byte[] transmit(byte[] command) {
                byte[] b = f.transport.transmit(command);
                if (flip.get() && command.length > 1 && command[1] == Constants.INS_GET_BACKUP && b.length > 40) {
                    b[Constants.BACKUP_OFF_CIPHERTEXT] ^= 1; // a substituted backup would make the device unrecoverable
                }
                return b;
            }
            @Override public byte[] atr() { return f.transport.atr(); }
            @Override public String name() { return "relaying reader"; }
            @Override public void reset() { f.transport.reset(); }
            @Override public void close() { }
        };
        try (CardSession s = new CardSession(relay)) {
            VaultException e = assertThrows(VaultException.class, () -> f.spp(false).provision(new VaultCard(s), IMEI));
            assertEquals(VaultException.Kind.VERIFICATION, e.kind());
        }
        assertTrue(f.publicDb.latest(chip.chipIdHex()).isEmpty(), "an unauthenticated backup reached the public database");
        flip.set(false);
        assertTrue(f.spp(false).provision(f.card, IMEI).resumed(), "the honest re-run still finishes it");
    }

    @Test
    void packageStoredByAnotherHost_isNotCompletedByTheResume() {
        // someone seals a package for this identity with a channel key that is not the factory's
        f.keys.ensure();
        f.card.select();
        f.card.setManufacturerKey(f.keys.manufacturerPoint());
        ChipInfo chip = f.card.select();
        java.security.KeyPair kp = dev.cardsmith.crypto.EcP256.generate();
        byte[] foreignKey = new byte[16];
        new java.security.SecureRandom().nextBytes(foreignKey);
        DataPackage foreign = new DataPackage(IMEI, foreignKey, dev.cardsmith.crypto.EcP256.encodePrivate(
                (java.security.interfaces.ECPrivateKey) kp.getPrivate()), dev.cardsmith.crypto.EcP256.encode(kp.getPublic()));
        f.card.storeSealedPackage(chip, foreign.encode());
        // identity not bound to this chip by the factory: refused before any GET BACKUP
        VaultException e = assertThrows(VaultException.class, () -> f.spp(false).provision(f.card, IMEI));
        assertTrue(e.getMessage().contains("wipe it first"), e.getMessage());
        // bound (as if this station had started it): the card refuses the factory's channel key
        f.publicDb.bindIdentity(VaultFixture.IMEI, chip.chipIdHex());
        CardStatusException refused = assertThrows(CardStatusException.class, () -> f.spp(false).provision(f.card, IMEI));
        assertEquals(0x6982, refused.sw());
        assertTrue(f.publicDb.latest(chip.chipIdHex()).isEmpty(), "a foreign package was certified");
    }
}
