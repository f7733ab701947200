package dev.cardsmith.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.util.ArrayList;
import java.util.List;

/** {@code cardsmith help [COMMAND...]}: the help of the command the whole path names ({@code help device provision}). */
@Command(name = "help", helpCommand = true, description = "Show the help of a command: cardsmith help device provision.")
final class HelpCommand implements Runnable {
    @Spec CommandSpec spec;

    @Parameters(paramLabel = "COMMAND", arity = "0..*", description = "The command, with its subcommands (e.g. device provision).")
    List<String> path = new ArrayList<>();

    @Override
    public void run() {
        CommandLine cl = spec.root().commandLine();
        for (String name : path) {
            CommandLine sub = cl.getSubcommands().get(name);
            if (sub == null) {
                throw new CommandLine.ParameterException(spec.commandLine(), "unknown command '" + name + "' in '"
                        + cl.getCommandSpec().qualifiedName() + "'; its commands: " + String.join(", ", cl.getSubcommands().keySet()));
            }
            cl = sub;
        }
        cl.usage(spec.commandLine().getOut());
    }
}
