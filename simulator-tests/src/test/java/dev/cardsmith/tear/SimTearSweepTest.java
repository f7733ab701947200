package dev.cardsmith.tear;

import dev.cardsmith.hsm.SoftwareHsm;
import dev.cardsmith.ota.DevKeys;
import dev.cardsmith.ota.OtaServer;
import dev.cardsmith.ota.OtaStore;
import dev.cardsmith.ota.Spi;
import dev.cardsmith.ota.terminal.Terminal;
import dev.cardsmith.ota.terminal.TerminalKeyStore;
import dev.cardsmith.simulator.AppletRegistry;
import dev.cardsmith.simulator.AppletSpec;
import dev.cardsmith.simulator.tear.TearingSimulator;
import dev.cardsmith.store.Database;
import dev.cardsmith.transport.CardSession;
import dev.cardsmith.transport.CardTransport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigInteger;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Tear sweep of the sim trust initialisation by OTA (docs/robustness.md, "Tearing"): the OTA
 * server's secured packet torn at every tear point of every ENVELOPE. Invariants: the card's OTA
 * counter never goes back and never passes the counter the OTA store reserved; a fresh initialisation (next counter) then completes with a good
 * proof of receipt, and the terminal authenticates and receives the trust key.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@dev.cardsmith.support.SimulatorOnly("tears inside a command need the rollback runtime (TearingSimulator), which only a simulated card has")
class SimTearSweepTest {
    private static final String IMEI = "490154203237518";
    private static final int MAX_OUTPUT = 12;
    private static final LocalDate TODAY = LocalDate.of(2026, 11, 24);

    @TempDir static Path dir;
    SoftwareHsm hsm;
    OtaServer server;
    TerminalKeyStore ks;
    byte[] terminalKey;
    int sims;

    @BeforeAll
    void world() {
        hsm = SoftwareHsm.open(dir.resolve("hsm.p12"), "test".toCharArray());
        server = new OtaServer(new OtaStore(Database.open("jdbc:sqlite:" + dir.resolve("ota.db")), hsm));
        ks = TerminalKeyStore.open(dir.resolve("terminal.json"), "test".toCharArray());
        terminalKey = Terminal.enrolSymmetric(ks, IMEI, MAX_OUTPUT);
    }

    @AfterAll
    void close() {
        hsm.close();
    }

    private static BigInteger counter(Map<String, String> state) {
        return new BigInteger(state.get("SimApplet.st.counter"), 16);
    }

    private OtaServer.Result init(CardTransport t, String sim) {
        return server.send(new CardSession(t), server.initTrustSymmetric(sim, terminalKey, IMEI, MAX_OUTPUT, TODAY.plusYears(1), 90, TODAY));
    }

    @Test
    void trustInitialisation() {
        String[] sim = new String[1];
        TearSweep.Result r = TearSweep.sweep("sim trust init", "sim", new TearSweep.Flow() {
            @Override
            public TearingSimulator start() {
                sim[0] = String.format("894900000000%08d", ++sims);
                server.store().register(sim[0], DevKeys.keys(), Spi.CounterMode.HIGHER);
                AppletSpec spec = AppletRegistry.byName("sim").withInstallParams(DevKeys.keys().installParams(DevKeys.MSL));
                return new TearingSimulator(List.of(spec));
            }

            @Override public void run(CardTransport t) { init(t, sim[0]); }

            @Override
            public void recover(TearingSimulator card, TearSweep.Point p, Map<String, String> before) {
                BigInteger now = counter(card.persistentState("sim"));
                assertTrue(now.compareTo(counter(before)) >= 0, "OTA counter went back");
                assertTrue(BigInteger.valueOf(server.store().require(sim[0]).counter()).compareTo(now) >= 0,
                        "the card accepted a counter the OTA store has not reserved");
                OtaServer.Result again = init(card, sim[0]);
                assertTrue(again.por().ok() && again.compact().ok(), "re-sent initialisation: " + again.por());
                Terminal.AuthResult a = new Terminal(new CardSession(card), ks).authenticate(false, TODAY);
                assertTrue(a.keyDelivered(), "trust key not delivered after the re-run");
            }
        });
        TearSweep.assertNothingBroken(r, 5);
    }
}
