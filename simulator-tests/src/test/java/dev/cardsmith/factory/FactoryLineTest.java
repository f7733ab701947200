package dev.cardsmith.factory;

import dev.cardsmith.codec.Imei;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The line in one process: parallel devices, injected card faults, identity exhaustion, resume. */
class FactoryLineTest {
    static final List<String> ALL = List.of("vault", "psd", "module");
    static final String RANGE = "35693803564380-35693803564399"; // 20 IMEIs

    @TempDir
    Path dir;

    @Test
    void parallelRunWithInjectedCardFaultsRecordsEveryDeviceAndResumeFinishesIt() {
        try (LineFixture f = new LineFixture(dir, ALL)) {
            IdentityPool pool = IdentityPool.imeiRange(f.db, f.pub, RANGE);
            // slot 2: the vault refuses STORE PACKAGE (6A80); slot 5: the card is pulled after 5 APDUs and does not come back
            CardSource cards = LineFixture.faulty(f.sims, (slot, t) -> slot == 2 ? LineFixture.refusing(t, 0x30, 0x6A80)
                    : slot == 5 ? LineFixture.pulledAfter(t, 5) : t);
            RunSummary s = f.line(ALL, pool, cards).start(8, 4, null);
            assertEquals(6, s.succeeded(), s.toMap().toString());
            assertEquals(1, s.setAside(), s.toMap().toString());
            assertEquals(1, s.failed(), s.toMap().toString());
            assertFalse(s.complete());
            String run = s.runId();
            List<FactoryStore.Device> devices = f.store.devices(run);
            assertEquals(8, devices.size());
            for (FactoryStore.Device d : devices) assertTrue(Files.exists(Path.of(d.card())), "row points at a missing card: " + d);
            assertEquals(FactoryStore.DeviceState.SET_ASIDE, devices.get(2).state());
            assertTrue(devices.get(2).detail().contains("vault"), devices.get(2).detail());
            assertEquals(FactoryStore.DeviceState.FAILED, devices.get(5).state());
            // slot 5 was pulled before STORE CERTIFICATE, after its backup reached the public database
            assertEquals(7, f.countPublic("SELECT COUNT(DISTINCT chip_id) FROM vault_device"));

            // the pulled card is back: --resume finishes it; the set-aside one stays set aside with its record
            RunSummary r = f.line(ALL, pool, f.sims).resume(f.store.run(run).orElseThrow(), 4, null);
            assertEquals(7, r.succeeded(), r.toMap().toString());
            assertEquals(1, r.setAside());
            assertEquals(7, f.countPublic("SELECT COUNT(*) FROM vault_device"));
            assertEquals(7, f.countPublic("SELECT COUNT(DISTINCT device_identity) FROM vault_device"));
            // 8 bindings: the set-aside card (STORE PACKAGE refused) keeps its identity bound, so it is never handed out again
            assertEquals(8, f.countPublic("SELECT COUNT(*) FROM vault_identity"), "identity bindings in the public database");
            assertEquals(0, f.count("SELECT COUNT(*) FROM vault_device"), "public records written into the line's operations store");
            assertEquals(7, f.count("SELECT COUNT(*) FROM psd_device WHERE state = 'ISSUED'"));
            assertEquals(7, f.count("SELECT COUNT(*) FROM module_registry WHERE state = 'PERSONALIZED'"));
            assertEquals(0, f.count("SELECT COUNT(*) FROM operation_journal WHERE state = 'PENDING'"));
            Set<String> ids = new HashSet<>();
            for (FactoryStore.Device d : f.store.devices(run)) assertTrue(ids.add(d.identity()), "identity twice: " + d.identity());
            assertEquals(7, f.count("SELECT COUNT(*) FROM factory_identity WHERE state = 'USED'"));
            assertEquals("FINISHED", f.store.run(run).orElseThrow().state(), "every device is done or set aside with a record");
        }
    }

    @Test
    void identityExhaustionStopsTheLineBeforeAnyFurtherCard() {
        try (LineFixture f = new LineFixture(dir, List.of("vault"))) {
            IdentityPool pool = IdentityPool.imeiRange(f.db, f.pub, "35693803564380-35693803564382"); // 3 IMEIs
            RunSummary s = f.line(List.of("vault"), pool, f.sims).start(5, 2, null);
            assertEquals(3, s.succeeded(), s.toMap().toString());
            assertEquals(2, s.notStarted());
            assertEquals(3, f.store.devices(s.runId()).size(), "no device row (and no card) without an identity");
            RunSummary again = f.line(List.of("vault"), pool, f.sims).start(1, 1, null);
            assertEquals(0, again.succeeded());
            assertEquals(1, again.notStarted());
            assertEquals(3, f.countPublic("SELECT COUNT(DISTINCT device_identity) FROM vault_device"));
            assertThrows(IdentityPool.ExhaustedException.class, () -> pool.allocate("another-run", 0));
        }
    }

    @Test
    void identitiesFromACsvFileAreHandedOutOnceEvenWhenTwoFilesOverlap() throws Exception {
        try (LineFixture f = new LineFixture(dir, List.of("vault"))) {
            Path a = Files.writeString(dir.resolve("a.csv"), "imei,batch\n490154203237518,A\n356938035643809,A\n");
            Path b = Files.writeString(dir.resolve("b.csv"), "356938035643809\n352099001761481\n");
            IdentityPool pa = IdentityPool.csv(f.db, f.pub, a);
            IdentityPool pb = IdentityPool.csv(f.db, f.pub, b);
            assertEquals("490154203237518", pa.allocate("r", 0));
            assertEquals("356938035643809", pa.allocate("r", 1));
            assertEquals("352099001761481", pb.allocate("r", 2), "the shared identity went to the first file's device");
            assertThrows(IdentityPool.ExhaustedException.class, () -> pb.allocate("r", 3));
            assertEquals("490154203237518", pa.allocate("r", 0), "a slot keeps its identity");
            Path bad = Files.writeString(dir.resolve("bad.csv"), "490154203237519\n");
            FactoryException e = assertThrows(FactoryException.class, () -> IdentityPool.csv(f.db, f.pub, bad));
            assertTrue(e.getMessage().contains("Luhn"), e.getMessage());
        }
    }

