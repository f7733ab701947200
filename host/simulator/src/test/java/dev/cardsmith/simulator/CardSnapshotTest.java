package dev.cardsmith.simulator;

import dev.cardsmith.transport.CardSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.smartcardio.CommandAPDU;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

import static dev.cardsmith.simulator.CardSessionTest.AID;
import static dev.cardsmith.simulator.CardSessionTest.APPLETS;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Opening a saved card restores its last snapshot and replays only what came after
 * (docs/host-foundation.md, "Snapshots"): the restored card behaves exactly as the fully replayed
 * one, including keys it generates later (the card-seeded random streams continue where they
 * were), and opening costs the same after 2 or 2,000 commands.
 */
class CardSnapshotTest {

    private static byte[] send(CardSession s, int ins) {
        return s.transmitOk("ins " + ins, new CommandAPDU(0x80, ins, 0, 0, 256)).getData();
    }

    /** Some history: counter steps, random draws and on-card key generations. */
    private static void use(Path file, int rounds) {
        try (CardSession s = new CardSession(SimulatorTransport.open(file, APPLETS))) {
            s.select(AID);
            for (int i = 0; i < rounds; i++) {
                send(s, TestApplet.INS_COUNT);
                send(s, TestApplet.INS_RANDOM);
                if (i % 5 == 0) send(s, TestApplet.INS_REGENERATE);
            }
        }
    }

    /** What the card answers next: its counter, a fresh key pair and random bytes. */
    private static List<String> nextAnswers(Path file) {
        List<String> out = new ArrayList<>();
        try (CardSession s = new CardSession(SimulatorTransport.open(file, APPLETS))) {
            s.select(AID);
            for (int ins : new int[] {TestApplet.INS_COUNT, TestApplet.INS_PUBKEY, TestApplet.INS_REGENERATE, TestApplet.INS_RANDOM}) {
                out.add(HexFormat.of().formatHex(send(s, ins)));
            }
        }
        return out;
    }

    /** The same file without its snapshot records: opening it replays the whole journal. */
    private static Path withoutSnapshots(Path file, Path copy) throws Exception {
        byte[] f = Files.readAllBytes(file);
        byte[] body = SimulatorTransport.readBody(file, f);
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        b.write(body, 0, 32);
        int p = 32;
        while (p < body.length) {
            int type = body[p] & 0xFF;
            if (type == 2) { b.write(2); p++; }
            else if (type == 1) { int len = ((body[p + 1] & 0xFF) << 8) | (body[p + 2] & 0xFF); b.write(body, p, 3 + len); p += 3 + len; }
            else { int len = java.nio.ByteBuffer.wrap(body, p + 1, 4).getInt(); p += 5 + len; }
        }
        byte[] nb = b.toByteArray();
        byte[] out = new byte[10 + nb.length + 32];
        System.arraycopy(f, 0, out, 0, 6);
        java.nio.ByteBuffer.wrap(out, 6, 4).putInt(nb.length);
        System.arraycopy(nb, 0, out, 10, nb.length);
        System.arraycopy(java.security.MessageDigest.getInstance("SHA-256").digest(Arrays.copyOf(out, 10 + nb.length)), 0, out, 10 + nb.length, 32);
        Files.write(copy, out);
        return copy;
    }

    @Test
    void restoredCardAnswersLikeTheReplayedOne(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("card.sim");
        use(file, 12);
        use(file, 7);
        Path replayed = withoutSnapshots(file, dir.resolve("replayed.sim"));
        assertTrue(Files.size(replayed) < Files.size(file), "the copy has no snapshot");
        List<String> fromSnapshot = nextAnswers(file);
        List<String> fromJournal = nextAnswers(replayed);
        assertEquals(fromJournal, fromSnapshot);
        assertEquals("0014", fromSnapshot.get(0), "19 counts before, this is the 20th");
    }

    @Test
    void snapshotCapturesBitIdenticalStateToReplay(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("card.sim");
        use(file, 9);
        System.setProperty(SimulatorTransport.VERIFY_PROPERTY, "true");
        try {
            use(file, 3); // opens from the snapshot and compares it with a full replay
        } finally {
            System.clearProperty(SimulatorTransport.VERIFY_PROPERTY);
        }
    }

    @Test
    void snapshotHoldsNoKeyInClear(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("card.sim");
        byte[] pub;
        try (CardSession s = new CardSession(SimulatorTransport.open(file, APPLETS))) {
            s.select(AID);
            pub = send(s, TestApplet.INS_PUBKEY);
        }
        byte[] all = Files.readAllBytes(file);
        byte[] x = Arrays.copyOfRange(pub, 1, 33);
        for (int i = 0; i + x.length <= all.length; i++) {
            assertFalse(Arrays.equals(all, i, i + x.length, x, 0, x.length), "public key X found in clear at " + i);
        }
    }

    @Test
    void tamperedSnapshotFallsBackToTheJournal(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("card.sim");
        use(file, 6);
        List<String> expected = nextAnswers(withoutSnapshots(file, dir.resolve("copy.sim")));
        // Flip a byte inside the snapshot record (the last record) and fix the file hash: the
        // snapshot no longer decrypts, so the journal is replayed and the card is still right.
        byte[] f = Files.readAllBytes(file);
        int bodyLen = java.nio.ByteBuffer.wrap(f, 6, 4).getInt();
        f[10 + bodyLen - 20] ^= 1;
        System.arraycopy(java.security.MessageDigest.getInstance("SHA-256").digest(Arrays.copyOf(f, 10 + bodyLen)), 0, f, 10 + bodyLen, 32);
        Files.write(file, f);
        assertEquals(expected, nextAnswers(file));
    }

    @Test
    void reopeningIsAPowerUp(@TempDir Path dir) {
        Path file = dir.resolve("card.sim");
        try (CardSession s = new CardSession(SimulatorTransport.open(file, APPLETS))) {
            s.select(AID);
            send(s, TestApplet.INS_COUNT);
        }
        try (CardSession s = new CardSession(SimulatorTransport.open(file, APPLETS))) {
            // no applet is selected after the power-up: the test applet's INS is not reached
            assertNotEquals(0x9000, s.transmit(new CommandAPDU(0x80, TestApplet.INS_COUNT, 0, 0, 256)).getSW());
        }
    }

    @Test
    void openingCostDoesNotGrowWithHistory(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("card.sim");
        use(file, 400); // 880 APDUs, 80 key generations
        Path replayed = withoutSnapshots(file, dir.resolve("replayed.sim"));
        // Count the work instead of timing it: the snapshot path replays nothing.
        long t0 = System.nanoTime();
        SimulatorTransport.open(file, APPLETS).close();
        long snap = System.nanoTime() - t0;
        t0 = System.nanoTime();
        SimulatorTransport.open(replayed, APPLETS).close();
        long full = System.nanoTime() - t0;
        System.out.printf("open after 880 APDUs: snapshot %.1f ms, full replay %.1f ms%n", snap / 1e6, full / 1e6);
        assertEquals(0, SimulatorTransport.openAndCountReplayed(file, APPLETS), "records replayed on open");
    }
}
