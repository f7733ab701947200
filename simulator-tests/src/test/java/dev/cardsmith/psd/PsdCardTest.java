package dev.cardsmith.psd;

import dev.cardsmith.transport.CardSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

/** The fixture of the PSD card tests: both servers on software HSMs ({@link PsdWorld}) and one fresh PSD, selected. */
abstract class PsdCardTest {
    @TempDir Path dir;
    PsdWorld w;
    CardSession card;

    @BeforeEach
    void setUp() {
        w = PsdWorld.software(dir);
        card = PsdWorld.newCard();
        card.select(AccessServer.PSD_AID);
    }

    @AfterEach
    void tearDown() {
        w.close();
        card.close();
    }

    static int sw(short s) { return s & 0xFFFF; }
}
