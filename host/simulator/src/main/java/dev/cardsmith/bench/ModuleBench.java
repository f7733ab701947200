package dev.cardsmith.bench;

import dev.cardsmith.module.*;
import dev.cardsmith.hsm.Hsm;
import dev.cardsmith.hsm.HsmFactory;
import dev.cardsmith.store.Database;
import dev.cardsmith.transport.CardSession;
import dev.cardsmith.simulator.AppletRegistry;
import dev.cardsmith.simulator.SimulatorTransport;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Benchmark (not a test): N personalizations and central sessions against jCardSim with a
 * throw-away keystore and database; prints APDU round trips, bytes and host wall time.
 * Run: {@code cardsmith bench module [--rounds N]} (or this main class). jCardSim times say
 * nothing about a real chip; see docs/module.md for the modelled card time.
 */
public final class ModuleBench {

    private ModuleBench() {}

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        System.out.println(run(n));
    }

    /** N personalizations (extended length and short APDUs) and N central sessions; counts and mean ms per run. */
    public static Map<String, Object> run(int n) throws java.io.IOException {
        if (n < 1) throw new IllegalArgumentException("rounds must be positive");
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("rounds", n);
        Path dir = Files.createTempDirectory("module-bench");
        LocalDate today = LocalDate.now();
        try (Hsm hsm = HsmFactory.open("pkcs12:" + dir.resolve("ks.p12"), "bench".toCharArray());
             CardSession session = new CardSession(new SimulatorTransport(List.of(AppletRegistry.byName("module"))))) {
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
                    module.reset(central); // an operating module needs the central system's release (issue 13)
                    String tan = new TanIssuer(ca).issue(id, 1).get(0);
                    CardSession.Stats before = session.stats().snapshot();
                    long t0 = System.nanoTime();
                    module.personalize(unit, tan, extended, today);
                    nanos += System.nanoTime() - t0;
                    CardSession.Stats used = session.stats().since(before);
                    total = used; // per-run counts are identical; keep the last
                }
                out.put(extended ? "personalizationExtendedLength" : "personalizationShortApdus", flow(nanos, n, total));
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
            out.put("centralAuthenticateAndTransact", flow(nanos, n, null));
            @SuppressWarnings("unchecked") Map<String, Object> c = (Map<String, Object>) out.get("centralAuthenticateAndTransact");
            c.put("apdus", used.apdus() / n);
            c.put("bytesSent", used.bytesSent() / n);
            c.put("bytesReceived", used.bytesReceived() / n);
        }
        return out;
    }

    private static Map<String, Object> flow(long nanos, int n, CardSession.Stats s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("meanMillis", Math.round(nanos / 1e4 / n) / 100.0);
        if (s != null) {
            m.put("apdus", s.apdus());
            m.put("bytesSent", s.bytesSent());
            m.put("bytesReceived", s.bytesReceived());
        }
        return m;
    }
}
