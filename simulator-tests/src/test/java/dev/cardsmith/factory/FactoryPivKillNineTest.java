package dev.cardsmith.factory;

import dev.cardsmith.csp.PinMailer;
import dev.cardsmith.csp.PivCard;
import dev.cardsmith.csp.PivIssuance;
import dev.cardsmith.transport.CardSession;
import dev.cardsmith.transport.CardTransport;
import dev.cardsmith.transport.CardTransports;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * kill -9 of a child JVM running the piv stage at chosen APDU boundaries, then a resume in this
 * JVM: the child stops at the boundary (it writes a marker file and waits), the test SIGKILLs it
 * (no finally block, no shutdown hook runs), so the card and the store hold exactly what had
 * happened by then.
 */
class FactoryPivKillNineTest {
    static final List<String> PIV = List.of("piv");

    @TempDir
    Path dir;

    /** The child: one device through the piv stage; it stops forever {@code before}/{@code after} the first APDU with INS (and P2 when not -1). */
    public static void main(String[] a) throws Exception {
        Path d = Path.of(a[0]);
        PinMailer mailer = PinMailer.read(d.resolve("mailer.pem"));
        try (LineFixture f = new LineFixture(d, PIV)) {
            f.line(PIV, null, stopping(f.sims, a), mailer).start(1, 1, null);
        }
        System.exit(3); // the boundary never came
    }

    /** A child's cards from {@code sims} that stop at the boundary its arguments name: DIR INS-hex P2 before|after. */
    static CardSource stopping(SimulatedCards sims, String[] a) {
        int ins = Integer.parseInt(a[1], 16), p2 = Integer.parseInt(a[2]);
        boolean after = a[3].equals("after");
        Path marker = Path.of(a[0]).resolve("stopped");
        return LineFixture.faulty(sims, (slot, t) -> stopAt(t, ins, p2, after, marker));
    }

    static CardTransport stopAt(CardTransport inner, int ins, int p2, boolean after, Path marker) {
        return new CardTransport() {
            @Override public byte[] transmit(byte[] apdu) {
                boolean hit = (apdu[1] & 0xFF) == ins && (p2 < 0 || (apdu[3] & 0xFF) == p2);
                if (hit && !after) stop(marker);
                byte[] r = inner.transmit(apdu);
                if (hit) stop(marker);
                return r;
            }

            @Override public byte[] atr() { return inner.atr(); }

            @Override public String name() { return inner.name(); }

            @Override public void reset() { inner.reset(); }

            @Override public void close() { inner.close(); }
        };
    }

    static void stop(Path marker) {
        try {
            Files.writeString(marker, "stopped");
            Thread.sleep(Long.MAX_VALUE);
        } catch (Exception e) {
            Runtime.getRuntime().halt(4);
        }
    }

    /** Runs the child to the boundary and SIGKILLs it there. */
    void killAt(int ins, int p2, String when) throws Exception {
        killChild(dir, FactoryPivKillNineTest.class, ins, p2, when);
    }

