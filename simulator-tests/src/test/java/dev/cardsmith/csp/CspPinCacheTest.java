package dev.cardsmith.csp;

import dev.cardsmith.transport.ApduTrace;
import dev.cardsmith.transport.CardSession;
import dev.cardsmith.transport.CardStatusException;
import dev.cardsmith.support.CardTest;
import dev.cardsmith.support.CardUnderTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Attack: the host keeps the PIN of a login in memory and replays it to the card whenever the
 * card has forgotten it (a reset, another client's SELECT). Whoever can reset the card or the
 * reader (another process, a tear) then gets a freshly verified card for free, and a stale PIN
 * burns tries. The host must never hold the PIN: after a reset the card answers 6982 and the
 * caller logs in again.
 */
@CardTest
class CspPinCacheTest {

    static final char[] PIN = "314159".toCharArray();
    static final char[] OTHER = "654321".toCharArray();

    final List<byte[]> commands = new ArrayList<>();
    CardSession session;
    PivCard card;

    @BeforeEach
    void installAndSelect() {
        session = new CardSession(CardUnderTest.fresh(), new ApduTrace() {
            @Override public void command(byte[] apdu) { commands.add(apdu.clone()); }
            @Override public void response(byte[] resp) {}
            @Override public void note(String text) {}
        });
        card = new PivCard(session);
        card.select();
        card.changePin("123456".toCharArray(), PIN); // PIV: no key use under the default PIN
        card.authenticateManagement(CardsmithProvider.factoryManagementKey());
    }

    @AfterEach
    void close() {
        session.close();
    }

    private long verifiesSent() {
        return commands.stream().filter(c -> c.length > 5 && (c[1] & 0xFF) == 0x20).count();
    }

    @Test
    void pinIsNotReplayedAfterACardReset() {
        card.login(PIN);
        int slot = card.freeSlot();
        card.generate(slot, KeyAlgorithm.EC_P256, null);

        session.reset(); // another process resets the reader, or the card is torn and re-inserted
        commands.clear();
        CardStatusException e = assertThrows(CardStatusException.class, () -> card.signEcdsa(slot, new byte[32]),
                "after a reset the card must not be verified again behind the caller's back");
        assertEquals(0x6982, e.sw());
        assertEquals(0, verifiesSent(), "the host sent a PIN it should not hold");
        assertFalse(card.loggedIn());

        card.login(PIN); // the caller (who knows the PIN) logs in again
        assertNotNull(card.signEcdsa(slot, new byte[32]));
    }

    @Test
    void aPinChangedElsewhereCostsNoTry() {
        card.login(PIN);
        int slot = card.freeSlot();
        card.generate(slot, KeyAlgorithm.EC_P256, null);

        // another client on the same card changes the PIN (its SELECT clears our verified state)
        PivCard other = new PivCard(session);
        other.select();
        other.changePin(PIN, OTHER);

        commands.clear();
        CardStatusException first = assertThrows(CardStatusException.class, () -> card.signEcdsa(slot, new byte[32]));
        assertEquals(0x6982, first.sw(), "not verified; the host has no PIN to try");
        assertEquals(0, verifiesSent());
        assertEquals(3, card.pinTriesLeft(), "no try was spent");

        card.login(OTHER);
        assertNotNull(card.signEcdsa(slot, new byte[32]));
    }
}
