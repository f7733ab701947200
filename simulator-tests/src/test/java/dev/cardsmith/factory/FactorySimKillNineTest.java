package dev.cardsmith.factory;

import dev.cardsmith.crypto.Hex;
import dev.cardsmith.ota.OtaKeys;
import dev.cardsmith.ota.OtaPersonalization;
import dev.cardsmith.ota.OtaServer;
import dev.cardsmith.ota.OtaStore;
import dev.cardsmith.transport.CardSession;
import dev.cardsmith.transport.CardTransports;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * kill -9 of a child JVM running the sim stage at chosen APDU boundaries (as
 * {@link FactoryPivKillNineTest}), then a resume in this JVM: exactly one key set per SIM, the one
 * the card answers under, and the device done.
 */
class FactorySimKillNineTest {
    static final List<String> SIM = List.of("sim");

    @TempDir
    Path dir;

    /** The child: one device through the sim stage; it stops forever before/after the first APDU with INS (and P2 when not -1). */
    public static void main(String[] a) throws Exception {
        try (LineFixture f = new LineFixture(Path.of(a[0]), SIM)) {
            f.simLine(SIM, null, FactoryPivKillNineTest.stopping(f.simCards(), a), OtaPersonalization.DEV_TRANSPORT_KEY).start(1, 1, null);
        }
        System.exit(3); // the boundary never came
    }

    /** Resumes the killed run; returns the run ID after checking the device is done with one key set its card answers under. */
    String resumeAndCheck(LineFixture f, OtaKeys before) {
        FactoryStore.Run run = f.store.latestUnfinished().orElseThrow();
        RunSummary r = f.simLine(SIM, null, f.simCards(), OtaPersonalization.DEV_TRANSPORT_KEY).resume(run, 1, null);
        assertEquals(1, r.succeeded(), r.toMap().toString());
        String[] row = SimRecords.row(f.db, run.id(), 0).orElseThrow();
        assertEquals("DONE", row[1]);
        assertEquals(1, f.count("SELECT COUNT(*) FROM ota_sim"), "one key set registered, never a second");
        OtaServer server = new OtaServer(new OtaStore(f.db, f.hsm));
        assertEquals(before, server.store().require(row[0]).keys(), "the key set registered before the kill is the SIM's");
        FactoryStore.Device d = f.store.devices(run.id()).get(0);
        assertEquals(FactoryStore.DeviceState.DONE, d.state());
        try (CardSession s = new CardSession(CardTransports.open("simfactory:" + d.card()))) {
            assertTrue(FactorySimStageTest.statusOk(server, s, row[0]), "the card answers under the registered key set");
        }
        // a second resume changes nothing
        RunSummary again = f.simLine(SIM, null, f.simCards(), OtaPersonalization.DEV_TRANSPORT_KEY).resume(f.store.run(run.id()).orElseThrow(), 1, null);
        assertEquals(0, again.failed() + again.setAside(), again.toMap().toString());
        assertEquals(1, f.count("SELECT COUNT(*) FROM ota_sim"));
        return run.id();
    }

    OtaKeys registered(LineFixture f) {
        String run = f.store.latestUnfinished().orElseThrow().id();
        String[] row = SimRecords.row(f.db, run, 0).orElseThrow();
        assertEquals("REGISTERED", row[1], "the intent was recorded before the card was written");
        return new OtaStore(f.db, f.hsm).require(row[0]).keys();
    }

    @Test
    void killedAfterRegisteringBeforePersonalizeIsPersonalizedWithTheRegisteredKeySet() throws Exception {
        FactoryPivKillNineTest.killChild(dir, FactorySimKillNineTest.class, 0x30, -1, "before");
        try (LineFixture f = new LineFixture(dir, SIM)) {
            OtaKeys before = registered(f);
            String run = f.store.latestUnfinished().orElseThrow().id();
            try (CardSession s = new CardSession(CardTransports.open("simfactory:" + f.store.devices(run).get(0).card()))) {
                assertFalse(FactorySimStageTest.statusOk(new OtaServer(new OtaStore(f.db, f.hsm)), s, SimRecords.row(f.db, run, 0).orElseThrow()[0]),
                        "not personalized before the kill: no PoR");
            }
            resumeAndCheck(f, before);
            assertTrue(f.store.intent(run, 0, "sim").orElseThrow().attempts() >= 2);
        }
    }

    @Test
    void killedAfterPersonalizeBeforeCompletionIsDoneWithoutASecondPersonalize() throws Exception {
        FactoryPivKillNineTest.killChild(dir, FactorySimKillNineTest.class, 0x30, -1, "after");
        try (LineFixture f = new LineFixture(dir, SIM)) {
            OtaKeys before = registered(f);
            String run = resumeAndCheck(f, before);
            assertTrue(f.store.intent(run, 0, "sim").orElseThrow().detail().contains("resumed"), f.store.intent(run, 0, "sim").orElseThrow().detail());
        }
    }

    @Test
    void killedAfterTheStatusProofBeforeTheCompletionRecordIsDone() throws Exception {
        FactoryPivKillNineTest.killChild(dir, FactorySimKillNineTest.class, 0xC2, -1, "after");
        try (LineFixture f = new LineFixture(dir, SIM)) {
            OtaKeys before = registered(f);
            resumeAndCheck(f, before);
            assertEquals(0, f.count("SELECT COUNT(*) FROM ota_sim WHERE keys_wrapped LIKE '%" + Hex.of(before.kic()) + "%'"), "wrapped, never clear");
        }
    }
}
