package dev.cardsmith.csp;

import dev.cardsmith.transport.CardSession;
import dev.cardsmith.transport.CardStatusException;
import dev.cardsmith.support.CardTest;
import dev.cardsmith.support.CardUnderTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Review finding: {@link CspCard} keeps the PIN of its login and silently logs in again when the
 * card answers 6982. When the PIN was changed by another client (another process, another PC),
 * every private-key call re-sent the stale PIN, burning one try each time, until the PIN was blocked
 * without the user ever typing a wrong PIN.
 */
@CardTest
class CspPinCacheTest {

    static final char[] PIN = "123456".toCharArray();
    static final char[] OTHER = "654321".toCharArray();

    CardSession session;
    CspCard card;

    @BeforeEach
    void installAndSelect() {
        session = new CardSession(CardUnderTest.fresh());
        card = new CspCard(session);
        card.select();
    }

    @AfterEach
    void close() {
        session.close();
    }

    @Test
    void stalePinIsDroppedAfterOneRefusalAndDoesNotBlockThePin() {
        card.login(PIN);
        int slot = card.freeSlot();
        card.generate(slot, KeyAlgorithm.EC_P256, "k");

        // another client on the same card changes the PIN (its SELECT clears our verified state)
        CspCard other = new CspCard(session);
        other.select();
        other.changePin(PIN, OTHER);

        byte[] hash = new byte[32];
        CardStatusException first = assertThrows(CardStatusException.class, () -> card.signEcdsa(slot, hash));
        assertEquals(0x63C2, first.sw(), "the one automatic re-login with the cached PIN fails once");
        assertFalse(card.loggedIn(), "a PIN the card refused must not stay cached");

        CardStatusException second = assertThrows(CardStatusException.class, () -> card.signEcdsa(slot, hash));
        assertEquals(0x6982, second.sw(), "without a cached PIN the card just says: not verified");
        assertEquals(2, card.pinTriesLeft(), "only one try was spent, the PIN is not blocked");

        card.login(OTHER);
        assertNotNull(card.signEcdsa(slot, hash));
    }
}
