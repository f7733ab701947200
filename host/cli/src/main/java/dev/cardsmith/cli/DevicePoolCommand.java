package dev.cardsmith.cli;

import dev.cardsmith.vault.KeyPool;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.LinkedHashMap;
import java.util.Map;

/** {@code cardsmith device pool}: the pre-generated key pool in the secure store (claim 7). */
@Command(name = "pool", description = "Pre-generated device key pairs in the secure store.",
        mixinStandardHelpOptions = true, subcommands = {DevicePoolCommand.Generate.class, DevicePoolCommand.Status.class})
final class DevicePoolCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "choose a pool subcommand");
    }

    @Command(name = "generate", description = "Generate N key pairs, private keys wrapped under the HSM key vault.pool.")
    static final class Generate implements Runnable {
        @Spec
        CommandSpec spec;

        @Option(names = "--count", required = true, paramLabel = "N", description = "How many key pairs (1..100000).")
        int count;

        @Mixin
        VaultCli.SecureDbOption secureDb;

        @Override
        public void run() {
            try (CliContext ctx = CliContext.of(spec)) {
                KeyPool pool = VaultCli.pool(ctx, secureDb);
                int available = VaultCli.call(() -> pool.generate(count));
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("generated", count);
                out.put("available", available);
                ctx.emit(out);
            }
        }
    }

    @Command(name = "status", description = "How many key pairs are available and reserved.")
    static final class Status implements Runnable {
        @Spec
        CommandSpec spec;

        @Mixin
        VaultCli.SecureDbOption secureDb;

        @Override
        public void run() {
            try (CliContext ctx = CliContext.of(spec)) {
                KeyPool pool = VaultCli.pool(ctx, secureDb);
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("available", pool.available());
                out.put("reserved", pool.count("RESERVED"));
                ctx.emit(out);
            }
        }
    }
}
