package dev.cardsmith.tear;

import dev.cardsmith.applet.sim.Constants;
import dev.cardsmith.hsm.SoftwareHsm;
import dev.cardsmith.ota.DevKeys;
import dev.cardsmith.ota.OtaKeys;
import dev.cardsmith.ota.OtaServer;
import dev.cardsmith.ota.SimCard;
import dev.cardsmith.ota.SimPersonalization;
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

import javax.smartcardio.CommandAPDU;
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
        OtaStore.createKek(hsm);
        server = new OtaServer(new OtaStore(Database.open("jdbc:sqlite:" + dir.resolve("ota.db")), hsm));
        ks = TerminalKeyStore.open(dir.resolve("terminal.json"), "test".toCharArray());
    }

    @AfterAll
    void close() {
        hsm.close();
    }

    private static BigInteger counter(Map<String, String> state) {
        return new BigInteger(state.get("SimApplet.st.counter"), 16);
    }

    private OtaServer.Result init(CardTransport t, String sim) {
        return server.send(new dev.cardsmith.ota.handset.Handset(new CardSession(t), IMEI), server.initTrustSymmetric(sim, terminalKey, IMEI, MAX_OUTPUT, TODAY.plusYears(1), 90, TODAY));
    }

    @Test
    void trustInitialisation() {
        String[] sim = new String[1];
        TearSweep.Result r = TearSweep.sweep("sim trust init", "sim", new TearSweep.Flow() {
            @Override
            public TearingSimulator start() {
                sim[0] = String.format("894900000000%08d", ++sims);
                return personalized(sim[0]);
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
                Terminal.AuthResult a = Terminal.onHandset(new CardSession(card), ks).authenticate(false, TODAY);
                assertTrue(a.keyDelivered(), "trust key not delivered after the re-run");
            }
        });
        TearSweep.assertNothingBroken(r, 5);
    }

    /** The fields PERSONALIZE writes (its transaction), by their {@code persistentState} names. */
    private static final List<String> PERSO_FIELDS = List.of("keys.alg", "keys.kicIndex", "keys.kidIndex", "tar", "msl", "counter", "otaPersonalized");
    /** Another key set, for the re-run that must be refused (6985) without replacing the first one. */
    private static final OtaKeys OTHER_KEYS = OtaKeys.aes(2, filled(0x11), 2, filled(0x22), new byte[] {1, 2, 3});

    private static byte[] filled(int b) {
        byte[] k = new byte[16];
        java.util.Arrays.fill(k, (byte) b);
        return k;
    }

    /** A fresh SIM installed with a transport key only (OTA key set not personalized), registered with the OTA server. */
    private TearingSimulator bare(String sim) {
        server.store().register(sim, DevKeys.keys(), Spi.CounterMode.HIGHER);
        return new TearingSimulator(List.of(AppletRegistry.byName("sim").withInstallParams(SimPersonalization.DEV_TRANSPORT_KEY)));
    }

    /** SELECT + PERSONALIZE (the personalization unit's two APDUs); the status word of PERSONALIZE. */
    private static int personalize(CardTransport t, OtaKeys keys) {
        CardSession s = new CardSession(t);
        new SimCard(s).select();
        return s.transmit(SimPersonalization.command(SimPersonalization.DEV_TRANSPORT_KEY, keys, DevKeys.MSL)).getSW();
    }

    private static boolean otaKeySetFlag(CardTransport t) {
        SimCard card = new SimCard(new CardSession(t));
        card.select();
        byte[] poll = card.poll();
        return (poll[1] & Constants.FLAG_OTA_PERSONALIZED) != 0;
    }

    /** OTA STATUS from the host's OtaServer: accepted with a good PoR only under the expected (DevKeys) key set. */
    private void otaWorks(CardTransport t, String sim) {
        OtaServer.Result st = server.send(new dev.cardsmith.ota.handset.Handset(new CardSession(t), IMEI), server.status(sim, TODAY));
        assertTrue(st.por().ok() && st.compact().ok(), "OTA with the expected key set: " + st.por());
    }

    /**
     * The personalization check: the PERSONALIZE fields all old (unpersonalized: the key set flag
     * off, ENVELOPE refused, the re-run accepted) or all as an untorn personalization leaves them
     * (the re-run refused with 6985); the OTA counter zero or the old value; afterwards personalized
     * exactly once, with the expected key set (OTA accepted, good PoR), a second PERSONALIZE refused.
     */
    private void checkPersonalization(TearingSimulator card, String sim, Map<String, String> before, Map<String, String> untorn) {
        Map<String, String> now = card.persistentState("sim");
        for (String f : PERSO_FIELDS) assertNotNull(now.get("SimApplet.st." + f), "no field " + f);
        String c = now.get("SimApplet.st.counter");
        assertTrue(c.equals(before.get("SimApplet.st.counter")) || counter(now).signum() == 0, "OTA counter " + c);
        boolean personalized = Boolean.parseBoolean(now.get("SimApplet.st.otaPersonalized"));
        Map<String, String> expect = personalized ? untorn : before;
        for (String f : PERSO_FIELDS) {
            assertEquals(expect.get("SimApplet.st." + f), now.get("SimApplet.st." + f), f + " (personalized " + personalized + "): a mix");
        }
        assertEquals(personalized, otaKeySetFlag(card), "POLL's key set flag");
        if (personalized) {
            assertEquals(0x6985, personalize(card, DevKeys.keys()), "re-run on a personalized SIM");
        } else {
            CardSession s = new CardSession(card);
            new SimCard(s).select();
            byte[] env = server.status(sim, TODAY).envelopes().get(0);
            javax.smartcardio.ResponseAPDU r = new SimCard(s).envelope(env);
            assertEquals(0x9000, r.getSW());
            assertEquals(0, r.getData().length, "OTA answered (a PoR) without a committed key set");
            assertEquals(0x9000, personalize(card, DevKeys.keys()), "re-run on an unpersonalized SIM");
        }
        assertEquals(0x6985, personalize(card, OTHER_KEYS), "a second personalization");
        assertTrue(otaKeySetFlag(card));
        otaWorks(card, sim);
    }

    /**
     * SIM personalization by the one-time PERSONALIZE command (SELECT + PERSONALIZE): the OTA key
     * set installed and the counter zeroed, torn at every point; see {@link #checkPersonalization}.
     */
    @Test
    void personalization() {
        String[] sim = new String[1];
        TearingSimulator ref = bare(String.format("894900000000%08d", ++sims));
        assertEquals(0x9000, personalize(ref, DevKeys.keys()));
        Map<String, String> untorn = ref.persistentState("sim");
        TearSweep.Result r = TearSweep.sweep("sim personalize", "sim", new TearSweep.Flow() {
            @Override
            public TearingSimulator start() {
                sim[0] = String.format("894900000000%08d", ++sims);
                return bare(sim[0]);
            }

            @Override public void run(CardTransport t) { assertEquals(0x9000, personalize(t, DevKeys.keys())); }

            @Override
            public void recover(TearingSimulator card, TearSweep.Point p, Map<String, String> before) {
                checkPersonalization(card, sim[0], before, untorn);
            }
        });
        TearSweep.assertNothingBroken(r, 4);
    }

    /** The personalization check can fail: a SIM personalized with another key set is caught. */
    @Test
    void personalizationCheckCatchesAForeignKeySet() {
        String sim = String.format("894900000000%08d", ++sims);
        TearingSimulator ref = bare(String.format("894900000000%08d", ++sims));
        assertEquals(0x9000, personalize(ref, DevKeys.keys()));
        Map<String, String> untorn = ref.persistentState("sim");
        TearingSimulator card = bare(sim);
        Map<String, String> before = card.persistentState("sim");
        assertEquals(0x9000, personalize(card, OTHER_KEYS));
        AssertionError e = assertThrows(AssertionError.class, () -> checkPersonalization(card, sim, before, untorn));
        assertTrue(e.getMessage().contains("a mix"), e.getMessage());
    }

    private Terminal terminal(CardTransport t) {
        return Terminal.onHandset(new CardSession(t), ks);
    }

    /** A fresh personalized SIM (OTA keys, registered with the OTA server) and a freshly enrolled terminal. */
    private TearingSimulator personalized(String sim) {
        terminalKey = Terminal.enrolSymmetric(ks, IMEI, MAX_OUTPUT);
        server.store().register(sim, DevKeys.keys(), Spi.CounterMode.HIGHER);
        AppletSpec spec = AppletRegistry.byName("sim").withInstallParams(DevKeys.keys().installParams(DevKeys.MSL));
        return new TearingSimulator(List.of(spec));
    }

    /** A fresh SIM with trust established: initialised by OTA, the terminal authenticated and its ACK accepted. */
    private TearingSimulator trusted(String sim) {
        TearingSimulator card = personalized(sim);
        assertTrue(init(card, sim).compact().ok());
        Terminal term = terminal(card);
        assertTrue(term.authenticate(false, TODAY).keyDelivered());
        server.acceptNotification(sim, term.ack());
        return card;
    }

    /** The OTA counter invariants of every sim flow: never back, never past what the OTA store reserved. */
    private void checkCounter(TearingSimulator card, String sim, Map<String, String> before) {
        BigInteger now = counter(card.persistentState("sim"));
        assertTrue(now.compareTo(counter(before)) >= 0, "OTA counter went back");
        assertTrue(BigInteger.valueOf(server.store().require(sim).counter()).compareTo(now) >= 0,
                "the card accepted a counter the OTA store has not reserved");
    }

    /** Sweeps one OTA message sent to a trusted SIM; {@code recover} gets the torn card and the SIM id. */
    private TearSweep.Result sweepOta(String name, java.util.function.Function<String, OtaServer.OtaMessage> message,
                                      java.util.function.BiConsumer<TearingSimulator, String> recover) {
        String[] sim = new String[1];
        return TearSweep.sweep(name, "sim", new TearSweep.Flow() {
            @Override
            public TearingSimulator start() {
                sim[0] = String.format("894900000000%08d", ++sims);
                return trusted(sim[0]);
            }

            @Override public void run(CardTransport t) { server.send(new dev.cardsmith.ota.handset.Handset(new CardSession(t), IMEI), message.apply(sim[0])); }

            @Override
            public void recover(TearingSimulator card, TearSweep.Point p, Map<String, String> before) {
                checkCounter(card, sim[0], before);
                recover.accept(card, sim[0]);
            }
        });
    }

    /**
     * Network-initiated trust key update (Fig. 3): REQUEST UPDATE by OTA, the terminal
     * authenticates asking for the next generation, receives it and ACKs (the network accepts the
     * notification). Invariants: still trusted, the terminal and the SIM share a working trust key
     * whose generation never goes back; the re-run (update request again if none is pending, then
     * the terminal's update) ends at a newer generation with nothing pending.
     */
    @Test
    void trustUpdate() {
        String[] sim = new String[1];
        TearSweep.Result r = TearSweep.sweep("sim update", "sim", new TearSweep.Flow() {
            @Override
            public TearingSimulator start() {
                sim[0] = String.format("894900000000%08d", ++sims);
                return trusted(sim[0]);
            }

            @Override
            public void run(CardTransport t) {
                server.send(new dev.cardsmith.ota.handset.Handset(new CardSession(t), IMEI), server.update(sim[0], TODAY));
                Terminal term = terminal(t);
                assertTrue(term.authenticate(true, TODAY).keyDelivered());
                server.acceptNotification(sim[0], term.ack());
            }

            @Override
            public void recover(TearingSimulator card, TearSweep.Point p, Map<String, String> before) {
                checkCounter(card, sim[0], before);
                Terminal term = terminal(card);
                assertEquals(Constants.STATE_TRUSTED, term.poll().state(), "trust lost by a torn update");
                int gen = term.authenticate(false, TODAY).generation(); // throws when no shared trust key is left
                assertTrue(gen >= 1, "generation " + gen);
                if (!term.poll().updatePending() && gen == 1) {
                    OtaServer.Result again = server.send(new dev.cardsmith.ota.handset.Handset(new CardSession(card), IMEI), server.update(sim[0], TODAY));
                    assertTrue(again.por().ok() && again.compact().ok(), "re-sent update: " + again.por());
                }
                if (term.poll().updatePending()) {
                    Terminal.AuthResult upd = term.authenticate(true, TODAY);
                    assertTrue(upd.keyDelivered());
                    server.acceptNotification(sim[0], term.ack());
                }
                assertFalse(term.poll().updatePending(), "update still pending after the re-run");
                int end = terminal(card).authenticate(false, TODAY).generation();
                assertTrue(end >= 2 && end >= gen, "generation after the re-run: " + end);
            }
        });
        TearSweep.assertNothingBroken(r, 5);
    }

    /** Revocation by the network: old (trusted) or new (revoked); the host re-sends, or reads the state, until the store agrees. */
    @Test
    void revokeByTheNetwork() {
        TearSweep.Result r = sweepOta("sim revoke", server::revoke, (card, sim) -> {
            Terminal term = terminal(card);
            int state = term.poll().state();
            assertTrue(state == Constants.STATE_TRUSTED || state == Constants.STATE_REVOKED, "state after the tear: " + state);
            if (state == Constants.STATE_TRUSTED) {
                assertEquals(1, term.authenticate(false, TODAY).generation(), "not revoked: the trust key must still work");
                OtaServer.Result again = server.send(new dev.cardsmith.ota.handset.Handset(new CardSession(card), IMEI), server.revoke(sim));
                assertTrue(again.por().ok() && again.compact().ok(), "re-sent revoke: " + again.por());
            } else {
                OtaServer.Result st = server.send(new dev.cardsmith.ota.handset.Handset(new CardSession(card), IMEI), server.status(sim, TODAY)); // the store catches up
                assertTrue(st.por().ok() && st.compact().ok(), "status: " + st.por());
            }
            assertEquals(Constants.STATE_REVOKED, terminal(card).poll().state());
            assertEquals("REVOKED", server.store().require(sim).trustState(), "the store agrees with the card");
            assertThrows(dev.cardsmith.ota.terminal.TerminalException.class, () -> terminal(card).authenticate(false, TODAY));
        });
        TearSweep.assertNothingBroken(r, 5);
    }

    /** DRM license by OTA (Figs. 4-5): the content key is absent or whole, never half-written. */
    @Test
    void license() {
        byte[] contentKey = new byte[16];
        java.util.Arrays.fill(contentKey, (byte) 0x5C);
        int contentId = 7;
        TearSweep.Result r = sweepOta("sim license", sim -> server.license(sim, contentId, contentKey, 3, TODAY, TODAY.plusDays(10)),
                (card, sim) -> {
                    Terminal term = terminal(card);
                    term.authenticate(false, TODAY);
                    try {
                        assertArrayEquals(contentKey, term.contentKey(contentId).key(), "a half-written content key");
                    } catch (dev.cardsmith.transport.CardStatusException absent) {
                        // not licensed yet: the old state
                    }
                    OtaServer.Result again = server.send(new dev.cardsmith.ota.handset.Handset(new CardSession(card), IMEI), server.license(sim, contentId, contentKey, 3, TODAY, TODAY.plusDays(10)));
                    assertTrue(again.por().ok() && again.compact().ok(), "re-sent license: " + again.por());
                    Terminal t2 = terminal(card);
                    t2.authenticate(false, TODAY);
                    Terminal.ContentKey k = t2.contentKey(contentId);
                    assertArrayEquals(contentKey, k.key());
                    assertEquals(2, k.playsLeft(), "the re-sent license holds its 3 plays");
                });
        TearSweep.assertNothingBroken(r, 5);
    }
}
