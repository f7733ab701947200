package dev.cardsmith.cli;

import dev.cardsmith.csp.CardPrivateKey;
import dev.cardsmith.csp.CardsmithProvider;
import dev.cardsmith.csp.CspFlows;
import dev.cardsmith.csp.KeyAlgorithm;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code cardsmith bench csp-sign}: signatures per second through the JCA provider and APDUs per
 * signature (target 1 once the session is open). Generates a fresh key in a free slot unless
 * --key names one.
 */
@Command(name = "csp-sign", description = "Benchmark signatures through the Cardsmith provider on --card (default: a throw-away "
        + "simulated card); a key generated for the run is deleted afterwards.")
final class CspBenchCommand implements Runnable {

    @Spec CommandSpec spec;

    @Option(names = "--count", defaultValue = "200", description = "Signatures to time. Default: ${DEFAULT-VALUE}.")
    int count;

    @Option(names = "--alg", defaultValue = "ec", description = "ec or rsa (key generated for the run). Default: ${DEFAULT-VALUE}.")
    String alg;

    @Option(names = "--key", description = "Use this existing key (alias or slot) instead of generating one.")
    String key;

    @Option(names = "--pin", defaultValue = "123456", description = "User PIN. Default: the documented development PIN.")
    String pin;

    @Override
    public void run() {
        if (count < 1) throw new CliException("--count must be positive", ErrorHandler.EXIT_USAGE);
        try (CliContext ctx = CliContext.of(spec).throwAwayCardByDefault();
             CardsmithProvider p = CspCommand.provider(ctx, pin)) {
            CardPrivateKey k;
            int keygenApdus = 0;
            if (key != null) {
                k = CspFlows.key(p, key);
            } else {
                long t0 = System.nanoTime();
                var r = CspFlows.keygen(p, -1, "bench", KeyAlgorithm.parse(alg), null, Duration.ofDays(1));
                m().put("keygenMillis", (System.nanoTime() - t0) / 1_000_000);
                keygenApdus = r.apdus();
                k = CspFlows.key(p, String.valueOf(r.slot()));
            }
            String sigAlg = dev.cardsmith.csp.CardCertificates.defaultSignatureAlgorithm(k);
            CspFlows.BenchResult b;
            try {
                b = BenchProgress.run(ctx, "csp-sign", count + " signatures on " + ctx.card().transport().name(),
                        () -> CspFlows.benchSign(p, k, sigAlg, count));
            } finally {
                if (key == null) p.card().delete(k.slot()); // the run's own key: the next run can use the label again
            }
            Map<String, Object> out = m();
            out.put("algorithm", b.algorithm());
            out.put("transport", ctx.card().transport().name());
            out.put("signatures", b.signatures());
            out.put("signaturesPerSecond", Math.round(b.perSecond() * 10) / 10.0);
            out.put("millisPerSignature", Math.round(b.millisPerSignature() * 100) / 100.0);
            out.put("apdusPerSignature", b.apdusPerSignature());
            out.put("bytesSentPerSignature", b.bytesSent() / b.signatures());
            out.put("bytesReceivedPerSignature", b.bytesReceived() / b.signatures());
            if (key == null) out.put("keygenApdus", keygenApdus);
            ctx.emit(out);
        }
    }

    private Map<String, Object> result;

    private Map<String, Object> m() {
        if (result == null) result = new LinkedHashMap<>();
        return result;
    }
}
