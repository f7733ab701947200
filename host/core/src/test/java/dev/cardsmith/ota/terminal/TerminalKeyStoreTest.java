package dev.cardsmith.ota.terminal;

import dev.cardsmith.crypto.Hex;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

class TerminalKeyStoreTest {

    @TempDir
    Path dir;

    @Test
    void secretsEncrypted_wrongPasswordRefused_roundTrip() throws Exception {
        Path f = dir.resolve("t.json");
        TerminalKeyStore ks = TerminalKeyStore.open(f, "pw".toCharArray());
        byte[] k = Terminal.enrolSymmetric(ks, "490154203237518", 12);
        String file = Files.readString(f);
        assertFalse(file.contains(Hex.of(k)), "key not in clear");
        assertTrue(file.contains("490154203237518"));
        TerminalKeyStore again = TerminalKeyStore.open(f, "pw".toCharArray());
        assertArrayEquals(k, again.secret("init"));
        assertEquals(12, again.intAttr("maxOutput", 0));
        assertThrows(IllegalArgumentException.class, () -> TerminalKeyStore.open(f, "other".toCharArray()));
        byte[] pub = Terminal.enrolEc(again, "490154203237518", 12);
        assertEquals(65, pub.length);
        assertNull(TerminalKeyStore.open(f, "pw".toCharArray()).secret("init"), "re-enrolment replaces the old key");
        assertThrows(IllegalArgumentException.class, () -> Terminal.enrolSymmetric(again, "123", 1));
    }
}
