package dev.cardsmith.factory;

/**
 * A factory line failure with a one-line reason (never a secret) and a {@link Kind} that says
 * what kind of failure it is; the CLI maps kinds to its documented exit codes (docs/factory.md),
 * never the message text.
 */
public class FactoryException extends RuntimeException {

    /** What went wrong, for the caller's decision (exit code, retry, operator message). */
    public enum Kind {
        /** Bad input: stage list, identity range or file, counts, a resume that does not match its run. Nothing was touched. */
        USAGE,
        /** The identity pool is used up; devices without an identity were not started. */
        EXHAUSTED,
        /** No matching PC/SC reader, or no card inserted in time. */
        NO_CARD,
        /** A key the stages need is not in the HSM (create it with the named command, or --dev). */
        MISSING_KEY,
        /** The station's own failure (file system, contention, interruption, a worker crash). */
        FAILURE
    }

    private final Kind kind;

    public FactoryException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public FactoryException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() { return kind; }
}