    @Test
    void anIdentityAlreadyOnAVaultDeviceIsNeverHandedOutAgain() throws Exception {
        try (LineFixture f = new LineFixture(dir, List.of("vault"))) {
            // provisioned outside the line, as `device provision --imei 490154203237518` does
            try (dev.cardsmith.transport.CardSession card = new dev.cardsmith.transport.CardSession(
                    dev.cardsmith.simulator.SimulatorTransport.open(dir.resolve("single.sim")))) {
                new dev.cardsmith.vault.SecureProcessingPoint(new dev.cardsmith.vault.VaultKeys(f.hsm), f.pub, new dev.cardsmith.store.OperationJournal(f.db), null)
                        .provision(new dev.cardsmith.vault.VaultCard(card), Imei.identityBytes("490154203237518"));
            }
            IdentityPool range = IdentityPool.imeiRange(f.db, f.pub, "490154203237518-490154203237526");
            assertEquals("490154203237526", range.allocate("r", 0));
            assertThrows(IdentityPool.ExhaustedException.class, () -> range.allocate("r", 1));
            Path csv = Files.writeString(dir.resolve("c.csv"), "490154203237518\n");
            assertThrows(IdentityPool.ExhaustedException.class, () -> IdentityPool.csv(f.db, f.pub, csv).allocate("r", 2));
            assertEquals(1, f.count("SELECT COUNT(*) FROM factory_identity WHERE state = 'ELSEWHERE'"));
        }
    }

    @Test
    void rangesCheckTheirImeis() {
        try (LineFixture f = new LineFixture(dir, List.of("vault"))) {
            IdentityPool p = IdentityPool.imeiRange(f.db, f.pub, "490154203237518-490154203237526");
            assertEquals("490154203237518", p.allocate("r", 0));
            assertEquals(Imei.validate("490154203237526"), p.allocate("r", 1));
            assertThrows(IllegalArgumentException.class, () -> IdentityPool.imeiRange(f.db, f.pub, "490154203237519-490154203237526"));
            assertThrows(FactoryException.class, () -> IdentityPool.imeiRange(f.db, f.pub, "490154203237526-490154203237518"));
        }
    }

    @Test
    void aStageWhoseWorkIsDoneIsNotRepeatedWhenItsIntentStayedOpen() {
        try (LineFixture f = new LineFixture(dir, ALL)) {
            IdentityPool pool = IdentityPool.imeiRange(f.db, f.pub, RANGE);
            RunSummary s = f.line(ALL, pool, f.sims).start(2, 2, null);
            assertTrue(s.complete(), s.toMap().toString());
            // as if the process had died after each stage's card work but before its completion was recorded
            f.db.inTransaction(c -> {
                c.createStatement().executeUpdate("UPDATE factory_intent SET state = 'INTENT'");
                c.createStatement().executeUpdate("UPDATE factory_device SET state = 'PENDING'");
                c.createStatement().executeUpdate("UPDATE factory_run SET state = 'RUNNING'");
                return null;
            });
            RunSummary r = f.line(ALL, pool, f.sims).resume(f.store.latestUnfinished().orElseThrow(), 2, null);
            assertTrue(r.complete(), r.toMap().toString());
            assertEquals(2, f.countPublic("SELECT COUNT(*) FROM vault_device"), "provisioned twice");
            assertEquals(2, f.count("SELECT COUNT(*) FROM psd_device"));
            assertEquals(2, f.count("SELECT COUNT(*) FROM module_certificate WHERE role = 'MODULE'"), "personalized twice");
            assertEquals(0, f.count("SELECT COUNT(*) FROM factory_intent WHERE state <> 'DONE'"));
            assertEquals("FINISHED", f.store.run(s.runId()).orElseThrow().state());
            // each stage went through its flow's resume entry, which found the work done
            assertEquals(2, f.count("SELECT COUNT(*) FROM factory_intent WHERE stage = 'vault' AND detail LIKE '%resumed%'"));
            assertEquals(2, f.count("SELECT COUNT(*) FROM factory_intent WHERE stage = 'psd' AND detail LIKE '%already issued%'"));
            assertEquals(2, f.count("SELECT COUNT(*) FROM factory_intent WHERE stage = 'module' AND detail LIKE '%already personalized%'"));
            // the single-device entry stays strict: a second issue of an issued PSD is refused
            String card = f.store.devices(s.runId()).get(0).card();
            try (dev.cardsmith.transport.CardSession session = new dev.cardsmith.transport.CardSession(f.sims.reopen(card).transport())) {
                dev.cardsmith.psd.AccessServer access = new dev.cardsmith.psd.AccessServer(f.hsm, new dev.cardsmith.psd.PsdStore(f.db));
                dev.cardsmith.psd.PsdException e = assertThrows(dev.cardsmith.psd.PsdException.class, () -> access.issue(session));
                assertTrue(e.getMessage().contains("already issued"), e.getMessage());
                assertEquals("already issued", access.issueOrResume(session).action());
            }
        }
    }
}
