package dev.cardsmith.cli;

import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MainTest {

    record Run(int code, String out, String err) {}

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void unknownOptionIsAUsageErrorOnOneLinePlusHint() {
        Run r = run("--frobnicate");
        assertEquals(ErrorHandler.EXIT_USAGE, r.code());
        assertTrue(r.err().startsWith("cardsmith: Unknown option: '--frobnicate'"), r.err());
    }

    @Test
    void readersListsOrFailsOnOneLineWithTheTransportExitCode() {
        Run r = run("readers", "--json");
        if (r.code() == 0) {
            assertTrue(r.out().contains("\"readers\""), r.out());
        } else {
            assertEquals(ErrorHandler.EXIT_TRANSPORT, r.code());
            assertEquals(1, r.err().strip().lines().count(), r.err());
            assertTrue(r.err().startsWith("cardsmith: PC/SC"), r.err());
        }
    }

    @Test
    void everySubcommandAnswersHelpEvenWithRequiredOptions() {
        java.util.ArrayDeque<picocli.CommandLine> todo = new java.util.ArrayDeque<>();
        todo.add(Main.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter())));
        int checked = 0;
        while (!todo.isEmpty()) {
            picocli.CommandLine c = todo.poll();
            todo.addAll(c.getSubcommands().values());
            if (c.getCommandSpec().parent() == null || c.getCommandName().equals("help")) continue;
            java.util.List<String> path = new java.util.ArrayList<>();
            for (picocli.CommandLine.Model.CommandSpec s = c.getCommandSpec(); s.parent() != null; s = s.parent()) path.add(0, s.name());
            path.add("--help");
            Run r = run(path.toArray(new String[0]));
            assertEquals(0, r.code(), String.join(" ", path) + ": " + r.err());
            assertTrue(r.out().startsWith("Usage: cardsmith"), String.join(" ", path));
            checked++;
        }
        assertTrue(checked > 40, "only " + checked + " subcommands");
    }

    @Test
    void helpListsGlobalOptions() {
        Run r = run("--help");
        assertEquals(0, r.code());
        for (String o : new String[] {"--reader", "--sim", "--db", "--keystore", "--json", "--verbose"}) {
            assertTrue(r.out().contains(o), o);
        }
    }
}
