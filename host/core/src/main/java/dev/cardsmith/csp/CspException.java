package dev.cardsmith.csp;

/** A CSP protocol failure on the host side (malformed card response, unusable configuration). Never carries key material. */
public class CspException extends RuntimeException {
    public CspException(String message) { super(message); }
    public CspException(String message, Throwable cause) { super(message, cause); }
}
