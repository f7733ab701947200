package dev.cardsmith.cli;

import dev.cardsmith.csp.PinMailer;
import dev.cardsmith.factory.CardSource;
import dev.cardsmith.factory.FactoryException;
import dev.cardsmith.factory.FactoryLine;
import dev.cardsmith.factory.FactoryStore;
import dev.cardsmith.factory.IdentityPool;
import dev.cardsmith.factory.LineKeys;
import dev.cardsmith.factory.MailerExport;
import dev.cardsmith.factory.ReaderCards;
import dev.cardsmith.factory.RunSummary;
import dev.cardsmith.factory.SimulatedCards;
import dev.cardsmith.factory.Stages;
import dev.cardsmith.hsm.Hsm;
import dev.cardsmith.vault.PublicDatabase;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.function.Consumer;

/** {@code cardsmith factory run|status|mailers}: the factory line (wiring and output only; the line is dev.cardsmith.factory). */
@Command(name = "factory", description = "The factory line: many cards through the stages, resumable.",
        subcommands = {FactoryCommand.Run.class, FactoryCommand.Status.class, FactoryCommand.Mailers.class})
final class FactoryCommand implements Runnable {

    /** Development identities when none are given in development mode (TAC 00101000, test range). */
    static final String DEV_IMEI_RANGE = "00101000000000-00101000999999";

