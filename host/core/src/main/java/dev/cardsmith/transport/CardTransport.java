package dev.cardsmith.transport;

/**
 * One card connection that exchanges raw APDUs. Implementations do no protocol work:
 * GET RESPONSE, chaining and counting live once in {@link CardSession}.
 */
public interface CardTransport extends AutoCloseable {

    /** Sends one command APDU and returns the raw response (data || SW1 SW2). */
    byte[] transmit(byte[] commandApdu);

    /** Answer to reset of the connected card. */
    byte[] atr();

    /** Human-readable name: reader name, "jCardSim" or the simulator state file. */
    String name();

    /** Power-cycles the card (cold reset): transient memory is cleared, nothing is selected. */
    void reset();

    @Override
    void close();
}
