package dev.cardsmith.csp;

import dev.cardsmith.transport.ApduChannel;
import dev.cardsmith.transport.CardSession;
import dev.cardsmith.transport.PcscTransport;

/**
 * A hold on the card for one multi-command operation: on a PC/SC reader a PC/SC transaction
 * ({@link PcscTransport#exclusive()}, nested holds share it), elsewhere nothing. Closing it throws nothing.
 */
interface CardHold extends AutoCloseable {

    @Override
    void close();

    static CardHold on(ApduChannel channel) {
        if (channel instanceof CardSession s && s.transport() instanceof PcscTransport p) return p.exclusive()::close;
        return () -> {};
    }
}
