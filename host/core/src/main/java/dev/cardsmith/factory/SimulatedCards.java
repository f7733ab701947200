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
    /** The card spec scheme of a card as a factory line receives it (its SIM awaits PERSONALIZE; the simulator module registers it). */
    public static final String FACTORY_SCHEME = "simfactory";

    private final Path dir;
    private final String scheme;

    public SimulatedCards(Path dir) {
        this(dir, "sim");
    }

    /**
     * Cards for a line of {@code stages}: with the sim stage, cards as the SIM vendor delivers them
     * (the sim applet installed with the development transport key, its OTA key set still to
     * come); else the simulator's default card. A card is always reopened with the scheme it was
     * created with (its install parameters are part of its history): a resume has the run's stages.
     */
    public static SimulatedCards forStages(Path dir, java.util.List<String> stages) {
        return new SimulatedCards(dir, stages.contains("sim") ? FACTORY_SCHEME : "sim");
    }

    private SimulatedCards(Path dir, String scheme) {
        this.scheme = scheme;
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

    /** The card spec of a card file of this source ({@code sim:FILE} or {@code simfactory:FILE}). */
    public String spec(String cardName) {
        return scheme + ":" + cardName;
    }

    public Path file(String runId, int slot) {
        return dir.resolve(runId.substring(0, 8) + "-" + String.format("%05d", slot) + ".sim");
    }

    @Override
    public Card next(String runId, int slot) {
        Path f = file(runId, slot);
        return new Card(f.toString(), CardTransports.open(scheme + ":" + f));
    }

    @Override
    public Card reopen(String name) {
        if (!Files.exists(Path.of(name))) return null;
        return new Card(name, CardTransports.open(scheme + ":" + name));
    }
}
