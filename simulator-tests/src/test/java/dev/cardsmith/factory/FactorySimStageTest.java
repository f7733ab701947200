package dev.cardsmith.factory;

import dev.cardsmith.crypto.Hex;
import dev.cardsmith.hsm.SoftwareHsm;
import dev.cardsmith.ota.DevKeys;
import dev.cardsmith.ota.OtaKeys;
import dev.cardsmith.ota.OtaPersonalization;
import dev.cardsmith.ota.OtaServer;
import dev.cardsmith.ota.OtaStore;
import dev.cardsmith.ota.SimCard;
import dev.cardsmith.ota.SimIssuance;
import dev.cardsmith.ota.handset.Handset;
import dev.cardsmith.store.Database;
import dev.cardsmith.support.CliProcess;
import dev.cardsmith.transport.CardSession;
import dev.cardsmith.transport.CardTransport;
import dev.cardsmith.transport.CardTransports;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The sim stage: a fresh OTA key set per SIM, registered wrapped under the OTA KEK, personalized
 * with PERSONALIZE under the SIM's transport key and proven by an OTA STATUS through the handset.
 */
class FactorySimStageTest {
    static final List<String> VAULT_SIM = List.of("vault", "sim");
    static final List<String> SIM = List.of("sim");
    static final String RANGE = "35693803564380-35693803564399";
    static final byte[] TK = OtaPersonalization.DEV_TRANSPORT_KEY;

    @TempDir
    Path dir;

    /** An OTA STATUS to the card under the key set the store holds for {@code simId}: true for an authenticated, good PoR. */
    static boolean statusOk(OtaServer server, CardSession session, String simId) {
        SimCard card = new SimCard(session);
        try {
            OtaServer.Result r = server.send(new Handset(card.channel(), "490154203237518"), server.status(simId, java.time.LocalDate.now()));
            return r.por().authenticated() && r.por().ok() && r.compact().ok();
        } catch (RuntimeException e) {
            return false;
        }
    }

    @Test
    void vaultThenSimGivesEachSimItsOwnKeySetThatItsCardAnswersUnder() throws Exception {
        try (LineFixture f = new LineFixture(dir, VAULT_SIM)) {
            assertTrue(f.hsm.contains(OtaStore.KEK_LABEL), "development mode created the OTA KEK");
            IdentityPool pool = IdentityPool.imeiRange(f.db, f.pub, RANGE);
            RunSummary s = f.simLine(VAULT_SIM, pool, f.simCards(), TK).start(3, 2, null);
            assertEquals(3, s.succeeded(), s.toMap().toString());
            System.out.println("FactorySimStageTest vault,sim x3: " + s.toMap().get("perStage"));
            OtaServer server = new OtaServer(new OtaStore(f.db, f.hsm));
            List<FactoryStore.Device> devices = f.store.devices(s.runId());
            Set<String> keys = new HashSet<>();
            List<String> simIds = new ArrayList<>();
            for (FactoryStore.Device d : devices) {
                String[] row = SimRecords.row(f.db, s.runId(), d.slot()).orElseThrow();
                assertEquals("DONE", row[1]);
                assertEquals(d.identity(), row[0], "the SIM ID is the device's identity");
                OtaKeys k = server.store().require(row[0]).keys();
                assertEquals(OtaKeys.Algorithm.AES, k.algorithm());
                assertEquals(16, k.kic().length);
                assertEquals("C5D704", Hex.of(k.tar()).toUpperCase());
                assertFalse(java.util.Arrays.equals(DevKeys.KIC, k.kic()) || java.util.Arrays.equals(DevKeys.KID, k.kid()), "not the published keys");
                assertTrue(keys.add(Hex.of(k.kic())) & keys.add(Hex.of(k.kid())), "no two SIMs (or KIc and KID) share a key");
                simIds.add(row[0]);
                // no key in clear in the database
                assertEquals(0, f.count("SELECT COUNT(*) FROM ota_sim WHERE keys_wrapped LIKE '%" + Hex.of(k.kic()) + "%' OR keys_wrapped LIKE '%"
                        + Hex.of(k.kid()).toUpperCase() + "%'"));
                assertEquals(0, f.count("SELECT COUNT(*) FROM factory_intent WHERE detail LIKE '%" + Hex.of(k.kic()) + "%'"));
            }
            for (FactoryStore.Device d : devices) {
                try (CardSession session = new CardSession(CardTransports.open("simfactory:" + d.card()))) {
                    for (String other : simIds) {
                        assertEquals(other.equals(d.identity()), statusOk(server, session, other),
                                "card " + d.slot() + " answers under its own key set only (tried " + other + ")");
                    }
                    // the card refuses a second PERSONALIZE: nobody can replace its key set
                    new SimCard(session).select();
                    assertEquals(0x6985, session.transmit(OtaPersonalization.command(TK, DevKeys.keys(), 0x16)).getSW());
                }
            }
            assertEquals(3, f.count("SELECT COUNT(*) FROM factory_sim WHERE state = 'DONE'"));
        }
    }

