package dev.cardsmith.hsm;

/** An HSM operation failed. Messages name the key label and the operation, never key material. */
public class HsmException extends RuntimeException {
    public HsmException(String message) { super(message); }
    public HsmException(String message, Throwable cause) { super(message, cause); }
}
