package dev.cardsmith.transport;

/** The card or reader could not be reached; carries no APDU data. */
public class TransportException extends RuntimeException {
    public TransportException(String message) { super(message); }
    public TransportException(String message, Throwable cause) { super(message, cause); }
}
