package dev.cardsmith.tear;

import dev.cardsmith.applet.vault.Constants;
import dev.cardsmith.crypto.Cmac;
import dev.cardsmith.hsm.SoftwareHsm;
import dev.cardsmith.simulator.AppletRegistry;
import dev.cardsmith.simulator.tear.TearingSimulator;
import dev.cardsmith.store.Database;
import dev.cardsmith.store.OperationJournal;
import dev.cardsmith.transport.CardSession;
import dev.cardsmith.transport.CardTransport;
import dev.cardsmith.vault.ChipInfo;
import dev.cardsmith.vault.DeviceCertificate;
import dev.cardsmith.vault.DeviceInspector;
import dev.cardsmith.vault.DeviceRecord;
import dev.cardsmith.crypto.EcP256;
import dev.cardsmith.codec.Imei;
import dev.cardsmith.vault.PublicDatabase;
import dev.cardsmith.vault.Recovery;
import dev.cardsmith.vault.SecureProcessingPoint;
import dev.cardsmith.vault.VaultCard;
import dev.cardsmith.vault.VaultException;
import dev.cardsmith.vault.VaultKeys;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Tear sweep of vault provision, wipe and recover (docs/robustness.md, "Tearing"): the card torn
 * at every tear point of every command, then re-run or reconciled through the secure processing
 * point and recovery. Invariants: right after the tear the chip is EMPTY or holds a whole
 * package whose keys work (the channel key the host derives, the device key the public database
 * certifies when it has this package), the package version never goes back, an EMPTY chip keeps
 * no package key; at the end the chip is PROVISIONED, DeviceInspector finds card and database in
 * agreement, a wiped-and-recovered chip has its original device key back, and the operation
 * journal has no open entry.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@dev.cardsmith.support.SimulatorOnly("tears inside a command need the rollback runtime (TearingSimulator), which only a simulated card has")
class VaultTearSweepTest {
    /** One device identity per chip (a chip never takes another's identity): set by each start(). */
    private byte[] identity;
    private int identities;

    private TearingSimulator newVaultWithIdentity() {
        String imei = "49015420" + String.format("%06d", identities++);
        identity = Imei.identityBytes(imei + Imei.luhnCheckDigit(imei));
        return newVault();
    }

    @TempDir static Path dir;
    SoftwareHsm hsm;
    VaultKeys keys;
    PublicDatabase publicDb;
    SecureProcessingPoint spp;
    OperationJournal journal;

    @BeforeAll
    void world() {
        hsm = SoftwareHsm.open(dir.resolve("keystore.p12"), "test".toCharArray());
        keys = new VaultKeys(hsm).ensure();
        publicDb = PublicDatabase.open("jdbc:sqlite:" + dir.resolve("public.db"));
        journal = new OperationJournal(Database.open("jdbc:sqlite:" + dir.resolve("cardsmith.db")));
        spp = new SecureProcessingPoint(keys, publicDb, journal, null);
    }

    @AfterAll
    void close() {
        hsm.close();
    }

    private static TearingSimulator newVault() {
        return new TearingSimulator(List.of(AppletRegistry.byName("vault")));
    }

    private static VaultCard on(CardTransport t) {
        return new VaultCard(new CardSession(t));
    }

    private static int packageVersion(Map<String, String> state) {
        return Integer.parseInt(state.get("VaultApplet.st.packageVersion"));
    }

    /** Right after the tear: EMPTY with no package key left, or a whole package whose keys work; the version never goes back. */
    private ChipInfo checkTornCard(TearingSimulator card, Map<String, String> before, VaultCard vc) {
        ChipInfo info = vc.select(); // SELECT runs the applet's scrub of a torn wipe or load first
        Map<String, String> now = card.persistentState("vault");
        assertTrue(info.packageVersion() >= packageVersion(before), "package version went back");
        assertEquals(before.get("VaultApplet.st.chipKey"), now.get("VaultApplet.st.chipKey"), "chip key changed");
        assertEquals(before.get("VaultApplet.st.chipId"), now.get("VaultApplet.st.chipId"), "chip ID changed");
        if (info.state() == Constants.STATE_EMPTY) {
            assertEquals("uninitialized", now.get("VaultApplet.st.channelKey"), "an EMPTY chip keeps a channel key");
            assertEquals("false", now.get("VaultApplet.st.wipePending"));
        } else {
            checkKeysWork(vc, info);
        }
        return info;
    }

    /** The package keys work, and match the public database's record of this package when there is one. */
    private void checkKeysWork(VaultCard vc, ChipInfo info) {
        byte[] challenge = new byte[] {1, 2, 3, 4, 5, 6, 7, 8};
        assertArrayEquals(Cmac.aes(keys.channelKey(info.identity()), VaultCard.proveInput(challenge)), vc.proveChannelKey(challenge),
                "channel key");
        byte[] devicePublic = vc.devicePublicKey();
        assertTrue(EcP256.verifyDer(EcP256.decode(devicePublic), VaultCard.proveInput(challenge), vc.proveDeviceKey(challenge)),
                "device key pair");
        Optional<DeviceRecord> rec = publicDb.latest(info.chipIdHex());
        if (rec.isPresent() && rec.get().packageVersion() == info.packageVersion()) {
            assertArrayEquals(DeviceCertificate.parse(rec.get().certificate()).devicePublicKey(), devicePublic,
                    "the card's device key is not the one the database certifies for this package");
        }
    }

