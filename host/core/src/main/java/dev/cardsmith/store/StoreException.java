package dev.cardsmith.store;

/** A database could not be opened, migrated or written. Messages never carry row data. */
public class StoreException extends RuntimeException {
    public StoreException(String message) { super(message); }
    public StoreException(String message, Throwable cause) { super(message, cause); }
}
