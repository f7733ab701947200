package dev.cardsmith.module;

import dev.cardsmith.hsm.Hsm;
import dev.cardsmith.hsm.HsmFactory;
import dev.cardsmith.store.Database;
import dev.cardsmith.transport.CardSession;
import dev.cardsmith.transport.CardsmithApplets;
import dev.cardsmith.transport.SimulatorTransport;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;

/**
 * Benchmark (not a test): N personalizations and central sessions against jCardSim with a
 * throw-away keystore and database; prints APDU round trips, bytes and host wall time.
 * Run: {@code java -cp cardsmith.jar dev.cardsmith.module.ModuleBench [N]}. jCardSim times say
 * nothing about a real chip; see docs/module.md for the modelled card time.
 */
public final class ModuleBench {

    private ModuleBench() {}

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        Path dir = Files.createTempDirectory("module-bench");
        LocalDate today = LocalDate.now();
        try (Hsm hsm = HsmFactory.open("pkcs12:" + dir.resolve("ks.p12"), "bench".toCharArray());
             CardSession session = new CardSession(new SimulatorTransport(List.of(CardsmithApplets.byName("module"))))) {
            ModuleStore store = new ModuleStore(Database.open("jdbc:sqlite:" + dir.resolve("bench.db")));
            CertificateAuthority ca = new CertificateAuthority(hsm, store);
            ca.init(today);
            String id = new Manufacturing(ca).enroll(session, today).moduleId();
            LocalModule module = new LocalModule(session).select();
            PersonalizationUnit unit = new PersonalizationUnit(ca);
            CentralSystem central = new CentralSystem(ca);
            for (boolean extended : new boolean[]{true, false}) {
                long nanos = 0;
                CardSession.Stats total = new CardSession.Stats();
                for (int i = 0; i < n; i++) {
                    session.transmitOk("RESET", ModuleApdus.enterPersonalization());
                    String tan = new TanIssuer(store).issue(id, 1).get(0);
                    CardSession.Stats before = session.stats().snapshot();
                    long t0 = System.nanoTime();
                    module.personalize(unit, tan, extended, today);
                    nanos += System.nanoTime() - t0;
                    CardSession.Stats used = session.stats().since(before);
                    total = used; // per-run counts are identical; keep the last
                }
                System.out.printf("personalization (%s): %s per run, %.1f ms host+jCardSim wall time per run%n",
                        extended ? "extended length" : "short APDUs", total, nanos / 1e6 / n);
            }
            long nanos = 0;
            CardSession.Stats before = session.stats().snapshot();
            for (int i = 0; i < n; i++) {
                long t0 = System.nanoTime();
                central.authenticate(module.card(true), today);
                central.transact(module.card(true), id, "bench".getBytes(StandardCharsets.UTF_8));
                nanos += System.nanoTime() - t0;
            }
            CardSession.Stats used = session.stats().since(before);
            System.out.printf("central authentication + transaction: %d APDUs per run, %.1f ms wall time per run%n",
                    used.apdus() / n, nanos / 1e6 / n);
        }
    }
}