    /** The end state: provisioned, card and database agree, keys work, nothing open in the journal. */
    private void checkEnd(VaultCard vc, byte[] expectedDeviceKey) {
        DeviceInspector.Report report = DeviceInspector.verify(vc, publicDb, keys.manufacturerPoint());
        assertTrue(report.ok(), report.checks().toString());
        ChipInfo info = vc.select();
        checkKeysWork(vc, info);
        if (expectedDeviceKey != null) assertArrayEquals(expectedDeviceKey, vc.devicePublicKey(), "device key lost");
        assertEquals(List.of(), journal.pending("vault", info.chipIdHex()), "operation left open");
    }

    /** Provision re-run as an operator would: resume, or wipe an unrecorded package and provision again. */
    private void reprovision(VaultCard vc) {
        ChipInfo info = vc.select();
        if (info.state() == Constants.STATE_PROVISIONED) return;
        try {
            spp.provision(vc, identity);
        } catch (VaultException e) {
            assertTrue(e.getMessage().contains("wipe it first"), e.getMessage());
            spp.wipe(vc);
            spp.provision(vc, identity);
        }
    }

    @Test
    void provision() {
        TearSweep.Result r = TearSweep.sweep("vault provision", "vault", new TearSweep.Flow() {
            @Override public TearingSimulator start() { return newVaultWithIdentity(); }

            @Override public void run(CardTransport t) { spp.provision(on(t), identity); }

            @Override
            public void recover(TearingSimulator card, TearSweep.Point p, Map<String, String> before) {
                VaultCard vc = on(card);
                checkTornCard(card, before, vc);
                reprovision(vc);
                checkEnd(vc, null);
            }
        });
        TearSweep.assertNothingBroken(r, 15);
    }

    /**
     * The resume of a provision whose STORE PACKAGE answer was lost (the card holds the package, no
     * backup reached the database): the re-run reads the package back with GET BACKUP and finishes.
     * Torn at every APDU and write of that re-run, a further re-run still finishes it without a
     * wipe: the package version stays 1 and the device key is the one the card generated first.
     */
    @Test
    void provisionResumedByGetBackup() {
        byte[][] firstDeviceKey = new byte[1][];
        TearSweep.Result r = TearSweep.sweep("vault provision resumed by GET BACKUP", "vault", new TearSweep.Flow() {
            @Override
            public TearingSimulator start() {
                TearingSimulator card = newVaultWithIdentity();
                java.util.concurrent.atomic.AtomicBoolean armed = new java.util.concurrent.atomic.AtomicBoolean(true);
                try (CardSession lost = new CardSession(dev.cardsmith.support.LostAnswer.to(Constants.INS_STORE_PACKAGE, card, armed))) {
                    assertThrows(dev.cardsmith.transport.TransportException.class, () -> spp.provision(new VaultCard(lost), identity));
                }
                assertFalse(armed.get(), "STORE PACKAGE was sent");
                VaultCard vc = on(card);
                assertEquals(Constants.STATE_PACKAGED, vc.select().state());
                firstDeviceKey[0] = vc.devicePublicKey();
                return card;
            }

            @Override public void run(CardTransport t) { spp.provision(on(t), identity); }

            @Override
            public void recover(TearingSimulator card, TearSweep.Point p, Map<String, String> before) {
                VaultCard vc = on(card);
                ChipInfo torn = checkTornCard(card, before, vc);
                assertNotEquals(Constants.STATE_EMPTY, torn.state(), "the resume lost the package");
                if (torn.state() != Constants.STATE_PROVISIONED) spp.provision(vc, identity); // no wipe
                checkEnd(vc, firstDeviceKey[0]);
                assertEquals(1, vc.select().packageVersion(), "the resume made a new package");
            }
        });
        TearSweep.assertNothingBroken(r, 5);
    }

    @Test
    void wipe() {
        byte[][] original = new byte[1][];
        TearSweep.Result r = TearSweep.sweep("vault wipe", "vault", new TearSweep.Flow() {
            @Override
            public TearingSimulator start() {
                TearingSimulator card = newVaultWithIdentity();
                original[0] = spp.provision(on(card), identity).devicePublicKey();
                return card;
            }

            @Override public void run(CardTransport t) { spp.wipe(on(t)); }

            @Override
            public void recover(TearingSimulator card, TearSweep.Point p, Map<String, String> before) {
                VaultCard vc = on(card);
                ChipInfo info = checkTornCard(card, before, vc);
                assertTrue(info.state() == Constants.STATE_PROVISIONED || info.state() == Constants.STATE_EMPTY, info.stateName());
                if (info.state() != Constants.STATE_EMPTY) spp.wipe(vc);
                Recovery.recover(vc, publicDb);
                checkEnd(vc, original[0]);
            }
        });
        TearSweep.assertNothingBroken(r, 10);
    }

    @Test
    void recover() {
        byte[][] original = new byte[1][];
        TearSweep.Result r = TearSweep.sweep("vault recover", "vault", new TearSweep.Flow() {
            @Override
            public TearingSimulator start() {
                TearingSimulator card = newVaultWithIdentity();
                original[0] = spp.provision(on(card), identity).devicePublicKey();
                spp.wipe(on(card));
                return card;
            }

            @Override public void run(CardTransport t) { Recovery.recover(on(t), publicDb); }

            @Override
            public void recover(TearingSimulator card, TearSweep.Point p, Map<String, String> before) {
                VaultCard vc = on(card);
                ChipInfo info = checkTornCard(card, before, vc);
                if (info.state() == Constants.STATE_EMPTY) Recovery.recover(vc, publicDb);
                else if (info.state() == Constants.STATE_PACKAGED) spp.provision(vc, identity); // resumes: STORE CERTIFICATE only
                checkEnd(vc, original[0]);
            }
        });
        TearSweep.assertNothingBroken(r, 15);
    }
}
