package dev.cardsmith.cli;

import dev.cardsmith.factory.FactoryException;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The factory command's exit codes come from the failure's kind (docs/factory.md), never from its message text. */
class FactoryCommandTest {

    @Test
    void everyKindHasItsDocumentedExitCode() {
        Map<FactoryException.Kind, Integer> documented = Map.of(
                FactoryException.Kind.USAGE, 2,
                FactoryException.Kind.EXHAUSTED, 1,
                FactoryException.Kind.NO_CARD, 4,
                FactoryException.Kind.MISSING_KEY, 6,
                FactoryException.Kind.FAILURE, 1);
        assertEquals(FactoryException.Kind.values().length, documented.size(), "a kind without a documented exit code");
        for (FactoryException.Kind k : FactoryException.Kind.values()) {
            CliException e = assertThrows(CliException.class, () -> FactoryCommand.call(() -> {
                throw new FactoryException(k, "reason");
            }));
            assertEquals(documented.get(k), e.exitCode(), k.name());
        }
    }

    @Test
    void theMessageTextNoLongerPicksTheExitCode() {
        // the old code mapped any message containing "given twice" or starting "no stage" to usage
        CliException e = assertThrows(CliException.class, () -> FactoryCommand.call(() -> {
            throw new FactoryException(FactoryException.Kind.FAILURE, "no stage answered: the key was given twice");
        }));
        assertEquals(ErrorHandler.EXIT_FAILURE, e.exitCode());
    }

    @Test
    void badStageListsAreUsageErrorsBeforeAnythingIsOpened() {
        for (String stages : new String[] {"vault,vault", "vault,frobnicate", ","}) {
            MainTest.Run r = MainTest.run("factory", "run", "--stages", stages);
            assertEquals(ErrorHandler.EXIT_USAGE, r.code(), stages + ": " + r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
        }
        assertTrue(MainTest.run("factory", "run", "--stages", "vault,vault").err().contains("given twice"));
    }
}
