package dev.cardsmith.cli;

import dev.cardsmith.csp.CardPrivateKey;
import dev.cardsmith.csp.CardsmithProvider;
import dev.cardsmith.csp.PivCard;
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

    @Option(names = "--alg", defaultValue = "ec", description = "ec, p384 or rsa (key generated for the run). Default: ${DEFAULT-VALUE}.")
    String alg;

    @Option(names = "--key", description = "Use this existing key (alias or slot) instead of generating one.")
    String key;

    @Option(names = "--pin", defaultValue = "123456", description = "User PIN. Default: the documented development PIN"
            + " (on the throw-away simulated card it is changed to " + BENCH_PIN + " first: PIV cards use no key under the default PIN).")
    String pin;

    @Option(names = "--mgmt-key", paramLabel = "HEX", description = "Card management key for the run's key generation (default: $CARDSMITH_PIV_MGMT_KEY, else the factory default).")
    String mgmtKey;

    static final String BENCH_PIN = "314159";

    /** On the throw-away in-memory card (jCardSim) a default PIN is changed first; a real card is never touched. */
    private String throwAwayPin(CliContext ctx) {
        PivCard card = new PivCard(ctx.card());
        if (!"jCardSim (in memory)".equals(ctx.card().transport().name()) || !card.pinIsDefault()) return pin;
        card.changePin(pin.toCharArray(), BENCH_PIN.toCharArray());
        return BENCH_PIN;
    }

    @Override
    public void run() {
        if (count < 1) throw new CliException("--count must be positive", ErrorHandler.EXIT_USAGE);
        try (CliContext ctx = CliContext.of(spec).throwAwayCardByDefault();
             CardsmithProvider p = CspCommand.provider(ctx, throwAwayPin(ctx))) {
            CardPrivateKey k;
            int keygenApdus = 0;
            if (key != null) {
                k = CspFlows.key(p, key);
            } else {
                CspCommand.admin(p, mgmtKey);
                long t0 = System.nanoTime();
                // the run's own key goes to 9A or 9E (PIN once / never); 9C wants the PIN before every signature
                int slot = p.card().slot("9a") == null || !p.card().slot("9a").hasKey() ? 0
                        : p.card().slot("9e") == null || !p.card().slot("9e").hasKey() ? 3 : -2;
                if (slot == -2) throw new CliException("slots 9a and 9e hold keys: give --key to bench one of them", ErrorHandler.EXIT_USAGE);
                var r = CspFlows.keygen(p, slot, null, KeyAlgorithm.parse(alg), null, Duration.ofDays(1));
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
                if (key == null) p.card().delete(k.slot()); // the run's own key: its certificate object is emptied
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
