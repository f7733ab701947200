package dev.cardsmith.support;

import dev.cardsmith.transport.CardTransport;
import dev.cardsmith.transport.TransportException;

import java.util.concurrent.atomic.AtomicBoolean;

/** A reader that loses the card's answer: the card executes the command, the host sees the card removed. */
public final class LostAnswer {
    private LostAnswer() {}

    /** The first command with instruction {@code ins} while {@code armed} reaches the card; its answer is lost (armed is cleared). */
    public static CardTransport to(int ins, CardTransport real, AtomicBoolean armed) {
        return new CardTransport() {
            @Override public byte[] transmit(byte[] command) {
                byte[] answer = real.transmit(command);
                if (armed.get() && command.length > 1 && (command[1] & 0xFF) == (ins & 0xFF)) {
                    armed.set(false);
                    throw new TransportException("card removed");
                }
                return answer;
            }
            @Override public byte[] atr() { return real.atr(); }
            @Override public String name() { return real.name(); }
            @Override public void reset() { real.reset(); }
            @Override public void close() { }
        };
    }
}
