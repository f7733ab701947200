package dev.cardsmith.ota;

/** A secured packet failed a check; {@link #status()} is the TS 102 225 response status code. */
public final class OtaSecurityException extends RuntimeException {
    private final int status;

    public OtaSecurityException(int status, String message) {
        super(message + " (" + PorStatus.name(status) + ")");
        this.status = status;
    }

    public int status() { return status; }
}
