package dev.cardsmith.cli;

import picocli.CommandLine.Command;

/** {@code cardsmith device}: the device key vault (seed 000). */
@Command(name = "device", description = "Device key vault: provision, recover, wipe, show, verify, reassign.",
        mixinStandardHelpOptions = true,
        subcommands = {DeviceProvisionCommand.class, DevicePoolCommand.class, DeviceRecoverCommand.class,
                DeviceWipeCommand.class, DeviceShowCommand.class, DeviceVerifyCommand.class, DeviceReassignCommand.class})
final class DeviceCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "choose a device subcommand");
    }
}
