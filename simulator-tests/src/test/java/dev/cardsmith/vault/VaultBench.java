package dev.cardsmith.vault;

import dev.cardsmith.transport.CardSession;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Not a test: a benchmark main class (no timing assertions anywhere). Measures APDUs, bytes and
 * wall time per provision, wipe and recover on the in-process simulator:
 * {@code mvn -q -pl simulator-tests -am test-compile} then run this class with the test classpath
 * (see docs/vault.md, "Measurements").
 */
public final class VaultBench {
    private VaultBench() {}

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        Path dir = Files.createTempDirectory("vault-bench");
        try (VaultFixture f = new VaultFixture(dir)) {
            f.keys.ensure();
            byte[] params = VaultEndToEndTest.installParams(null, f.keys.manufacturerPoint());
            long tProv = 0, tWipe = 0, tRec = 0;
            CardSession.Stats prov = null, wipe = null, rec = null, provFresh = null;
            SecureProcessingPoint spp = f.spp(false);
            for (int i = 0; i < rounds + 3; i++) {
                boolean measure = i >= 3; // warm-up
                f.newCard(i % 2 == 0 ? params : new byte[0]);
                long t0 = System.nanoTime();
                SecureProcessingPoint.Provisioned p = spp.provision(f.card, Imei.identityBytes(VaultFixture.IMEI));
                long t1 = System.nanoTime();
                SecureProcessingPoint.Wiped w = spp.wipe(f.card);
                long t2 = System.nanoTime();
                Recovery.Recovered r = Recovery.recover(f.card, f.publicDb);
                long t3 = System.nanoTime();
                if (measure) {
                    tProv += t1 - t0;
                    tWipe += t2 - t1;
                    tRec += t3 - t2;
                }
                if (p.manufacturerKeyWritten()) provFresh = p.cardStats(); else prov = p.cardStats();
                wipe = w.cardStats();
                rec = r.cardStats();
            }
            System.out.printf("provision, manufacturer key in install params: %s%n", prov);
            System.out.printf("provision, manufacturer key by PUT DATA:       %s%n", provFresh);
            System.out.printf("wipe:                                          %s%n", wipe);
            System.out.printf("recover:                                       %s%n", rec);
            System.out.printf("mean over %d rounds (jCardSim, SQLite, PKCS#12): provision %.1f ms, wipe %.1f ms, recover %.1f ms%n",
                    rounds, tProv / 1e6 / rounds, tWipe / 1e6 / rounds, tRec / 1e6 / rounds);
        }
    }
}