    @Test
    void aDoneSimIsReportedDoneWithoutAWriteAndAnotherDevicesRecordIsRefused() throws Exception {
        try (LineFixture f = new LineFixture(dir, SIM)) {
            RunSummary s = f.simLine(SIM, null, f.simCards(), TK).start(2, 1, null);
            assertEquals(2, s.succeeded(), s.toMap().toString());
            List<FactoryStore.Device> devices = f.store.devices(s.runId());
            OtaServer server = new OtaServer(new OtaStore(f.db, f.hsm));
            String sim0 = SimRecords.row(f.db, s.runId(), 0).orElseThrow()[0];
            String sim1 = SimRecords.row(f.db, s.runId(), 1).orElseThrow()[0];
            try (CardSession session = new CardSession(CardTransports.open("simfactory:" + devices.get(0).card()))) {
                SimIssuance.Outcome again = SimIssuance.issueOrResume(new SimCard(session), server, c -> new Handset(c.channel(), "490154203237518"),
                        sim0, TK, false, f.today, new SimRecords(f.db, s.runId(), 0));
                assertEquals(SimIssuance.Action.ALREADY_DONE, again.action());
                // card 0 presented as slot 1's device: slot 1's key set does not work with it
                SimIssuance.SetAside e = assertThrows(SimIssuance.SetAside.class, () -> SimIssuance.issueOrResume(new SimCard(session), server,
                        c -> new Handset(c.channel(), "490154203237518"), sim1, TK, false, f.today, new SimRecords(f.db, s.runId(), 1)));
                assertTrue(e.getMessage().contains("no key set the line holds"), e.getMessage());
                // a SIM ID registered for another device is never reused for this one
                SimIssuance.SetAside reuse = assertThrows(SimIssuance.SetAside.class, () -> SimIssuance.issueOrResume(new SimCard(session), server,
                        c -> new Handset(c.channel(), "490154203237518"), sim1, TK, false, f.today, new SimRecords(f.db, "other-run", 0)));
                assertTrue(reuse.getMessage().contains("already registered"), reuse.getMessage());
            }
        }
    }

    @Test
    void withTheOperatorCaTheLineCertifiesEachSimKeyByOta() throws Exception {
        try (LineFixture f = new LineFixture(dir, SIM)) {
            byte[] ca = new OtaServer(new OtaStore(f.db, f.hsm)).operatorCa(); // the EC variant: the station holds the operator CA
            RunSummary s = f.simLine(SIM, null, f.simCards(), TK).start(2, 1, null);
            assertEquals(2, s.succeeded(), s.toMap().toString());
            for (FactoryStore.Device d : f.store.devices(s.runId())) {
                assertTrue(f.store.intent(s.runId(), d.slot(), "sim").orElseThrow().detail().contains("SIM key certified"));
                try (CardSession session = new CardSession(CardTransports.open("simfactory:" + d.card()))) {
                    SimCard card = new SimCard(session);
                    card.select();
                    byte[] answer = card.simCertificate(); // the SIM's point || the operator's signature over 'C'-label || point
                    byte[] point = java.util.Arrays.copyOf(answer, 65);
                    java.security.Signature v = java.security.Signature.getInstance("SHA256withECDSA");
                    v.initVerify(dev.cardsmith.crypto.EcP256.decode(ca));
                    v.update(new byte[] {dev.cardsmith.applet.sim.Constants.LABEL_SIM_CERTIFICATE});
                    v.update(point);
                    assertTrue(v.verify(java.util.Arrays.copyOfRange(answer, 65, answer.length)), "certified by the operator CA");
                }
            }
        }
    }

    @Test
    void aSimPersonalizedBySomeoneElseIsSetAsideAndNothingIsRegistered() throws Exception {
        try (LineFixture f = new LineFixture(dir, SIM)) {
            SimulatedCards sims = f.simCards();
            CardSource foreign = new CardSource() {
                @Override public String describe() { return sims.describe(); }

                @Override public Card next(String runId, int slot) {
                    Card c = sims.next(runId, slot);
                    if (slot == 0) {
                        CardTransport t = c.transport();
                        byte[] select = new javax.smartcardio.CommandAPDU(0x00, 0xA4, 0x04, 0x00, SimCard.AID, 256).getBytes();
                        t.transmit(select);
                        byte[] sw = t.transmit(OtaPersonalization.command(TK, DevKeys.keys(), 0x16).getBytes());
                        assertEquals("9000", Hex.of(sw).toUpperCase(), "someone else personalized the SIM first");
                    }
                    return c;
                }

                @Override public Card reopen(String name) { return sims.reopen(name); }
            };
            RunSummary s = f.simLine(SIM, null, foreign, TK).start(2, 1, null);
            assertEquals(1, s.succeeded(), s.toMap().toString());
            assertEquals(1, s.setAside(), s.toMap().toString());
            FactoryStore.Device d = f.store.devices(s.runId()).get(0);
            assertEquals(FactoryStore.DeviceState.SET_ASIDE, d.state());
            assertTrue(d.detail().contains("personalized but no key set the line holds"), d.detail());
            assertEquals(1, f.count("SELECT COUNT(*) FROM ota_sim"), "only the good device's SIM was registered");
            assertTrue(SimRecords.row(f.db, s.runId(), 0).isEmpty());
        }
    }

