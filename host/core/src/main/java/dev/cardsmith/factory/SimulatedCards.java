package dev.cardsmith.factory;

import dev.cardsmith.transport.CardTransports;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Simulated cards persisted as files under one directory (the default on embedded defaults):
 * {@code DIR/<run>-<slot>.sim}. The file exists (created with its card seed) before the device
 * row that names it, so every row points at a card that still exists.
 */
public final class SimulatedCards implements CardSource {
    private final Path dir;

    public SimulatedCards(Path dir) {
        this.dir = dir.toAbsolutePath().normalize();
        try {
            Files.createDirectories(this.dir);
        } catch (IOException e) {
            throw new FactoryException(FactoryException.Kind.FAILURE, "cannot create the card directory " + dir + ": " + e.getMessage());
        }
    }

    @Override
    public String describe() {
        return "sim-dir:" + dir;
    }

    public Path file(String runId, int slot) {
        return dir.resolve(runId.substring(0, 8) + "-" + String.format("%05d", slot) + ".sim");
    }

    @Override
    public Card next(String runId, int slot) {
        Path f = file(runId, slot);
        return new Card(f.toString(), CardTransports.open("sim:" + f));
    }

    @Override
    public Card reopen(String name) {
        if (!Files.exists(Path.of(name))) return null;
        return new Card(name, CardTransports.open("sim:" + name));
    }
}
