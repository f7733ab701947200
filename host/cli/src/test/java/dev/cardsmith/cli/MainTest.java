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
        for (String o : new String[] {"--card", "--dev", "--db", "--keystore", "--json", "--verbose"}) {
            assertTrue(r.out().contains(o), o);
        }
        for (int code = 0; code <= 7; code++) assertTrue(r.out().matches("(?s).*\\n\\s+" + code + "\\s+\\S.*"), "exit code " + code + " listed");
    }

    @Test
    void helpListsOnlyTheGlobalOptionsACommandUses() {
        String dbServe = run("db", "serve", "--help").out();
        assertTrue(!dbServe.contains("--card") && !dbServe.contains("--keystore") && dbServe.contains("--db"), dbServe);
        String hsmInit = run("hsm", "init", "--help").out();
        assertTrue(!hsmInit.contains("--card") && hsmInit.contains("--keystore"), hsmInit);
        String provision = run("device", "provision", "--help").out();
        assertTrue(provision.contains("--card") && provision.contains("--keystore"), provision);
        for (String path : Main.NOT_USED.keySet()) {
            picocli.CommandLine c = Main.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
            for (String name : path.split(" ")) c = c.getSubcommands().get(name);
            assertTrue(c != null, "no command " + path);
        }
        // still accepted where scripts put them
        Run r = run("readers", "--card", "sim", "--json");
        assertTrue(r.code() == 0 || r.code() == ErrorHandler.EXIT_TRANSPORT, r.err());
    }

    @Test
    void versionNamesTheCommit() {
        Run r = run("--version");
        assertEquals(0, r.code());
        assertTrue(r.out().matches("(?s)cardsmith \\S+ \\(commit \\S+\\).*"), r.out());
    }

    @Test
    void helpFollowsTheWholeCommandPath() {
        Run r = run("help", "device", "provision");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("Usage: cardsmith device provision"), r.out());
        Run bad = run("help", "device", "frobnicate");
        assertEquals(ErrorHandler.EXIT_USAGE, bad.code());
        assertTrue(bad.err().contains("unknown command 'frobnicate'"), bad.err());
    }

    @Test
    void everyOptionAndCommandHasAHelpTextWithoutDocumentReferences() {
        java.util.ArrayDeque<picocli.CommandLine> todo = new java.util.ArrayDeque<>();
        todo.add(Main.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter())));
        java.util.List<String> problems = new java.util.ArrayList<>();
        while (!todo.isEmpty()) {
            picocli.CommandLine c = todo.poll();
            todo.addAll(c.getSubcommands().values());
            picocli.CommandLine.Model.CommandSpec s = c.getCommandSpec();
            java.util.List<String> texts = new java.util.ArrayList<>();
            texts.add(s.qualifiedName() + ": " + String.join(" ", s.usageMessage().description()));
            for (picocli.CommandLine.Model.OptionSpec o : s.options()) {
                if (!o.hidden()) texts.add(s.qualifiedName() + " " + o.longestName() + ": " + String.join(" ", o.description()));
            }
            for (String t : texts) {
                if (t.endsWith(": ")) problems.add("blank: " + t);
                if (t.matches(".*(\\(claims? \\d|Fig\\. \\d|seed 00\\d).*")) problems.add("document reference: " + t);
            }
        }
        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }

    @Test
    void manPageAndCompletionComeFromTheSameModel() {
        Run man = run("generate-man-page");
        assertEquals(0, man.code(), man.err());
        assertTrue(man.out().startsWith(".TH CARDSMITH 1"), man.out());
        for (String c : new String[] {".SS device provision", ".SS hsm init", ".SS ota init\\-trust", ".SH EXIT STATUS"}) {
            assertTrue(man.out().contains(c), c);
        }
        Run completion = run("generate-completion");
        assertEquals(0, completion.code(), completion.err());
        assertTrue(completion.out().contains("cardsmith") && completion.out().contains("provision"), "bash completion script");
    }

    @Test
    void jsonUsageErrorsAreJsonToo() throws Exception {
        Run r = run("--json", "--frobnicate");
        assertEquals(ErrorHandler.EXIT_USAGE, r.code());
        com.fasterxml.jackson.databind.JsonNode e = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.out()).get("error");
        assertEquals(2, e.get("exitCode").asInt());
        assertEquals("usage", e.get("kind").asText());
        assertTrue(e.get("message").asText().contains("--frobnicate"));
    }

    @Test
    void countsHaveOneShape() {
        java.util.Map<String, Object> top = new java.util.LinkedHashMap<>();
        top.put("result", "ok");
        top.put("apdus", 5);
        top.put("bytesSent", 10);
        top.put("bytesReceived", 20);
        assertEquals("{result=ok, card={apdus=5, bytesSent=10, bytesReceived=20}}", CliContext.countsUnderCard(top).toString());
        java.util.Map<String, Object> nested = java.util.Map.of("card", java.util.Map.of("apdus", 1));
        assertEquals(nested, CliContext.countsUnderCard(nested));
    }
}