    /** Runs {@code main}'s child JVM on {@code dir} to the APDU boundary and SIGKILLs it there. */
    static void killChild(Path dir, Class<?> main, int ins, int p2, String when) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), main.getName(), dir.toString(), Integer.toHexString(ins),
                String.valueOf(p2), when));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("child.log").toFile()).start();
        Path marker = dir.resolve("stopped");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (!Files.exists(marker) && p.isAlive() && System.nanoTime() < deadline) Thread.sleep(20);
        assertTrue(Files.exists(marker), "the child did not reach the boundary: " + Files.readString(dir.resolve("child.log")));
        p.destroyForcibly(); // SIGKILL
        p.waitFor();
    }

    KeyPair mailer() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair kp = g.generateKeyPair();
        FactoryPivStageTest.pem(dir.resolve("mailer.pem"), "PUBLIC KEY", kp.getPublic().getEncoded());
        return kp;
    }

    RunSummary resume(LineFixture f, KeyPair mailer) {
        FactoryStore.Run run = f.store.latestUnfinished().orElseThrow();
        return f.line(PIV, null, f.sims, PinMailer.of(mailer.getPublic())).resume(run, 1, null);
    }

    @Test
    void killedBetweenKeyGenerationAndCertificateIsRedoneFromTheStart() throws Exception {
        KeyPair mailer = mailer();
        killAt(0xDB, -1, "before"); // GENERATE answered; the PUT DATA of the certificate never sent
        try (LineFixture f = new LineFixture(dir, PIV)) {
            FactoryStore.Device d = f.store.devices(f.store.latestUnfinished().orElseThrow().id()).get(0);
            try (CardSession s = new CardSession(CardTransports.open("sim:" + d.card()))) {
                PivCard card = new PivCard(s);
                card.select();
                assertNotNull(card.slot("9a"), "the key was generated before the kill");
                assertEquals(null, card.certificate(0), "no certificate before the kill");
                assertTrue(card.pinIsDefault());
            }
            RunSummary r = resume(f, mailer);
            assertEquals(1, r.succeeded(), r.toMap().toString());
            PivRecords.Row row = PivRecords.row(f.db, d.runId(), 0).orElseThrow();
            assertEquals("DONE", row.state());
            assertEquals(2, f.store.intent(d.runId(), 0, "piv").orElseThrow().attempts());
            PivIssuance.Secrets secrets = PivIssuance.Secrets.parse(PinMailer.open(row.sealed(), mailer.getPrivate()));
            try (CardSession s = new CardSession(CardTransports.open("sim:" + d.card()))) {
                PivCard card = new PivCard(s);
                card.select();
                assertEquals(row.certificate(), card.certificate(0));
                assertEquals(card.publicKey(0), row.certificate().getPublicKey(), "certificate for the key generated on the rerun");
                card.login(secrets.pin().toCharArray());
            }
        }
    }

    @Test
    void killedAfterSealingBeforeThePinChangeIsRedoneWithFreshSecrets() throws Exception {
        KeyPair mailer = mailer();
        killAt(0x24, 0x80, "before"); // certificate stored and the blob SEALED; CHANGE PIN never sent
        try (LineFixture f = new LineFixture(dir, PIV)) {
            String run = f.store.latestUnfinished().orElseThrow().id();
            PivRecords.Row sealedFirst = PivRecords.row(f.db, run, 0).orElseThrow();
            assertEquals("SEALED", sealedFirst.state());
            RunSummary r = resume(f, mailer);
            assertEquals(1, r.succeeded(), r.toMap().toString());
            PivRecords.Row row = PivRecords.row(f.db, run, 0).orElseThrow();
            assertEquals("DONE", row.state());
            assertFalse(java.util.Arrays.equals(sealedFirst.sealed(), row.sealed()), "fresh secrets sealed on the rerun");
            PivIssuance.Secrets secrets = PivIssuance.Secrets.parse(PinMailer.open(row.sealed(), mailer.getPrivate()));
            try (CardSession s = new CardSession(CardTransports.open("sim:" + f.store.devices(run).get(0).card()))) {
                PivCard card = new PivCard(s);
                card.login(secrets.pin().toCharArray());
                card.authenticateManagement(secrets.managementKey());
            }
        }
    }

    @Test
    void killedBetweenPinChangeAndCompletionRecordIsSetAsideNeverGuessed() throws Exception {
        KeyPair mailer = mailer();
        killAt(0x24, 0x80, "after"); // the card took the new PIN; no completion record
        try (LineFixture f = new LineFixture(dir, PIV)) {
            String run = f.store.latestUnfinished().orElseThrow().id();
            RunSummary r = resume(f, mailer);
            assertEquals(0, r.succeeded(), r.toMap().toString());
            assertEquals(1, r.setAside(), r.toMap().toString());
            FactoryStore.Device d = f.store.devices(run).get(0);
            assertEquals(FactoryStore.DeviceState.SET_ASIDE, d.state());
            assertTrue(d.detail().contains("PIN already changed"), d.detail());
            PivRecords.Row row = PivRecords.row(f.db, run, 0).orElseThrow();
            assertEquals("LOST", row.state(), "the set-aside card has its record");
            assertEquals("FINISHED", f.store.run(run).orElseThrow().state());
            // the line did not touch the card's secrets; the kept blob lets the operator recover it by hand
            PivIssuance.Secrets secrets = PivIssuance.Secrets.parse(PinMailer.open(row.sealed(), mailer.getPrivate()));
            try (CardSession s = new CardSession(CardTransports.open("sim:" + d.card()))) {
                PivCard card = new PivCard(s);
                card.select();
                assertEquals(3, card.pinTriesLeft(), "the resume guessed no PIN");
                card.login(secrets.pin().toCharArray());
                // a second resume leaves it set aside
            }
            RunSummary again = f.line(PIV, null, f.sims, PinMailer.of(mailer.getPublic())).resume(f.store.run(run).orElseThrow(), 1, null);
            assertEquals(1, again.setAside());
        }
    }

    @Test
    void killedAfterTheManagementKeyChangeBeforeTheRecordIsSetAside() throws Exception {
        KeyPair mailer = mailer();
        killAt(0xFF, -1, "after");
        try (LineFixture f = new LineFixture(dir, PIV)) {
            String run = f.store.latestUnfinished().orElseThrow().id();
            RunSummary r = resume(f, mailer);
            assertEquals(1, r.setAside(), r.toMap().toString());
            assertEquals("LOST", PivRecords.row(f.db, run, 0).orElseThrow().state());
        }
    }
}
