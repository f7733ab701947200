package dev.cardsmith.transport;

import org.junit.jupiter.api.Test;

import javax.smartcardio.CommandAPDU;
import javax.smartcardio.ResponseAPDU;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The relay as a pipe: what the service sends arrives, what the appliance refuses is 6E00. */
class ApduRelayTest {

    /** A card that answers every command with its own bytes reversed, 9000. */
    static final class EchoCard implements CardTransport {
        final List<byte[]> received = new ArrayList<>();
        @Override public byte[] transmit(byte[] apdu) {
            received.add(apdu);
            byte[] r = new byte[apdu.length + 2];
            for (int i = 0; i < apdu.length; i++) r[i] = apdu[apdu.length - 1 - i];
            r[apdu.length] = (byte) 0x90;
            return r;
        }
        @Override public byte[] atr() { return new byte[] {0x3B, 0}; }
        @Override public String name() { return "echo"; }
        @Override public void reset() {}
        @Override public void close() {}
    }

    @Test
    void applianceRelaysOnlyProprietaryClassCommands() {
        assertTrue(ApduRelay.PROPRIETARY_CLASS.test(new byte[] {(byte) 0x80, 0x24, 0, 0, 1, 0}));
        assertTrue(ApduRelay.PROPRIETARY_CLASS.test(new byte[] {(byte) 0x90, 0x26, 0, 0, 1, 0}));
        assertFalse(ApduRelay.PROPRIETARY_CLASS.test(new byte[] {0x00, (byte) 0xA4, 4, 0, 1, 0}));
        assertFalse(ApduRelay.PROPRIETARY_CLASS.test(new byte[] {(byte) 0x84, 0x24, 0, 0}));
        assertFalse(ApduRelay.PROPRIETARY_CLASS.test(new byte[] {(byte) 0x80}));
    }

    @Test
    void serviceDrivesTheRemoteCardThroughTheRelayChannel() {
        EchoCard card = new EchoCard();
        List<Integer> sws = new ArrayList<>();
        try (ApduRelay.Server server = new ApduRelay.Server("127.0.0.1", 0, (hello, channel) -> {
            ResponseAPDU ok = channel.transmit(new CommandAPDU(0x80, 0x10, 1, 2, new byte[] {5}, 256));
            sws.add(ok.getSW());
            sws.add(channel.transmit(new CommandAPDU(0x00, 0xA4, 4, 0, new byte[] {1, 2, 3}, 256)).getSW());
            return Map.of("who", hello.get("appliance"), "extended", channel.extendedLength());
        })) {
            server.start();
            Map<String, Object> r = ApduRelay.connect("127.0.0.1", server.port(), Map.of("appliance", "a1"), new CardSession(card), true);
            assertEquals("a1", r.get("who"));
            assertEquals(Boolean.TRUE, r.get("extended"));
        }
        assertEquals(List.of(0x9000, 0x6E00), sws);
        assertEquals(1, card.received.size(), "the SELECT never reached the card");
        assertArrayEquals(new CommandAPDU(0x80, 0x10, 1, 2, new byte[] {5}, 256).getBytes(), card.received.get(0));
    }

    @Test
    void serviceFailureReachesTheApplianceAsRelayException() {
        try (ApduRelay.Server server = new ApduRelay.Server("127.0.0.1", 0, (hello, channel) -> {
            throw new IllegalStateException("appliance x is not registered");
        })) {
            server.start();
            ApduRelay.RelayException e = assertThrows(ApduRelay.RelayException.class,
                    () -> ApduRelay.connect("127.0.0.1", server.port(), Map.of("appliance", "x"), new CardSession(new EchoCard()), false));
            assertTrue(e.getMessage().contains("not registered"), e.getMessage());
        }
    }

    @Test
    void cardClassesCountOnlyOnAReaderSession() {
        CardSession session = new CardSession(new EchoCard());
        assertEquals(session, CardSession.of(session));
        assertThrows(IllegalStateException.class, () -> CardSession.of(c -> session.transmit(c)), "a wrapper counts nothing itself");
    }
}
