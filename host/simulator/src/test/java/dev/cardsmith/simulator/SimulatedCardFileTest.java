package dev.cardsmith.simulator;

import dev.cardsmith.transport.CardSession;
import dev.cardsmith.transport.TransportException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.smartcardio.CommandAPDU;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;

import static dev.cardsmith.simulator.CardSessionTest.AID;
import static dev.cardsmith.simulator.CardSessionTest.APPLETS;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The saved-card file (format 2): a damaged or empty file is refused and left as it is, never
 * replayed in part or replaced by a new chip; the file is 0600 and replaced atomically; a
 * second open in the same process is refused while the first holds the lock.
 */
class SimulatedCardFileTest {

    static byte[] count(CardSession s) {
        return s.transmitOk("count", new CommandAPDU(0x80, TestApplet.INS_COUNT, 0, 0, 256)).getData();
    }

    static Path cardWithHistory(Path dir) {
        Path file = dir.resolve("card.sim");
        try (CardSession s = new CardSession(SimulatorTransport.open(file, APPLETS))) {
            s.select(AID);
            for (int i = 0; i < 5; i++) count(s);
        }
        return file;
    }

    static void assertRefused(Path file, String reason) throws Exception {
        byte[] before = Files.readAllBytes(file);
        TransportException e = assertThrows(TransportException.class, () -> SimulatorTransport.open(file, APPLETS));
        assertTrue(e.getMessage().contains(reason), e.getMessage());
        assertEquals(1, e.getMessage().lines().count());
        assertArrayEquals(before, Files.readAllBytes(file), "a refused card file must stay as it was");
    }

    @Test
    void reopenedCardKeepsItsState(@TempDir Path dir) {
        Path file = cardWithHistory(dir);
        try (CardSession s = new CardSession(SimulatorTransport.open(file, APPLETS))) {
            s.select(AID);
            assertEquals(6, count(s)[1]);
        }
    }

    @Test
    void truncatedFileIsRefused(@TempDir Path dir) throws Exception {
        Path file = cardWithHistory(dir);
        byte[] all = Files.readAllBytes(file);
        Files.write(file, Arrays.copyOf(all, all.length - 10));
        assertRefused(file, "damaged");
    }

    @Test
    void flippedBytesAreRefused(@TempDir Path dir) throws Exception {
        Path file = cardWithHistory(dir);
        byte[] all = Files.readAllBytes(file);
        all[all.length / 2] ^= 0x01;
        all[all.length / 2 + 1] ^= 0x40;
        Files.write(file, all);
        assertRefused(file, "integrity check failed");
    }

    @Test
    void emptyFileIsRefusedNotANewChip(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("empty.sim");
        Files.createFile(file);
        assertRefused(file, "is empty");
        assertEquals(0, Files.size(file));
    }

    @Test
    void foreignAndFutureFilesAreRefused(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("junk.sim");
        Files.writeString(file, "not a card at all");
        assertRefused(file, "not a cardsmith simulator state file");
        Files.write(file, new byte[] {'C', 'S', 'S', 'I', 'M', 9, 0, 0, 0, 0});
        assertRefused(file, "format version 9");
    }

    @Test
    void formatOneFileIsReadAndRewrittenInFormatThree(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("old.sim");
        ByteArrayOutputStream v1 = new ByteArrayOutputStream();
        v1.writeBytes(new byte[] {'C', 'S', 'S', 'I', 'M', '1'});
        v1.writeBytes(new byte[32]);
        byte[] select = new CommandAPDU(0x00, 0xA4, 0x04, 0x00, AID).getBytes();
        byte[] cnt = new CommandAPDU(0x80, TestApplet.INS_COUNT, 0, 0, 256).getBytes();
        for (byte[] apdu : new byte[][] {select, cnt, cnt}) {
            v1.write(1);
            v1.write(apdu.length >> 8);
            v1.write(apdu.length);
            v1.writeBytes(apdu);
        }
        Files.write(file, v1.toByteArray());
        try (CardSession s = new CardSession(SimulatorTransport.open(file, APPLETS))) {
            s.select(AID);
            assertEquals(3, count(s)[1]);
        }
        byte[] now = Files.readAllBytes(file);
        assertEquals(3, now[5], "rewritten in format 3");
    }

    @Test
    void cardFileIsOwnerOnly(@TempDir Path dir) throws Exception {
        Path file = cardWithHistory(dir);
        if (!Files.getFileStore(file).supportsFileAttributeView("posix")) return;
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        try (var files = Files.list(dir)) {
            assertEquals(0, files.filter(p -> p.getFileName().toString().endsWith(".tmp")).count(), "no temporary file left behind");
        }
    }

    @Test
    void secondOpenWhileTheFirstHoldsTheCardIsRefused(@TempDir Path dir) {
        Path file = cardWithHistory(dir);
        try (SimulatorTransport first = SimulatorTransport.open(file, APPLETS)) {
            TransportException e = assertThrows(TransportException.class, () -> SimulatorTransport.open(file, APPLETS));
            assertTrue(e.getMessage().contains("already open"), e.getMessage());
        }
        SimulatorTransport.open(file, APPLETS).close(); // the lock went with the first
    }
}
