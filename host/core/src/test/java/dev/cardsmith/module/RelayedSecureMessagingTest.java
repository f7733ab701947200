package dev.cardsmith.module;

import dev.cardsmith.transport.ApduRelay;
import dev.cardsmith.transport.CardSession;
import dev.cardsmith.transport.CardTransport;
import org.junit.jupiter.api.Test;

import javax.smartcardio.CommandAPDU;
import java.util.Map;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The relay is an untrusted pipe: secure messaging runs inside it, end to end between the
 * service and the card. An appliance that flips a byte on the way in or out is caught by the
 * card (6988) or by the service's unwrap; an honest one carries the protected session through.
 */
class RelayedSecureMessagingTest {

    private static final byte[] SECRET = "tan 123456".getBytes();

    /** The appliance's reader, with a hook that rewrites bytes in either direction. */
    private static CardTransport appliance(SmCardStub card, UnaryOperator<byte[]> toCard, UnaryOperator<byte[]> fromCard) {
        return new CardTransport() {
            @Override public byte[] transmit(byte[] apdu) { return fromCard.apply(card.transmit(toCard.apply(apdu.clone()))); }
            @Override public byte[] atr() { return card.atr(); }
            @Override public String name() { return "appliance"; }
            @Override public void reset() { card.reset(); }
            @Override public void close() {}
        };
    }

    private static Map<String, Object> run(CardTransport reader) {
        try (ApduRelay.Server server = new ApduRelay.Server("127.0.0.1", 0, (hello, relay) -> {
            SecureMessaging sm = new SecureMessaging(SecureMessagingTest.KEYS, relay);
            byte[] answer = sm.transmitOk("PERSO AUTHENTICATE", new CommandAPDU(0x80, 0x24, 0, 0, SECRET, 256)).getData();
            return Map.of("answer", new String(answer));
        })) {
            server.start();
            return ApduRelay.connect("127.0.0.1", server.port(), Map.of("appliance", "a"), new CardSession(reader), false);
        }
    }

    private static UnaryOperator<byte[]> flip(int offset) {
        return b -> {
            b[offset] ^= 0x01;
            return b;
        };
    }

    @Test
    void honestRelayCarriesTheProtectedSession() {
        SmCardStub card = new SmCardStub(SecureMessagingTest.KEYS);
        assertEquals(new String(SECRET), run(appliance(card, b -> b, b -> b)).get("answer"));
        assertArrayEquals(SECRET, card.lastPlain);
    }

    @Test
    void relayThatFlipsACommandByteIsCaughtByTheCard() {
        SmCardStub card = new SmCardStub(SecureMessagingTest.KEYS);
        ApduRelay.RelayException e = assertThrows(ApduRelay.RelayException.class, () -> run(appliance(card, flip(7), b -> b)));
        assertTrue(e.getMessage().contains("6988"), e.getMessage());
        assertEquals(0, card.accepted);
    }

    @Test
    void relayThatFlipsAResponseByteIsCaughtByTheService() {
        SmCardStub card = new SmCardStub(SecureMessagingTest.KEYS);
        ApduRelay.RelayException e = assertThrows(ApduRelay.RelayException.class, () -> run(appliance(card, b -> b, flip(3))));
        assertTrue(e.getMessage().contains("response MAC from the module is wrong"), e.getMessage());
    }
}
