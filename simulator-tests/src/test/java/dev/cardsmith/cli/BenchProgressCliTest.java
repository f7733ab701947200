package dev.cardsmith.cli;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Issue 10: benchmarks show progress on stderr; stdout keeps only the figures. */
class BenchProgressCliTest {

    private static void progress(CliRun r, String bench, String what) throws Exception {
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.json().isObject(), "stdout is the JSON result only: " + r.out());
        List<String> lines = r.err().lines().filter(l -> l.startsWith("cardsmith: bench ")).toList();
        assertEquals("cardsmith: bench " + bench + ": " + what + " ...", lines.get(0), r.err());
        assertTrue(lines.get(lines.size() - 1).matches("cardsmith: bench " + bench + ": done in \\d+\\.\\d s"), r.err());
    }

    @Test
    void otaBenchSaysWhatRunsAndWhenItIsDone() throws Exception {
        progress(CliRun.of("--json", "bench", "ota", "--rounds", "2"), "ota", "2 iterations per measurement");
    }

    @Test
    void cspSignBenchSaysWhatRunsAndWhenItIsDone() throws Exception {
        progress(CliRun.of("--json", "bench", "csp-sign", "--count", "3"), "csp-sign", "3 signatures on jCardSim (in memory)");
    }
}
