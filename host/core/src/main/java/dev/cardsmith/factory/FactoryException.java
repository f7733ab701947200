package dev.cardsmith.factory;

/** A factory line failure with a one-line reason (never a secret). */
public class FactoryException extends RuntimeException {
    public FactoryException(String message) { super(message); }

    public FactoryException(String message, Throwable cause) { super(message, cause); }
}