    @Spec CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "choose a subcommand: run, status, mailers");
    }

    @Command(name = "run", description = "Take --count devices through the stages, --parallel at a time; --resume finishes a stopped run.")
    static final class Run implements Runnable {
        @Spec CommandSpec spec;

        @Option(names = "--stages", paramLabel = "LIST", description = "Stages in order, from vault, psd, module, piv, sim (default: vault,psd,module).")
        String stages;

        @Option(names = "--line", paramLabel = "FILE", description = "A line file (key=value: stages, count, parallel, imei-range, iccid-range, identities, sim-dir, pin-mailer-key, sim-transport-key); "
                + "options on the command line win.")
        Path lineFile;

        @Option(names = "--count", paramLabel = "N", description = "Devices in the run (default 1).")
        Integer count;

        @Option(names = "--parallel", paramLabel = "K", description = "Devices at a time (default 1).")
        Integer parallel;

        @Option(names = "--sim-transport-key", paramLabel = "HEX", description = "The sim stage: the AES-128 transport key the SIM vendor "
                + "installed the sim applet with (32 hex digits; --dev: the published development key). Also a line-file key sim-transport-key.")
        String simTransportKey;

        @Option(names = "--sim-dir", paramLabel = "DIR", description = "Simulated cards, one file per device (default $CARDSMITH_HOME/cards).")
        Path simDir;

        @Option(names = "--readers", paramLabel = "PATTERN", description = "PC/SC readers whose names contain PATTERN: a card inserted into any "
                + "of them is processed, then the operator is asked to remove it.")
        String readers;

        @Option(names = "--imei-range", paramLabel = "FIRST-LAST", description = "Identities from this IMEI range (allocated in the database, never twice).")
        String imeiRange;

        @Option(names = "--iccid-range", paramLabel = "FIRST-LAST", description = "The sim stage's SIM IDs from this ICCID range (19 digits with "
                + "89 prefix and Luhn check digit, or 18 without it; allocated in the database before the card is written, never twice). "
                + "Not with the vault stage (its identities are IMEIs).")
        String iccidRange;

        @Option(names = "--identities", paramLabel = "FILE.csv", description = "Identities from the first column of a CSV file.")
        Path identities;

        @Option(names = "--resume", arity = "0..1", fallbackValue = "", paramLabel = "RUN",
                description = "Finish a stopped run (default: the newest unfinished one).")
        String resume;

        @Option(names = "--pin-mailer-key", paramLabel = "FILE.pem", description = "The operator's PIN mailer public key (PEM, EC P-256 or RSA): "
                + "the piv stage seals each card's PIN, PUK and management key to it. Required with the piv stage.")
        Path pinMailerKey;

        @picocli.CommandLine.Mixin
        VaultCli.PublicDbOption publicDb;

        @Option(names = "--station", paramLabel = "NAME", description = "This station's name in the run record (default: host name and process id).")
        String station;

        @Override
        public void run() {
            Properties line = readLine(lineFile);
            List<String> given = call(() -> Stages.parse(pick(stages, line, "stages", "vault,psd,module")));
            int givenCount = number(pick(count == null ? null : count.toString(), line, "count", "1"), "--count");
            int k = number(pick(parallel == null ? null : parallel.toString(), line, "parallel", "1"), "--parallel");
            BenchCommand.positive(givenCount, "--count");
            BenchCommand.positive(k, "--parallel");
            String range = pick(imeiRange, line, "imei-range", null);
            String iccids = pick(iccidRange, line, "iccid-range", null);
            if (iccids != null && (range != null || pick(identities == null ? null : identities.toString(), line, "identities", null) != null)) {
                throw new CliException("give --iccid-range, --imei-range or --identities, not two of them", ErrorHandler.EXIT_USAGE);
            }
            String csv = pick(identities == null ? null : identities.toString(), line, "identities", null);
            if (range != null && csv != null) throw new CliException("give --imei-range or --identities, not both", ErrorHandler.EXIT_USAGE);
            try (CliContext ctx = CliContext.of(spec)) {
                FactoryStore store = new FactoryStore(ctx.db());
                FactoryStore.Run previous = null;
                if (resume != null) {
                    previous = (resume.isEmpty() ? store.latestUnfinished() : store.run(resume))
                            .orElseThrow(() -> new CliException(resume.isEmpty() ? "no unfinished factory run to resume" : "no factory run " + resume,
                                    ErrorHandler.EXIT_USAGE));
                }
                final FactoryStore.Run resumed = previous;
                final List<String> names = previous != null ? previous.stages() : given;
                final int n = previous != null ? previous.count() : givenCount;
                String mailerFile = pick(pinMailerKey == null ? null : pinMailerKey.toString(), line, "pin-mailer-key", null);
                PinMailer mailer = mailerFile == null ? null : call(() -> PinMailer.read(Path.of(mailerFile)));
                call(() -> {
                    Stages.requireMailer(names, mailer); // before any HSM key or card is touched
                    return null;
                });
                byte[] transportKey = simTransportKey(ctx, names, pick(simTransportKey, line, "sim-transport-key", null));
                IdentityPool pool = null;
                PublicDatabase pub = names.contains("vault") ? VaultCli.publicDb(ctx, publicDb) : null;
                if (names.contains("vault")) {
                    String source = resumed != null ? resumed.identitySource() : null;
                    if (source == null && range == null && csv == null) {
                        if (!ctx.dev()) throw new CliException("the vault stage needs identities: give --imei-range FIRST-LAST or --identities FILE.csv",
                                ErrorHandler.EXIT_USAGE);
                        range = DEV_IMEI_RANGE;
                        ctx.notice("development mode: identities from the development IMEI range " + range);
                    }
                    pool = openPool(ctx, pub, source, range, csv);
                }
                String recordedSource = resumed != null ? resumed.identitySource() : null;
                if (iccids != null || (recordedSource != null && recordedSource.startsWith("iccid:"))) {
                    if (!names.contains("sim") || names.contains("vault")) {
                        throw new CliException("--iccid-range gives the sim stage's SIM IDs: a line with the sim stage and without the vault stage "
                                + "(whose identities are IMEIs)", ErrorHandler.EXIT_USAGE);
                    }
                    String r = recordedSource != null ? recordedSource.substring("iccid:".length()) : iccids;
                    pool = call(() -> IdentityPool.iccidRange(ctx.db(), r));
                }
                LocalDate today = LocalDate.now();
                Hsm hsm = ctx.hsm();
                List<String> created = call(() -> LineKeys.ready(names, hsm, ctx.db(), ctx.dev(),
                        () -> ctx.openHsm("pkcs12:" + CliContext.home().resolve("kms-keystore.p12"), null, "CARDSMITH_KMS_PASSWORD",
                                "--kms-pin", "KMS keystore password"), today));
                for (String c : created) ctx.notice("development mode: created " + c);
                String simDirText = pick(simDir == null ? null : simDir.toString(), line, "sim-dir", null);
                try (CardSource cards = cardSource(ctx, resumed, simDirText, names)) {
                    FactoryLine factory = new FactoryLine(store, Stages.build(names, hsm, ctx.db(), pub, today, mailer, transportKey), pool, cards,
                            station != null ? station : defaultStation());
                    Consumer<RunSummary.Progress> bar = ProgressBar.forTerminal(ctx);
                    RunSummary summary = call(() -> resumed == null ? factory.start(n, k, bar) : factory.resume(resumed, k, bar));
                    ProgressBar.end(ctx, bar);
                    ctx.emit(summary.toMap());
                    if (!summary.complete()) {
                        throw new CliException("run " + summary.runId() + ": " + summary.succeeded() + " of " + n + " devices done ("
                                + summary.failed() + " failed, " + summary.setAside() + " set aside, " + summary.notStarted() + " not started); "
                                + "'cardsmith factory status' lists them, 'cardsmith factory run --resume' retries the failed ones", ErrorHandler.EXIT_FAILURE);
                    }
                }
            }
        }

        private static int number(String value, String option) {
            try {
                return Integer.parseInt(value);
            } catch (NumberFormatException e) {
                throw new CliException(option + ": not a number: " + value, ErrorHandler.EXIT_USAGE);
            }
        }

        private IdentityPool openPool(CliContext ctx, PublicDatabase pub, String recorded, String range, String csv) {
            return call(() -> {
                if (recorded != null) {
                    if (recorded.startsWith("imei:")) return IdentityPool.imeiRange(ctx.db(), pub, recorded.substring("imei:".length()));
                    if (csv == null) throw new FactoryException(FactoryException.Kind.USAGE, "the run took its identities from " + recorded + ": give that --identities file again");
                }
                return range != null ? IdentityPool.imeiRange(ctx.db(), pub, range) : IdentityPool.csv(ctx.db(), pub, Path.of(csv));
            });
        }

        /** The sim stage's SIM transport key, checked before any HSM key or card is touched (null without the sim stage). */
        private byte[] simTransportKey(CliContext ctx, List<String> names, String hex) {
            if (!names.contains("sim")) return null;
            byte[] key = null;
            if (hex != null) {
                try {
                    key = java.util.HexFormat.of().parseHex(hex.strip());
                } catch (IllegalArgumentException e) {
                    throw new CliException("--sim-transport-key: not hex", ErrorHandler.EXIT_USAGE);
                }
            } else if (ctx.dev()) {
                key = dev.cardsmith.ota.OtaPersonalization.DEV_TRANSPORT_KEY.clone();
                ctx.notice("development mode: SIMs personalized under the development SIM transport key");
            }
            byte[] k = key;
            call(() -> {
                Stages.requireTransportKey(names, k);
                return null;
            });
            return k;
        }

        private CardSource cardSource(CliContext ctx, FactoryStore.Run previous, String simDirText, List<String> names) {
            if (readers != null && simDirText != null) throw new CliException("give --readers or --sim-dir, not both", ErrorHandler.EXIT_USAGE);
            String recorded = previous == null ? null : previous.cardSource();
            if (readers != null || (recorded != null && recorded.startsWith("readers:"))) {
                return call(() -> new ReaderCards(readers != null ? readers : recorded.substring("readers:".length()), ctx::notice));
            }
            if (recorded != null && simDirText == null) return SimulatedCards.forStages(Path.of(recorded.substring("sim-dir:".length())), names);
            return SimulatedCards.forStages(simDirText != null ? Path.of(simDirText) : CliContext.home().resolve("cards"), names);
        }

        private static Properties readLine(Path file) {
            Properties p = new Properties();
            if (file == null) return p;
            try (Reader r = Files.newBufferedReader(file)) {
                p.load(r);
            } catch (IOException e) {
                throw new CliException("cannot read line file " + file + ": " + e.getMessage(), ErrorHandler.EXIT_USAGE);
            }
            for (String key : p.stringPropertyNames()) {
                if (!List.of("stages", "count", "parallel", "imei-range", "identities", "sim-dir", "pin-mailer-key", "sim-transport-key", "iccid-range").contains(key)) {
                    throw new CliException("line file " + file + ": unknown key '" + key + "'", ErrorHandler.EXIT_USAGE);
                }
            }
            return p;
        }

        private static String pick(String option, Properties line, String key, String fallback) {
            if (option != null) return option;
            String v = line.getProperty(key);
            return v != null ? v.strip() : fallback;
        }
    }

    /** Runs line code; its one-line failures become CLI errors with the exit code of their kind. */
    static <T> T call(java.util.function.Supplier<T> body) {
        try {
            return body.get();
        } catch (FactoryException e) {
            throw new CliException(e.getMessage(), exitCode(e.kind()));
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage(), ErrorHandler.EXIT_USAGE);
        }
    }

    /**
     * The documented exit code of each kind (docs/factory.md): bad input 2; identities used up 1
     * (the run is not complete); no reader or no card 4 (as a transport failure); a missing HSM
     * key 6 (as an HSM failure); the station's own failure 1.
     */
    static int exitCode(FactoryException.Kind kind) {
        return switch (kind) {
            case USAGE -> ErrorHandler.EXIT_USAGE;
            case NO_CARD -> ErrorHandler.EXIT_TRANSPORT;
            case MISSING_KEY -> ErrorHandler.EXIT_HSM;
            case EXHAUSTED, FAILURE -> ErrorHandler.EXIT_FAILURE;
        };
    }

    static String defaultStation() {
        String host;
        try {
            host = java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.net.UnknownHostException e) {
            host = "station";
        }
        return host + "/" + ProcessHandle.current().pid();
    }

    @Command(name = "status", description = "Recent runs with their devices by state, and the open intents.")
    static final class Status implements Runnable {
        @Spec CommandSpec spec;

        @Option(names = "--run", paramLabel = "RUN", description = "Only this run, with each of its devices.")
        String run;

        @Option(names = "--limit", defaultValue = "10", description = "Runs to list. Default: ${DEFAULT-VALUE}.")
        int limit;

        @Override
        public void run() {
            try (CliContext ctx = CliContext.of(spec)) {
                FactoryStore store = new FactoryStore(ctx.existingDb());
                List<FactoryStore.Run> runs = run != null ? store.run(run).map(List::of).orElseThrow(
                        () -> new CliException("no factory run " + run, ErrorHandler.EXIT_USAGE)) : store.runs(limit);
                Map<String, Object> out = new LinkedHashMap<>();
                Map<String, Object> list = new LinkedHashMap<>();
                for (FactoryStore.Run r : runs) {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("state", r.state());
                    m.put("stages", String.join(",", r.stages()));
                    m.put("devices", r.count());
                    Map<FactoryStore.DeviceState, Integer> counts = store.deviceCounts(r.id());
                    for (Map.Entry<FactoryStore.DeviceState, Integer> e : counts.entrySet()) {
                        m.put(e.getKey().name().toLowerCase(Locale.ROOT).replace("_a", "A"), e.getValue());
                    }
                    m.put("station", r.station());
                    m.put("cards", r.cardSource());
                    m.put("started", r.createdAt());
                    if (run != null) {
                        Map<String, Object> devices = new LinkedHashMap<>();
                        for (FactoryStore.Device d : store.devices(r.id())) {
                            Map<String, Object> dm = new LinkedHashMap<>();
                            dm.put("state", d.state().name());
                            dm.put("identity", d.identity());
                            dm.put("chipId", d.chipId());
                            dm.put("card", d.card());
                            if (d.detail() != null) dm.put("detail", d.detail());
                            devices.put("slot " + d.slot(), dm);
                        }
                        m.put("devices by slot", devices);
                    }
                    list.put(r.id(), m);
                }
                out.put("runs", list);
                List<String> open = new ArrayList<>();
                for (FactoryStore.Intent i : store.openIntents(run)) {
                    open.add(i.runId().substring(0, 8) + " slot " + i.slot() + " " + i.stage() + " " + i.state() + " (attempts " + i.attempts() + ")"
                            + (i.detail() == null ? "" : ": " + i.detail()));
                }
                out.put("openIntents", ctx.json() ? open : open.isEmpty() ? "none" : String.join("\n  ", open));
                ctx.emit(out);
            }
        }
    }

    @Command(name = "mailers", description = "Write a run's sealed PIN mailer blobs for the mailing house: one DER CMS file per device "
            + "(openssl cms -decrypt -inform DER -in FILE -inkey KEY.pem opens it) and mailers.csv tying each file to its device.")
    static final class Mailers implements Runnable {
        @Spec CommandSpec spec;

        @Option(names = "--run", required = true, paramLabel = "RUN", description = "The run (its ID as factory status shows it).")
        String run;

        @Option(names = "--out", required = true, paramLabel = "DIR", description = "A new or empty directory; the export appears there whole or not at all.")
        Path out;

        @Option(names = "--state", paramLabel = "STATE", description = "Only devices in this piv state: DONE, SEALED or LOST. Default: all.")
        String state;

        @Override
        public void run() {
            if (state != null && !List.of("DONE", "SEALED", "LOST").contains(state)) {
                throw new CliException("--state must be DONE, SEALED or LOST", ErrorHandler.EXIT_USAGE);
            }
            try (CliContext ctx = CliContext.of(spec)) {
                List<MailerExport.Entry> written = call(() -> MailerExport.write(ctx.existingDb(), run, state, out));
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("run", run);
                m.put("written", written.size());
                m.put("index", out.resolve("mailers.csv").toString());
                m.put("mailerKeys", written.stream().map(MailerExport.Entry::mailer).distinct().toList());
                ctx.emit(m);
            }
        }
    }
}
