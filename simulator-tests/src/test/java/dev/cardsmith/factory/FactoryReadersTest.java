package dev.cardsmith.factory;

import dev.cardsmith.simulator.SimulatorTransport;
import dev.cardsmith.simulator.VirtualPcscReader;
import dev.cardsmith.simulator.VpcdBridge;
import dev.cardsmith.transport.CardTransport;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code --readers} on two vpcd slots (two simulated cards behind pcscd): both cards go through
 * the line at once; the second is pulled from its reader mid-stage (its vpcd connection
 * closed: pcscd reports the card removed), the operator is told to put it back, it is put back
 * and the stage finishes from what the card committed. Machine-wide pcscd and vpcd ports: run
 * under {@code flock /tmp/cardsmith-pcsc.lock}. Skips without pcscd/vpcd unless CARDSMITH_REQUIRE_PCSC=1.
 */
class FactoryReadersTest {
    static final int SLOT2_PORT = VpcdBridge.DEFAULT_PORT + 1; // 35964: "Virtual PCD 00 01"

    @TempDir
    Path dir;

    @Test
    void twoReadersWithACardPulledMidStageAndPutBack() throws Exception {
        boolean installed = VirtualPcscReader.installed();
        if (!"1".equals(System.getenv("CARDSMITH_REQUIRE_PCSC"))) Assumptions.assumeTrue(installed, "pcscd and vsmartcard-vpcd not installed");
        SimulatorTransport card1 = new SimulatorTransport();
        SimulatorTransport card2 = new SimulatorTransport();
        AtomicInteger apdus2 = new AtomicInteger();
        CardTransport counted2 = counting(card2, apdus2);
        List<String> operator = new CopyOnWriteArrayList<>();
        try (VirtualPcscReader reader1 = dev.cardsmith.pcsc.PcscFixture.start(card1)) { // the JVM's one pcscd
            VpcdBridge[] slot2 = {VpcdBridge.start(counted2, "127.0.0.1", SLOT2_PORT)};
            waitFor(() -> dev.cardsmith.transport.PcscTransport.readers().stream().filter(r -> r.name().startsWith("Virtual PCD")
                    && r.cardPresent()).count() >= 2, "two vpcd cards in pcscd");
            Thread puller = new Thread(() -> {
                try {
                    waitFor(() -> apdus2.get() >= 3, "card 2 in a stage");
                    slot2[0].close(); // pulled
                    waitFor(() -> operator.stream().anyMatch(l -> l.contains("put it back")), "the operator told to put it back");
                    slot2[0] = VpcdBridge.start(counted2, "127.0.0.1", SLOT2_PORT); // put back: same card, same state
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            puller.start();
            try (LineFixture f = new LineFixture(dir, List.of("vault", "psd"));
                 ReaderCards cards = new ReaderCards("Virtual PCD", operator::add)) {
                IdentityPool pool = IdentityPool.imeiRange(f.db, f.pub, "35693803564380-35693803564389");
                RunSummary s = f.line(List.of("vault", "psd"), pool, cards).start(2, 2, null);
                puller.join(60_000);
                assertTrue(s.complete(), s.toMap() + "\n" + operator);
                assertEquals(2, f.countPublic("SELECT COUNT(*) FROM vault_device"), "provisioned twice or lost");
                assertEquals(2, f.count("SELECT COUNT(*) FROM psd_device WHERE state = 'ISSUED'"));
                assertTrue(f.count("SELECT MAX(attempts) FROM factory_intent") >= 2, "the pulled card's stage ran again");
                assertTrue(operator.stream().anyMatch(l -> l.contains("remove the card")), operator.toString());
            } finally {
                slot2[0].close();
            }
        }
    }

    /**
     * The second card is pulled mid-stage and not put back: the device is reported and left
     * FAILED with the reason in its record (the intent FAILED, nothing half-recorded), the other
     * device finishes, and the run stays open for --resume.
     */
    @Test
    void aCardPulledAndNotPutBackIsLeftFailedWithARecord() throws Exception {
        SimulatorTransport card1 = new SimulatorTransport();
        SimulatorTransport card2 = new SimulatorTransport();
        AtomicInteger apdus2 = new AtomicInteger();
        CardTransport counted2 = counting(card2, apdus2);
        List<String> operator = new CopyOnWriteArrayList<>();
        try (VirtualPcscReader reader1 = dev.cardsmith.pcsc.PcscFixture.start(card1)) {
            VpcdBridge slot2 = VpcdBridge.start(counted2, "127.0.0.1", SLOT2_PORT);
            try {
                waitFor(() -> dev.cardsmith.transport.PcscTransport.readers().stream().filter(r -> r.name().startsWith("Virtual PCD")
                        && r.cardPresent()).count() >= 2, "two vpcd cards in pcscd");
                Thread puller = new Thread(() -> {
                    try {
                        waitFor(() -> apdus2.get() >= 3, "card 2 in a stage");
                        slot2.close(); // pulled, and it stays out
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                puller.start();
                try (LineFixture f = new LineFixture(dir, List.of("vault", "psd"));
                     ReaderCards cards = new ReaderCards("Virtual PCD", operator::add, 2_000)) {
                    IdentityPool pool = IdentityPool.imeiRange(f.db, f.pub, "35693803564380-35693803564389");
                    RunSummary s = f.line(List.of("vault", "psd"), pool, cards).start(2, 2, null);
                    puller.join(60_000);
                    assertEquals(1, s.succeeded(), s.toMap() + "\n" + operator);
                    assertEquals(1, s.failed(), s.toMap() + "\n" + operator);
                    assertTrue(operator.stream().anyMatch(l -> l.contains("put it back")), operator.toString());
                    FactoryStore.Device failed = f.store.devices(s.runId()).stream()
                            .filter(d -> d.state() == FactoryStore.DeviceState.FAILED).findFirst().orElseThrow();
                    assertTrue(failed.detail().contains("card not answering") && failed.detail().contains("--resume"), failed.detail());
                    assertEquals(0, f.count("SELECT COUNT(*) FROM factory_intent WHERE state = 'INTENT'"), "an intent left half-recorded");
                    assertEquals("RUNNING", f.store.run(s.runId()).orElseThrow().state(), "the run stays open for --resume");
                }
            } finally {
                slot2.close();
            }
        }
    }

    static CardTransport counting(SimulatorTransport card, AtomicInteger apdus) {
        return new CardTransport() {
            @Override public byte[] transmit(byte[] apdu) {
                apdus.incrementAndGet();
                return card.transmit(apdu);
            }

            @Override public byte[] atr() { return card.atr(); }

            @Override public String name() { return card.name(); }

            @Override public void reset() { card.reset(); }

            @Override public void close() { }
        };
    }

    interface Check {
        boolean ok() throws Exception;
    }

    static void waitFor(Check c, String what) throws Exception {
        long deadline = System.currentTimeMillis() + 30_000;
        while (!c.ok()) {
            if (System.currentTimeMillis() > deadline) throw new AssertionError("timed out waiting for " + what);
            Thread.sleep(50);
        }
    }
}
