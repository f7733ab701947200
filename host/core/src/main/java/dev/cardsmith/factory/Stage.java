package dev.cardsmith.factory;

import dev.cardsmith.transport.CardSession;

/**
 * One step of the line on one card. {@link #run} must be safe to call again after an
 * interruption at any point (a killed process, a pulled card): it asks the card and the store
 * what already happened and finishes or reconciles, never doing a write twice.
 */
public interface Stage {

    /** What a stage works on: the card, and the identity allocated to the device (null when the line has none). */
    record Device(String runId, int slot, CardSession card, String identity) {}

    /** What a stage did, for the device's record (no secret). {@code chipId}: the card's ID when this stage read it, else null. */
    record Done(String detail, String chipId) {}

    String name();

    /** Whether this stage needs an identity from the pool. */
    default boolean needsIdentity() { return false; }

    Done run(Device device);
}
