package dev.cardsmith.cli;

import picocli.CommandLine;

/** Where each system registers its command group (one line per system). */
final class Subcommands {
    private Subcommands() {}

    static void register(CommandLine root) {
        // seed 000: root.addSubcommand(new DeviceCommand()); root.addSubcommand(new DbCommand());
        root.addSubcommand(new KmsCommand()); root.addSubcommand(new PsdCommand()); // seed 001
    }
}