    @Test
    void simIdsComeFromAnIccidRangeOnceEachUntilItIsUsedUp() throws Exception {
        try (LineFixture f = new LineFixture(dir, SIM)) {
            IdentityPool pool = IdentityPool.iccidRange(f.db, "894900000000000001-894900000000000002");
            assertEquals("iccid:8949000000000000018-8949000000000000026", pool.name(), "check digits computed (Luhn)");
            RunSummary s = f.simLine(SIM, pool, f.simCards(), TK).start(3, 1, null);
            assertEquals(2, s.succeeded(), s.toMap().toString());
            assertEquals(1, s.notStarted(), "the third device found the range used up: " + s.toMap());
            Set<String> iccids = new HashSet<>();
            for (FactoryStore.Device d : f.store.devices(s.runId())) {
                assertEquals(d.identity(), SimRecords.row(f.db, s.runId(), d.slot()).orElseThrow()[0], "the SIM ID is the allocated ICCID");
                assertEquals(d.identity(), IdentityPool.iccid(d.identity()), "a valid ICCID");
                assertTrue(iccids.add(d.identity()));
            }
            assertEquals(2, iccids.size(), "no card was made for the device without an ICCID");
            // a second run on the same range gets nothing: an ICCID is never handed out twice
            RunSummary again = f.simLine(SIM, IdentityPool.iccidRange(f.db, "8949000000000000018-8949000000000000026"), f.simCards(), TK).start(1, 1, null);
            assertEquals(0, again.succeeded(), again.toMap().toString());
            assertEquals(2, f.count("SELECT COUNT(*) FROM ota_sim"));
        }
        assertEquals(FactoryException.Kind.USAGE, assertThrows(FactoryException.class, () -> IdentityPool.iccid("8949000000000000011")).kind(),
                "a wrong check digit is refused");
        assertThrows(FactoryException.class, () -> IdentityPool.iccid("354900000000000001"), "not an 89 ICCID");
        assertThrows(FactoryException.class, () -> IdentityPool.iccidRange(null, "8949000000000000026-8949000000000000018"));
    }

    @Test
    void withoutTheOtaKekOutsideDevelopmentModeTheLineIsRefusedBeforeAnyCard() throws Exception {
        try (SoftwareHsm hsm = SoftwareHsm.open(dir.resolve("fresh.p12"), "test".toCharArray())) {
            Database db = Database.open("jdbc:sqlite:" + dir.resolve("fresh.db"));
            FactoryException e = assertThrows(FactoryException.class, () -> LineKeys.ready(SIM, hsm, db, false, () -> null, java.time.LocalDate.now()));
            assertEquals(FactoryException.Kind.MISSING_KEY, e.kind());
            assertTrue(e.getMessage().contains(OtaStore.KEK_LABEL) && e.getMessage().contains("cardsmith hsm init"), e.getMessage());
            assertFalse(hsm.contains(OtaStore.KEK_LABEL), "no KEK minted outside development mode");
            assertEquals(List.of("OTA key-encryption key"), LineKeys.ready(SIM, hsm, db, true, () -> null, java.time.LocalDate.now()));
            assertTrue(hsm.contains(OtaStore.KEK_LABEL));
        }
        try (LineFixture f = new LineFixture(dir.resolve("l"), List.of("vault"))) {
            FactoryException e = assertThrows(FactoryException.class, () -> f.simLine(SIM, null, f.simCards(), null));
            assertEquals(FactoryException.Kind.USAGE, e.kind());
            assertTrue(e.getMessage().contains("--sim-transport-key"), e.getMessage());
        }
    }

    @Test
    void theCliRunsTheSimStageInDevelopmentModeAndRefusesABadTransportKey() throws Exception {
        Path home = dir.resolve("home");
        CliProcess.Result bad = CliProcess.run(dir, home, List.of("--dev", "factory", "run", "--stages", "sim", "--sim-transport-key", "00"));
        assertEquals(2, bad.exit(), bad.output());
        assertTrue(bad.output().contains("--sim-transport-key"), bad.output());
        assertTrue(!Files.exists(home.resolve("cards")) || Files.list(home.resolve("cards")).findAny().isEmpty(), "a card was created");
        CliProcess.Result withVault = CliProcess.run(dir, home, List.of("--dev", "factory", "run", "--stages", "vault,sim", "--iccid-range",
                "894900000000000001-894900000000000009"));
        assertEquals(2, withVault.exit(), withVault.output());
        assertTrue(withVault.output().contains("--iccid-range gives the sim stage's SIM IDs"), withVault.output());
        assertTrue(!Files.exists(home.resolve("cards")) || Files.list(home.resolve("cards")).findAny().isEmpty(), "a card was created");
        CliProcess.Result ok = CliProcess.run(dir, home, List.of("--dev", "factory", "run", "--stages", "sim", "--count", "2",
                "--iccid-range", "894900000000000001-894900000000000009"));
        assertEquals(0, ok.exit(), ok.output());
        assertTrue(ok.output().contains("created OTA key-encryption key"), ok.output());
    }
}
