package dev.cardsmith.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.Map;

/**
 * {@code cardsmith generate-man-page}: cardsmith(1) in troff, written from the same picocli
 * model as --help (every command, its options and the exit codes), so it cannot drift:
 * {@code cardsmith generate-man-page > cardsmith.1 && man ./cardsmith.1}.
 */
@Command(name = "generate-man-page", description = "Print the cardsmith(1) man page (troff), generated from the commands' help.")
final class ManPageCommand implements Runnable {
    @Spec CommandSpec spec;

    @Override
    public void run() {
        PrintWriter out = spec.commandLine().getOut();
        CommandSpec root = spec.root();
        out.println(".TH CARDSMITH 1 \"\" \"" + esc(new Main.Version().getVersion()[0]) + "\" \"cardsmith manual\"");
        out.println(".SH NAME");
        out.println("cardsmith \\- " + esc(String.join(" ", root.usageMessage().description())));
        out.println(".SH SYNOPSIS");
        out.println(".B cardsmith");
        out.println("[\\fIGLOBAL OPTIONS\\fR] \\fICOMMAND\\fR [\\fIOPTIONS\\fR]");
        out.println(".SH GLOBAL OPTIONS");
        options(out, root);
        out.println(".SH COMMANDS");
        commands(out, root.commandLine(), "");
        out.println(".SH EXIT STATUS");
        for (Map.Entry<String, String> e : root.usageMessage().exitCodeList().entrySet()) {
            out.println(".TP");
            out.println(".B " + esc(e.getKey().strip()));
            out.println(esc(e.getValue()));
        }
        out.println(".SH ENVIRONMENT");
        out.println(".TP\n.B CARDSMITH_HOME\nWhere keystores, databases and the terminal store live (default ~/.cardsmith).");
        out.println(".TP\n.B CARDSMITH_DEV\n1 = development mode, as --dev.");
        out.println(".TP\n.B CARDSMITH_KEYSTORE_PASSWORD, CARDSMITH_KMS_PASSWORD, CARDSMITH_CSP_PIN, CARDSMITH_TAN, CARDSMITH_TRANSPORT_KEY, CARDSMITH_TERMINAL_PASSWORD\nSecrets, instead of options.");
        out.flush();
    }

    private static void commands(PrintWriter out, CommandLine cl, String prefix) {
        for (Map.Entry<String, CommandLine> e : cl.getSubcommands().entrySet()) {
            CommandSpec s = e.getValue().getCommandSpec();
            if (s.usageMessage().hidden() || !s.name().equals(e.getKey())) continue; // aliases once
            String name = prefix + s.name();
            out.println(".SS " + esc(name));
            out.println(esc(String.join(" ", s.usageMessage().description())));
            options(out, s);
            commands(out, e.getValue(), name + " ");
        }
    }

    private static void options(PrintWriter out, CommandSpec s) {
        for (OptionSpec o : s.options()) {
            if (o.hidden() || (o.inherited() && s.parent() != null) || o.usageHelp() || o.versionHelp()) continue;
            out.println(".TP");
            out.println(".B " + esc(String.join(", ", o.names())) + (o.arity().max() > 0 ? " \\fI" + esc(o.paramLabel()) + "\\fR" : ""));
            out.println(esc(String.join(" ", o.description())));
        }
    }

    private static String esc(String s) {
        String t = s.replace("\\", "\\\\").replace("-", "\\-");
        return t.startsWith(".") || t.startsWith("'") ? "\\&" + t : t;
    }
}
