package dev.cardsmith.psd;

import dev.cardsmith.transport.CardTransport;
import dev.cardsmith.transport.TransportException;

/**
 * Cuts the card at an APDU boundary: with {@code afterCard=true} the k-th command reaches the
 * card and its response is lost (power cut after processing); with false the k-th command never
 * arrives. Either way the card is power-cycled (transient state gone) and the host sees a
 * transport error.
 */
final class TearingTransport implements CardTransport {
    private final CardTransport card;
    private final int k;
    private final boolean afterCard;
    private int n;
    boolean torn;

    TearingTransport(CardTransport card, int k, boolean afterCard) {
        this.card = card;
        this.k = k;
        this.afterCard = afterCard;
    }

    @Override
    public byte[] transmit(byte[] apdu) {
        n++;
        if (n == k && !torn) {
            if (afterCard) card.transmit(apdu);
            card.reset();
            torn = true;
            throw new TransportException("card torn at APDU " + k + (afterCard ? " (after the card processed it)" : " (before it reached the card)"));
        }
        return card.transmit(apdu);
    }

    @Override public byte[] atr() { return card.atr(); }
    @Override public String name() { return "tearing(" + card.name() + ")"; }
    @Override public void reset() { card.reset(); }
    @Override public void close() { card.close(); }
}
