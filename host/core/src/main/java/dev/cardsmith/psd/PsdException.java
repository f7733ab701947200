package dev.cardsmith.psd;

/** A PSD flow cannot proceed. Messages name the PSD and the step, never key material. */
public class PsdException extends RuntimeException {
    public PsdException(String message) { super(message); }
    public PsdException(String message, Throwable cause) { super(message, cause); }
}
