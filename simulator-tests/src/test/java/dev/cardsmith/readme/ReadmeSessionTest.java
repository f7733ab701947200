package dev.cardsmith.readme;

import dev.cardsmith.support.CliProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;


import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README's terminal session runs as a test, so it cannot rot (STYLE 14): every
 * {@code $ ./cardsmith …} line is run in a fresh CARDSMITH_HOME, in its own JVM as a user would,
 * and its output must equal the README's once chip IDs, keys and timestamps are masked.
 */
class ReadmeSessionTest {

    static final String MARKER = "A real session of the main job";

    record Step(String command, List<String> expected) {}

    @Test
    void readmeSessionIsWhatTheToolPrints(@TempDir Path home) throws Exception {
        List<Step> steps = session(Files.readString(Path.of("..", "README.md")));
        assertTrue(steps.size() >= 4, "README session not found or too short");
        for (Step step : steps) {
            String cmd = step.command();
            int expectedExit = 0;
            List<String> expected = new ArrayList<>(step.expected());
            if (cmd.endsWith("; echo exit=$?")) {
                cmd = cmd.substring(0, cmd.length() - "; echo exit=$?".length());
                String last = expected.remove(expected.size() - 1);
                assertTrue(last.startsWith("exit="), last);
                expectedExit = Integer.parseInt(last.substring(5));
            }
            assertTrue(cmd.startsWith("./cardsmith "), cmd);
            List<String> args = new ArrayList<>(Arrays.asList(cmd.substring("./cardsmith ".length()).trim().split("\\s+")));
            CliProcess.Result r = run(home, args);
            assertEquals(expectedExit, r.exit(), cmd + "\n" + r.output());
            String output = r.output().strip().replace(home.resolve(".cardsmith").toString(), "~/.cardsmith");
            assertEquals(mask(String.join("\n", expected)), mask(output), "output of: " + cmd);
        }
    }

    static List<Step> session(String readme) {
        int at = readme.indexOf(MARKER);
        assertFalse(at < 0, "README has no session");
        int open = readme.indexOf("```\n", at) + 4;
        int close = readme.indexOf("\n```", open);
        List<Step> steps = new ArrayList<>();
        Step current = null;
        for (String line : readme.substring(open, close).split("\n")) {
            if (line.startsWith("$ ")) {
                current = new Step(line.substring(2), new ArrayList<>());
                steps.add(current);
            } else if (current != null) {
                current.expected().add(line);
            }
        }
        return steps;
    }

    /**
     * Chip IDs, keys and points (16+ hex digits) and timestamps differ on every run, and so do
     * byte counts by a few bytes (DER-encoded ECDSA signatures are 70 to 72 bytes long).
     */
    static String mask(String s) {
        return s.replaceAll("[0-9A-Fa-f]{16,}", "<hex>")
                .replaceAll("(\"?bytes(Sent|Received)\"? ?: )\\d+", "$1<n>")
                .replaceAll("\\d{4}-\\d{2}-\\d{2}T[0-9:.]+Z", "<time>");
    }

    static CliProcess.Result run(Path home, List<String> args) throws Exception {
        return CliProcess.run(home, home.resolve(".cardsmith"), args);
    }
}
