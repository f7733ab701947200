package dev.cardsmith.bench;

import dev.cardsmith.codec.Imei;
import dev.cardsmith.vault.*;
import dev.cardsmith.applet.vault.Constants;
import dev.cardsmith.hsm.SoftwareHsm;
import dev.cardsmith.store.Database;
import dev.cardsmith.store.OperationJournal;
import dev.cardsmith.transport.CardSession;
import dev.cardsmith.simulator.AppletRegistry;
import dev.cardsmith.simulator.SimulatorTransport;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Benchmark behind {@code cardsmith bench vault} (no timing assertions anywhere): wall time,
 * APDUs and bytes per provision, wipe and recover on the in-memory simulator, with throw-away
 * SQLite databases (public and secure) and a throw-away PKCS#12 keystore in a temp directory.
 * Every round uses a fresh chip; odd rounds get the manufacturer key by PUT DATA, even rounds in
 * the install parameters (tag {@link Constants#TAG_MANUFACTURER_KEY}); {@code rounds} chips of
 * each variant are measured (2 x rounds wipes and recoveries), after three warm-up chips.
 */
public final class VaultBench {
    static final String IMEI = "490154203237518";
    private static final int WARM_UP = 3;

    private VaultBench() {}

    public static Map<String, Object> run(int rounds) {
        if (rounds < 1) throw new IllegalArgumentException("rounds must be positive");
        Path dir;
        try {
            dir = Files.createTempDirectory("vault-bench");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try (SoftwareHsm hsm = SoftwareHsm.open(dir.resolve("keystore.p12"), "bench".toCharArray())) {
            VaultKeys keys = new VaultKeys(hsm).ensure();
            PublicDatabase publicDb = PublicDatabase.open("jdbc:sqlite:" + dir.resolve("public.db"));
            Database.open("jdbc:sqlite:" + dir.resolve("secure.db")); // the secure DB as in production (pool unused here)
            OperationJournal journal = new OperationJournal(Database.open("jdbc:sqlite:" + dir.resolve("cardsmith.db")));
            byte[] params = installParams(keys.manufacturerPoint());
            SecureProcessingPoint spp = new SecureProcessingPoint(keys, publicDb, journal, null);
            long tProv = 0, tProvPut = 0, tWipe = 0, tRec = 0;
            int nProv = 0, nProvPut = 0;
            CardSession.Stats prov = null, provPut = null, wipe = null, rec = null;
            for (int i = 0; i < 2 * rounds + WARM_UP; i++) {
                try (CardSession session = new CardSession(new SimulatorTransport(List.of(
                        AppletRegistry.byName("vault").withInstallParams(i % 2 == 0 ? params : new byte[0]))))) {
                    VaultCard card = new VaultCard(session);
                    long t0 = System.nanoTime();
                    String imei = IMEI.substring(0, 8) + String.format("%06d", i); // one identity per chip
                    SecureProcessingPoint.Provisioned p = spp.provision(card, Imei.identityBytes(imei + Imei.luhnCheckDigit(imei)));
                    long t1 = System.nanoTime();
                    SecureProcessingPoint.Wiped w = spp.wipe(card);
                    long t2 = System.nanoTime();
                    Recovery.Recovered r = Recovery.recover(card, publicDb);
                    long t3 = System.nanoTime();
                    if (i >= WARM_UP) {
                        if (p.manufacturerKeyWritten()) { tProvPut += t1 - t0; nProvPut++; } else { tProv += t1 - t0; nProv++; }
                        tWipe += t2 - t1;
                        tRec += t3 - t2;
                    }
                    if (p.manufacturerKeyWritten()) provPut = p.cardStats(); else prov = p.cardStats();
                    wipe = w.cardStats();
                    rec = r.cardStats();
                }
            }
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("rounds", rounds); // per provisioning variant: 2 x rounds chips in all
            out.put("setup", "jCardSim in-process, SQLite, PKCS#12");
            out.put("provision", flow(tProv, nProv, prov));
            out.put("provisionManufacturerKeyByPutData", flow(tProvPut, nProvPut, provPut));
            out.put("wipe", flow(tWipe, 2 * rounds, wipe));
            out.put("recover", flow(tRec, 2 * rounds, rec));
            return out;
        } finally {
            deleteTree(dir);
        }
    }

    /** Install parameters (value of C9) with the manufacturer public point. */
    static byte[] installParams(byte[] manufacturerPoint) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.write(Constants.TAG_MANUFACTURER_KEY);
        o.write(manufacturerPoint.length);
        o.writeBytes(manufacturerPoint);
        return o.toByteArray();
    }

    private static Map<String, Object> flow(long nanos, int rounds, CardSession.Stats s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("meanMillis", Math.round(nanos / 1e4 / rounds) / 100.0);
        m.put("apdus", s == null ? 0 : s.apdus());
        m.put("bytesSent", s == null ? 0 : s.bytesSent());
        m.put("bytesReceived", s == null ? 0 : s.bytesReceived());
        return m;
    }

    private static void deleteTree(Path dir) {
        try (var s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort: a temp directory
        }
    }
}
