package dev.cardsmith.cli;

import dev.cardsmith.hsm.Hsm;
import dev.cardsmith.bench.FactoryBench;
import dev.cardsmith.bench.ModuleBench;
import dev.cardsmith.bench.OtaBench;
import dev.cardsmith.bench.PsdBench;
import dev.cardsmith.bench.VaultBench;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code cardsmith bench ...}: one benchmark per system; each prints its figures (mean ms, APDUs,
 * bytes per flow), as JSON with --json. Benchmarks measure, they assert nothing. All run on the
 * in-memory simulator with throw-away keystores and databases, except {@code csp-sign}, which
 * uses the global --sim/--reader card.
 */
@Command(name = "bench", description = "Benchmarks (speed and size figures per system).",
        subcommands = {BenchCommand.Vault.class, BenchCommand.Psd.class, BenchCommand.Module.class,
                BenchCommand.Ota.class, CspBenchCommand.class, BenchCommand.Factory.class})
final class BenchCommand implements Runnable {

    @Spec CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "choose a subcommand: vault, psd, module, ota, csp-sign, factory");
    }

    static void positive(int n, String option) {
        if (n < 1) throw new CliException(option + " must be positive", ErrorHandler.EXIT_USAGE);
    }

    @Command(name = "vault", description = "Provision / wipe / recover on the in-memory simulator (temp SQLite DBs, temp PKCS#12 keystore).")
    static final class Vault implements Runnable {
        @Spec CommandSpec spec;
        @Option(names = "--rounds", defaultValue = "20", description = "Measured chips per provisioning variant. Default: ${DEFAULT-VALUE}.")
        int rounds;

        @Override
        public void run() {
            positive(rounds, "--rounds");
            try (CliContext ctx = CliContext.of(spec)) {
                ctx.emit(BenchProgress.run(ctx, "vault", rounds + " chips per provisioning variant", () -> VaultBench.run(rounds)));
            }
        }
    }

    @Command(name = "psd", description = "PSD issue / replace per PSD and KRK proofs per second in the HSM "
            + "(software HSM; with --softhsm also the access server on the --hsm pkcs11:... token).")
    static final class Psd implements Runnable {
        @Spec CommandSpec spec;
        @Option(names = "--rounds", defaultValue = "30", description = "PSDs per run. Default: ${DEFAULT-VALUE}.")
        int rounds;
        @Option(names = "--softhsm", description = "Also run with the access server on the PKCS#11 token given by the global "
                + "--hsm pkcs11:... (e.g. a SoftHSM2 token; the bench imports its keys into that token).")
        boolean softhsm;

        @Override
        public void run() {
            positive(rounds, "--rounds");
            try (CliContext ctx = CliContext.of(spec)) {
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("software", BenchProgress.run(ctx, "psd", rounds + " PSDs, software HSM", () -> PsdBench.software(rounds)));
                if (softhsm) {
                    String hsmSpec = ctx.hsmSpec();
                    if (hsmSpec.startsWith("pkcs11:")) {
                        Hsm hsm = ctx.hsm(); // closed with the context
                        out.put("pkcs11", BenchProgress.run(ctx, "psd", rounds + " PSDs, PKCS#11 access HSM",
                                () -> PsdBench.withAccessHsm("PKCS#11 (" + hsmSpec + ")", hsm, rounds)));
                    } else {
                        // a SoftHSM2 token cannot be created in-process once the PKCS#11 library is loaded: the user supplies one
                        out.put("pkcs11", "skipped: --softhsm needs --hsm pkcs11:... naming an initialised token "
                                + "(softhsm2-util --init-token --free --label cardsmith-bench ...) and --hsm-pin");
                    }
                }
                ctx.emit(out);
            }
        }
    }

    @Command(name = "module", description = "Module personalization (extended / short APDUs) and central authentication + transaction.")
    static final class Module implements Runnable {
        @Spec CommandSpec spec;
        @Option(names = "--rounds", defaultValue = "10", description = "Runs per flow. Default: ${DEFAULT-VALUE}.")
        int rounds;

        @Override
        public void run() {
            positive(rounds, "--rounds");
            try (CliContext ctx = CliContext.of(spec)) {
                ctx.emit(BenchProgress.run(ctx, "module", rounds + " runs per flow", () -> ModuleBench.run(rounds)));
            } catch (java.io.IOException e) {
                throw new CliException("cannot create the temp directory: " + e.getMessage());
            }
        }
    }

    @Command(name = "ota", description = "OTA codec on the host, envelope / authentication / content key in jCardSim (in-memory card). "
            + "Same as `cardsmith ota bench`.")
    static final class Ota implements Runnable {
        @Spec CommandSpec spec;
        @Option(names = {"--rounds", "--iterations"}, defaultValue = "200", description = "Iterations per measurement. Default: ${DEFAULT-VALUE}.")
        int iterations;

        @Override
        public void run() {
            positive(iterations, "--rounds");
            try (CliContext ctx = CliContext.of(spec)) {
                ctx.emit(BenchProgress.run(ctx, "ota", iterations + " iterations per measurement", () -> OtaBench.run(iterations)));
            }
        }
    }

    @Command(name = "factory", description = "The factory line with K simulated card files in one process (throughput, host CPU per device, "
            + "parallel efficiency, where the time goes); with --stations, that many station processes on the --db database.")
    static final class Factory implements Runnable {
        @Spec CommandSpec spec;
        @Option(names = "--k", split = ",", defaultValue = "1,4,16,64", paramLabel = "K", description = "Cards in parallel per run. Default: ${DEFAULT-VALUE}.")
        java.util.List<Integer> ks;
        @Option(names = "--devices-per-card", defaultValue = "3", description = "Devices per parallel card (a run has K x this many, at least --min-devices). "
                + "Default: ${DEFAULT-VALUE}.")
        int perCard;
        @Option(names = "--min-devices", defaultValue = "12", description = "Devices per run at least. Default: ${DEFAULT-VALUE}.")
        int minDevices;
        @Option(names = "--stages", defaultValue = "vault,psd,module", description = "Stages. Default: ${DEFAULT-VALUE}.")
        String stages;
        @Option(names = "--stations", defaultValue = "0", description = "Station processes on the --db database (0: the in-process K runs). "
                + "Default: ${DEFAULT-VALUE}.")
        int stations;
        @Option(names = "--devices-per-station", defaultValue = "1000", description = "With --stations. Default: ${DEFAULT-VALUE}.")
        int perStation;
        @Option(names = "--parallel", defaultValue = "2", description = "Cards in parallel per station, with --stations. Default: ${DEFAULT-VALUE}.")
        int parallel;
        @picocli.CommandLine.Mixin
        VaultCli.PublicDbOption publicDb;

        @Override
        public void run() {
            positive(perCard, "--devices-per-card");
            for (int k : ks) positive(k, "--k");
            java.util.List<String> names = FactoryCommand.call(() -> dev.cardsmith.factory.Stages.parse(stages));
            try (CliContext ctx = CliContext.of(spec)) {
                if (stations > 0) {
                    positive(perStation, "--devices-per-station");
                    if (!names.contains("vault") || names.contains("piv") || names.contains("sim")) {
                        // the stations' duplicate and lost-row counts are over the vault's records; piv needs a mailer key
                        // and sim SIMs with a transport key, which the station processes are not given
                        throw new CliException("--stations runs the vault stage with psd and module at most (got " + String.join(",", names) + ")",
                                ErrorHandler.EXIT_USAGE);
                    }
                    if (!ctx.databaseNamed()) throw new CliException("--stations needs a shared --db (e.g. jdbc:postgresql://...)", ErrorHandler.EXIT_USAGE);
                    java.util.List<String> launcher = java.util.List.of(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                            "-cp", System.getProperty("java.class.path"), Main.class.getName());
                    java.nio.file.Path work;
                    try {
                        work = java.nio.file.Files.createTempDirectory("factory-stations");
                    } catch (java.io.IOException e) {
                        throw new CliException("cannot create the temp directory: " + e.getMessage());
                    }
                    ctx.emit(BenchProgress.run(ctx, "factory", stations + " stations x " + perStation + " devices",
                            () -> FactoryBench.stations(launcher, ctx.databaseUrl(), publicDb.url(ctx), stations, perStation, parallel, names, work)));
                } else {
                    ctx.emit(BenchProgress.run(ctx, "factory", "K = " + ks + ", stages " + String.join(",", names),
                            () -> FactoryBench.line(ks, perCard, minDevices, names)));
                }
            }
        }
    }
}
