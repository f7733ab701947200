package dev.cardsmith.transport;

/** The card answered with a status word other than the one expected. Never carries response data. */
public class CardStatusException extends RuntimeException {
    private final int sw;

    public CardStatusException(String operation, int sw) {
        super(operation + " failed: " + StatusWords.describe(sw));
        this.sw = sw;
    }

    public int sw() { return sw; }
}
