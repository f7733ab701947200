package dev.cardsmith.psd;

import dev.cardsmith.hsm.SoftHsm2;
import dev.cardsmith.transport.CardSession;

import java.nio.file.Files;

/**
 * Benchmark (not a test): issue and replace flows per second, HSM part and end to end on
 * jCardSim, on the software HSM and on SoftHSM2; APDUs and bytes per flow. Run with
 * <pre>SOFTHSM2_CONF=$PWD/simulator-tests/target/softhsm2/softhsm2.conf mvn -q -pl simulator-tests exec:java \
 *   -Dexec.mainClass=dev.cardsmith.psd.PsdBench -Dexec.classpathScope=test [-Dexec.args=N]</pre>
 */
public final class PsdBench {
    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 30;
        run("software HSM (PKCS#12)", PsdWorld.software(Files.createTempDirectory("psdbench")), n);
        if (SoftHsm2.library().isPresent() && System.getenv("SOFTHSM2_CONF") != null) {
            SoftHsmTokens.require();
            run("SoftHSM2 (PKCS#11)", PsdWorld.softHsm(Files.createTempDirectory("psdbench")), n);
        } else {
            System.out.println("SoftHSM2 skipped (library or SOFTHSM2_CONF missing)");
        }
    }

    static void run(String name, PsdWorld w, int n) {
        try (w) {
            measure(w, 3); // warm-up
            double[] r = measure(w, n);
            System.out.printf("%s, %d PSDs (jCardSim, in-process):%n", name, n);
            System.out.printf("  issue:   %.1f ms per PSD (%.0f/s)  %s%n", r[0], 1000 / r[0], LAST[0]);
            System.out.printf("  replace: %.1f ms per PSD (%.0f/s)  %s%n", r[1], 1000 / r[1], LAST[1]);
            CardSession card = PsdWorld.newCard();
            w.access.issue(card);
            PsdStatus st = w.access.select(card);
            long h0 = System.nanoTime();
            for (int i = 0; i < n; i++) w.access.unlockProof(st, new byte[16]);
            long h1 = System.nanoTime();
            System.out.printf("  HSM only, KRK proof (RSA-OAEP decrypt + SP800-108 derive + CMAC): %.0f/s%n", n / ((h1 - h0) / 1e9));
            card.close();
        }
    }

    static final CardSession.Stats[] LAST = new CardSession.Stats[2];

    /** Issues n PSDs, rotates the MK block once, replaces the MK of all n; ms per PSD for each. */
    static double[] measure(PsdWorld w, int n) {
        CardSession[] cards = new CardSession[n];
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            // one simulator at a time (jCardSim has one global runtime): keep the transports, re-select later
            cards[i] = PsdWorld.newCard();
            LAST[0] = w.access.issue(cards[i]).apdus();
        }
        long t1 = System.nanoTime();
        w.rotate();
        long t2 = System.nanoTime();
        for (int i = 0; i < n; i++) LAST[1] = w.access.replaceMasterKey(cards[i]).apdus();
        long t3 = System.nanoTime();
        for (CardSession c : cards) c.close();
        return new double[] {(t1 - t0) / 1e6 / n, (t3 - t2) / 1e6 / n};
    }

    private PsdBench() {}
}
