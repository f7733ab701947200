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
 * GET BACKUP (docs/vault.md, threat model "Vault"): a provision stopped between STORE PACKAGE and
 * the public-database write (a tear; a SIGKILLed child JVM) is finished by the re-run without a
 * wipe or a new package version, and every check of the command has its attack test. The card answers only in PACKAGED, only after a fresh challenge, only to the
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
        try (CardSession torn = new CardSession(losingTheStorePackageAnswer(f.transport, armed))) {
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

    /** The card executes STORE PACKAGE, then the reader loses the answer (a tear after the card committed). */
    static CardTransport losingTheStorePackageAnswer(CardTransport real, AtomicBoolean armed) {
        return dev.cardsmith.support.LostAnswer.to(Constants.INS_STORE_PACKAGE, real, armed);
    }

    @Test
    void storePackageAnswerLost_reRunFinishesWithoutAWipeOrANewPackageVersion() {
        AtomicBoolean armed = new AtomicBoolean(true);
        CardTransport card = f.transport;
        byte[] imei = Imei.identityBytes(VaultFixture.IMEI);
        try (CardSession torn = new CardSession(losingTheStorePackageAnswer(card, armed))) {
            assertThrows(TransportException.class, () -> f.spp(false).provision(new VaultCard(torn), imei));
        }
        assertFalse(armed.get(), "STORE PACKAGE was sent");
        ChipInfo packaged = f.card.select();
        assertEquals(Constants.STATE_PACKAGED, packaged.state());
        assertEquals(1, packaged.packageVersion());
        assertTrue(f.publicDb.latest(packaged.chipIdHex()).isEmpty(), "the backup never reached the database");

        // the same command again: finished from the card, no wipe, same package version
        SecureProcessingPoint.Provisioned p = f.spp(false).provision(f.card, imei);
        assertTrue(p.resumed());
        assertEquals(1, p.packageVersion(), "package version bumped (wiped and provisioned again)");
        assertEquals(1, p.databaseVersion());
        ChipInfo done = f.card.select();
        assertEquals(Constants.STATE_PROVISIONED, done.state());
        assertEquals(1, done.packageVersion());
        assertEquals(1, f.publicDb.history(done.chipIdHex()).size());
        assertEquals(0, f.journal.pending("vault", done.chipIdHex()).size(), "journal left PENDING");

        // the backup read again is a real backup of the package: wipe, restore it, the keys are back
        DeviceRecord rec = f.publicDb.latest(done.chipIdHex()).orElseThrow();
        byte[] challenge = new byte[] {1, 2, 3, 4, 5, 6, 7, 8};
        byte[] macBefore = f.card.proveChannelKey(challenge);
        f.spp(false).wipe(f.card);
        f.card.select();
        f.card.restore(rec.backup());
        assertEquals(Constants.STATE_PACKAGED, f.card.select().state());
        assertArrayEquals(macBefore, f.card.proveChannelKey(challenge), "the restored package holds the same channel key");
    }

    /**
     * kill -9 in the window itself: a child JVM provisions a simulated card file, prints STORED
     * once the card has answered STORE PACKAGE and then waits; it is SIGKILLed there (its journal
     * entry stays PENDING, the backup is only in its dead memory). The re-run in this JVM, on
     * the same card file, keystore and databases, finishes without a wipe.
     */
    @Test
    void killedBetweenStorePackageAndTheDatabaseWrite_reRunFinishesWithoutAWipe() throws Exception {
        Path station = dir.resolve("station");
        java.nio.file.Files.createDirectories(station);
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), StoppingStation.class.getName(), station.toString(), VaultFixture.IMEI2)
                .redirectErrorStream(true);
        Process child = pb.start();
        boolean stored = false;
        StringBuilder out = new StringBuilder();
        try (java.io.BufferedReader r = new java.io.BufferedReader(new java.io.InputStreamReader(child.getInputStream()))) {
            for (String line; (line = r.readLine()) != null; ) {
                out.append(line).append('\n');
                if (line.equals("STORED")) {
                    stored = true;
                    break;
                }
            }
            child.destroyForcibly(); // SIGKILL: no shutdown hook, no finally block runs
            child.waitFor();
        }
        assertTrue(stored, "the child never reached STORE PACKAGE:\n" + out);
        try (dev.cardsmith.hsm.SoftwareHsm hsm = dev.cardsmith.hsm.SoftwareHsm.open(station.resolve("keystore.p12"), "test".toCharArray());
             CardSession session = new CardSession(dev.cardsmith.simulator.SimulatorTransport.open(station.resolve("card.sim")))) {
            PublicDatabase pub = PublicDatabase.open("jdbc:sqlite:" + station.resolve("public.db"));
            dev.cardsmith.store.OperationJournal journal = new dev.cardsmith.store.OperationJournal(
                    dev.cardsmith.store.Database.open("jdbc:sqlite:" + station.resolve("cardsmith.db")));
            VaultCard card = new VaultCard(session);
            ChipInfo info = card.select();
            assertEquals(Constants.STATE_PACKAGED, info.state());
            assertTrue(pub.latest(info.chipIdHex()).isEmpty());
            assertEquals(1, journal.pending("vault", info.chipIdHex()).size(), "the killed provision left its intent");
            SecureProcessingPoint.Provisioned p = new SecureProcessingPoint(new VaultKeys(hsm), pub, journal, null)
                    .provision(card, Imei.identityBytes(VaultFixture.IMEI2));
            assertTrue(p.resumed());
            assertEquals(1, p.packageVersion(), "package version bumped");
            assertEquals(Constants.STATE_PROVISIONED, card.select().state());
            assertEquals(1, pub.history(info.chipIdHex()).size());
            assertEquals(0, journal.pending("vault", info.chipIdHex()).size(), "journal left PENDING");
        }
    }

    /** The child of the kill -9 test: provisions DIR/card.sim and stops for good after STORE PACKAGE. */
    public static final class StoppingStation {
        public static void main(String[] args) throws Exception {
            Path d = Path.of(args[0]);
            try (dev.cardsmith.hsm.SoftwareHsm hsm = dev.cardsmith.hsm.SoftwareHsm.open(d.resolve("keystore.p12"), "test".toCharArray())) {
                PublicDatabase pub = PublicDatabase.open("jdbc:sqlite:" + d.resolve("public.db"));
                dev.cardsmith.store.OperationJournal journal = new dev.cardsmith.store.OperationJournal(
                        dev.cardsmith.store.Database.open("jdbc:sqlite:" + d.resolve("cardsmith.db")));
                CardTransport real = dev.cardsmith.simulator.SimulatorTransport.open(d.resolve("card.sim"));
                CardTransport stopping = new CardTransport() {
                    @Override public byte[] transmit(byte[] command) {
                        byte[] answer = real.transmit(command);
                        if (command.length > 1 && command[1] == Constants.INS_STORE_PACKAGE) {
                            System.out.println("STORED");
                            System.out.flush();
                            try {
                                Thread.sleep(600_000);
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        }
                        return answer;
                    }
                    @Override public byte[] atr() { return real.atr(); }
                    @Override public String name() { return real.name(); }
                    @Override public void reset() { real.reset(); }
                    @Override public void close() { real.close(); }
                };
                new SecureProcessingPoint(new VaultKeys(hsm), pub, journal, null).provision(new VaultCard(new CardSession(stopping)),
                        Imei.identityBytes(args[1]));
            }
        }
    }
}
