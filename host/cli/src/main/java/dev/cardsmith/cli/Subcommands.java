package dev.cardsmith.cli;

import picocli.CommandLine;

/** Where each system registers its command group (one line per system). */
final class Subcommands {
    private Subcommands() {}

    static void register(CommandLine root) {
        root.addSubcommand(new HsmCommand()); // key creation for every system's HSM
        root.addSubcommand(new DeviceCommand()); root.addSubcommand(new DbCommand()); // seed 000
        root.addSubcommand(new KmsCommand()); root.addSubcommand(new PsdCommand()); // seed 001
        root.addSubcommand(new CaCommand()); root.addSubcommand(new ModuleCommand()); root.addSubcommand(new PersoCommand()); root.addSubcommand(new CentralCommand()); // seed 002
        CspCommand.register(root); // seed 003 (bench csp-sign lives in BenchCommand)
        root.addSubcommand(new OtaCommand()); root.addSubcommand(new TerminalCommand()); // seed 004
        root.addSubcommand(new FactoryCommand()); // the line over several systems (issue 16)
        root.addSubcommand(new BenchCommand()); // bench vault|psd|module|ota|csp-sign
    }
}
