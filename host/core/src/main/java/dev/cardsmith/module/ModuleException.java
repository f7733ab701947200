package dev.cardsmith.module;

/** A protocol or verification failure of system 002; the message never carries key material. */
public class ModuleException extends RuntimeException {
    public ModuleException(String message) {
        super(message);
    }

    public ModuleException(String message, Throwable cause) {
        super(message, cause);
    }
}
