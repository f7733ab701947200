package dev.cardsmith.simulator;

import dev.cardsmith.transport.*;
import dev.cardsmith.transport.CardTransport;
import dev.cardsmith.transport.CardTransportFactory;

import java.nio.file.Path;

/** {@code sim} (a fresh, volatile card) and {@code sim:FILE} (a saved card) for {@code CardTransports}. */
public final class SimulatorTransportFactory implements CardTransportFactory {

    @Override
    public String scheme() { return "sim"; }

    @Override
    public void validate(String argument) {
        // empty = volatile card; anything else names the state file
    }

    @Override
    public CardTransport open(String argument) {
        return argument.isEmpty() ? new SimulatorTransport() : SimulatorTransport.open(Path.of(argument));
    }
}
