package dev.cardsmith.simulator;

import dev.cardsmith.transport.CardTransport;
import dev.cardsmith.transport.CardTransportFactory;

import java.nio.file.Path;

/**
 * {@code simfactory:FILE}: a saved simulated card as a factory line receives it from the card
 * vendor ({@link AppletRegistry#factoryLine()}: the sim applet awaits PERSONALIZE under the
 * development transport key). The install parameters are part of a card's history, so a card
 * created with this scheme must always be reopened with it.
 */
public final class FactoryCardTransportFactory implements CardTransportFactory {

    public static final String SCHEME = "simfactory";

    @Override
    public String scheme() { return SCHEME; }

    @Override
    public void validate(String argument) {
        if (argument.isEmpty()) throw new IllegalArgumentException(SCHEME + ": needs a card file");
    }

    @Override
    public CardTransport open(String argument) {
        validate(argument);
        return SimulatorTransport.open(Path.of(argument), AppletRegistry.factoryLine());
    }
}
