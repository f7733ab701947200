package dev.cardsmith.ota.terminal;

/** The terminal side of the trust protocol cannot proceed (no key, revoked, SIM proof wrong). */
public final class TerminalException extends RuntimeException {
    private final boolean verification;

    public TerminalException(String message, boolean verification) {
        super(message);
        this.verification = verification;
    }

    /** True when a cryptographic check of the SIM's answer failed. */
    public boolean verification() { return verification; }
}
