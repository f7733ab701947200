package dev.cardsmith.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One in-process {@code cardsmith} invocation (Main.run) and the checks the issue-10 tests share. */
record CliRun(int exit, String out, String err) {

    static final String IMEI = "490154203237518";

    JsonNode json() throws Exception { return new ObjectMapper().readTree(out); }

    static CliRun of(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new CliRun(code, out.toString(), err.toString());
    }

    /** The documented exit code and one "cardsmith: ..." line (plus picocli's usage hint) naming the problem, no exception text. */
    void oneLineError(int expectedExit, String contains) {
        assertEquals(expectedExit, exit, () -> "out: " + out + "\nerr: " + err);
        String e = err.strip().replaceFirst("\\nTry 'cardsmith [a-z -]+--help'\\.$", "");
        assertEquals(1, e.lines().count(), e);
        assertTrue(e.startsWith("cardsmith: ") && e.contains(contains), e);
        assertTrue(!e.contains("Exception") && !e.contains(": null"), e);
    }
}
