package dev.cardsmith.ota;

import dev.cardsmith.applet.sim.Constants;
import dev.cardsmith.hsm.SoftwareHsm;
import dev.cardsmith.ota.handset.Handset;
import dev.cardsmith.simulator.AppletRegistry;
import dev.cardsmith.simulator.AppletSpec;
import dev.cardsmith.simulator.tear.TearingSimulator;
import dev.cardsmith.store.Database;
import dev.cardsmith.transport.CardSession;
import dev.cardsmith.transport.TransportException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A SIM torn out of the handset while it processes an OTA message (the rollback-and-tear runtime,
 * docs/tearing.md): at every persistent write of the init-trust ENVELOPE the power is cut; the SIM
 * then holds the old state or the new one, and the network's re-run (next counter) completes.
 */
class OtaHandsetTearTest {

    @TempDir
    Path dir;

    @Test
    void tornInitTrust_atEveryWrite_oldOrNewState_andTheRerunCompletes() {
        Database db = Database.open("jdbc:sqlite:" + dir.resolve("ota.db"));
        try (SoftwareHsm hsm = SoftwareHsm.open(dir.resolve("hsm.p12"), "test".toCharArray())) {
            OtaStore.createKek(hsm);
            OtaServer server = new OtaServer(new OtaStore(db, hsm));
            AppletSpec spec = AppletRegistry.byName("sim").withInstallParams(DevKeys.keys().installParams(DevKeys.MSL));
            int torn = 0;
            for (int k = 0; k < 400; k++) {
                String sim = String.format("894900000000%08d", k);
                server.store().register(sim, DevKeys.keys(), Spi.CounterMode.HIGHER);
                TearingSimulator card = new TearingSimulator(List.of(spec));
                CardSession session = new CardSession(card);
                Handset handset = new Handset(session, OtaFixture.IMEI);
                OtaServer.OtaMessage init = server.initTrustSymmetric(sim, new byte[16], OtaFixture.IMEI, OtaFixture.MAX_OUTPUT,
                        OtaFixture.TODAY.plusDays(30), 90, OtaFixture.TODAY);
                card.armTearAfterWrites(k);
                try {
                    assertTrue(server.send(handset, init).compact().ok());
                } catch (TransportException e) {
                    torn++;
                }
                if (!card.lastCommandTorn()) break; // k is past the last write: the command completed
                // power back: the handset starts over, the SIM holds the old state (EMPTY) or the new one
                Handset again = new Handset(session, OtaFixture.IMEI);
                OtaServer.Result st = server.send(again, server.status(sim, OtaFixture.TODAY));
                int state = SimStatus.parse(st.compact().data()).state();
                assertTrue(state == Constants.STATE_EMPTY || state == Constants.STATE_INITIALIZED, "tear after " + k + " writes: state " + state);
                // the network re-runs init-trust with its next counter; the SIM takes it
                OtaServer.Result rerun = server.send(again, server.initTrustSymmetric(sim, new byte[16], OtaFixture.IMEI, OtaFixture.MAX_OUTPUT,
                        OtaFixture.TODAY.plusDays(30), 90, OtaFixture.TODAY));
                assertTrue(rerun.por().ok() && rerun.compact().ok(), "re-run after a tear at write " + k);
                assertEquals(Constants.STATE_INITIALIZED, SimStatus.parse(server.send(again, server.status(sim, OtaFixture.TODAY)).compact().data()).state());
                session.close();
            }
            System.out.printf("init-trust ENVELOPE torn at %d write points%n", torn);
            assertTrue(torn > 5, "the init-trust ENVELOPE was torn at " + torn + " write points");
        }
    }
}
