package dev.cardsmith.factory;

import dev.cardsmith.transport.CardTransport;

/**
 * Where the line's cards come from. The name of a card is what the device row records, so a
 * resumed run opens the same card again.
 */
public interface CardSource extends AutoCloseable {

    /** A card on the line: its recorded name and its transport. */
    record Card(String name, CardTransport transport) {}

    /** For the run record: {@code sim-dir:/path} or {@code readers:PATTERN}. */
    String describe();

    /** The card of a new device in {@code slot}; blocks until one is there (a reader line waits for an insertion). */
    Card next(String runId, int slot);

    /** The card a device row names, for a resume; null when it is not there (pulled, or the file is gone). */
    Card reopen(String name);

    /**
     * The card of a device whose card stopped answering mid-stage, once it is back (a reader line
     * waits for the removal, asks the operator to put it back and waits for the insertion); null
     * when it does not come back.
     */
    default Card returned(String name) { return reopen(name); }

    /** Tells the operator the device is finished with (a reader line asks for removal). */
    default void finished(Card card, boolean ok) {}

    @Override
    default void close() {}
}
