package dev.cardsmith.transport;

/**
 * A source of cards named by a URI-like spec ({@code scheme} or {@code scheme:argument}), found
 * with {@link java.util.ServiceLoader}. The core library knows PC/SC; the simulator module
 * registers {@code sim} so that the core never has jCardSim on its compile path.
 */
public interface CardTransportFactory {

    /** The scheme this factory opens, e.g. {@code sim}. */
    String scheme();

    /** Checks the argument (may be empty) without opening anything; throws IllegalArgumentException. */
    void validate(String argument);

    /** Opens the card. */
    CardTransport open(String argument);
}
