package dev.cardsmith.vault;

import dev.cardsmith.applet.vault.Constants;
import dev.cardsmith.codec.Imei;
import dev.cardsmith.transport.CardSession;
import dev.cardsmith.transport.CardTransport;
import dev.cardsmith.transport.TransportException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A provision stopped between STORE PACKAGE and the public-database write (the card stored the
 * package, its answer with the backup never reached the host): the re-run finishes it without a
 * wipe and without a new package version, and the backup it stores restores the card.
 */
@dev.cardsmith.support.CardTest
class VaultLostBackupTest {

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

    /** The card executes STORE PACKAGE, then the reader loses the answer (a tear after the card committed). */
    static CardTransport losingTheStorePackageAnswer(CardTransport real, AtomicBoolean armed) {
        return new CardTransport() {
            @Override public byte[] transmit(byte[] command) {
                byte[] answer = real.transmit(command);
                if (armed.get() && command.length > 1 && command[1] == Constants.INS_STORE_PACKAGE) {
                    armed.set(false);
                    throw new TransportException("card removed");
                }
                return answer;
            }
            @Override public byte[] atr() { return real.atr(); }
            @Override public String name() { return real.name(); }
            @Override public void reset() { real.reset(); }
            @Override public void close() { }
        };
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
