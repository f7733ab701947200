package dev.cardsmith.csp;

/** One key slot as LIST SLOTS reports it. */
public record SlotInfo(int slot, KeyAlgorithm algorithm, String label, int certificateLength) {
    public boolean hasKey() { return algorithm != KeyAlgorithm.NONE; }

    /** The KeyStore alias: the label, or "slotN" when the key has none. */
    public String alias() { return label.isEmpty() ? "slot" + slot : label; }
}
