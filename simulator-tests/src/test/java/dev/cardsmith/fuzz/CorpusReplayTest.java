package dev.cardsmith.fuzz;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Replays the saved corpus: each entry finds nothing but what it expects ({@code clean}, or its
 * known finding), and every known finding has a corpus entry that still reproduces it. When a
 * fix lands, {@link #everyKnownFindingStillReproduces()} fails for its entry: remove the entry
 * from {@link Declarations#KNOWN} and turn its corpus file into {@code expect=clean} (a regression test).
 */
@dev.cardsmith.support.SimulatorOnly("fuzzing digests the applets' persistent fields by reflection into the jCardSim card")
class CorpusReplayTest {

    @TestFactory
    List<DynamicTest> corpusFindsNothingUnexpected() {
        return Corpus.load().stream().map(e -> DynamicTest.dynamicTest(e.file(), () -> {
            Map<String, FuzzEngine.Finding> found = Corpus.replay(e);
            for (FuzzEngine.Finding f : found.values()) {
                Declarations.Known k = Declarations.known(f);
                assertTrue(k != null && k.id().equals(e.knownId()), e.file() + ": unexpected " + f.describe());
            }
        })).toList();
    }

    @TestFactory
    List<DynamicTest> everyKnownFindingStillReproduces() {
        return Declarations.KNOWN.stream().map(k -> DynamicTest.dynamicTest(k.id() + " (" + k.issue() + ")", () -> {
            List<Corpus.Entry> entries = Corpus.load().stream().filter(e -> k.id().equals(e.knownId())).toList();
            assertFalse(entries.isEmpty(), "no corpus entry reproduces " + k.id());
            for (Corpus.Entry e : entries) {
                long hits = Corpus.replay(e).values().stream().filter(k::matches).count();
                assertTrue(hits >= 1, e.file() + " no longer reproduces " + k.id() + " (" + k.what()
                        + "): if the applet was fixed, remove it from Declarations.KNOWN and set expect=clean");
            }
        })).toList();
    }

    @Test
    void corpusIsNotEmptyAndNamesKnownTargets() {
        List<Corpus.Entry> all = Corpus.load();
        assertFalse(all.isEmpty());
        for (Corpus.Entry e : all) AppletStates.byName(e.target());
    }
}
