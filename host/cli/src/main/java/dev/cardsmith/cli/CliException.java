package dev.cardsmith.cli;

/** A failure the CLI reports as one line with a chosen exit code. */
public class CliException extends RuntimeException {
    private final int exitCode;

    public CliException(String message, int exitCode) {
        super(message);
        this.exitCode = exitCode;
    }

    public CliException(String message) {
        this(message, ErrorHandler.EXIT_FAILURE);
    }

    public int exitCode() { return exitCode; }
}
