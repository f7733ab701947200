package dev.cardsmith.vault;

/** A vault flow cannot go on. Messages name chips and states, never key material. */
public class VaultException extends RuntimeException {

    /** What kind of failure, so a front end can pick an exit code. */
    public enum Kind {
        STATE, NOT_FOUND, VERIFICATION, INPUT,
        /** A device identity already bound to another chip (the CLI's exit 7, like a failed verification). */
        IDENTITY_BOUND
    }

    private final Kind kind;

    public VaultException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public Kind kind() { return kind; }
}
