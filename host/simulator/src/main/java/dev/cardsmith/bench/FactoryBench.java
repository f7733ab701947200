package dev.cardsmith.bench;

import dev.cardsmith.csp.PinMailer;
import dev.cardsmith.factory.FactoryLine;
import dev.cardsmith.factory.FactoryStore;
import dev.cardsmith.factory.IdentityPool;
import dev.cardsmith.factory.LineKeys;
import dev.cardsmith.factory.RunSummary;
import dev.cardsmith.factory.SimulatedCards;
import dev.cardsmith.factory.Stages;
import dev.cardsmith.hsm.SoftwareHsm;
import dev.cardsmith.store.Database;
import dev.cardsmith.vault.PublicDatabase;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Benchmark behind {@code cardsmith bench factory} (measures, asserts nothing): the line with
 * K = 1, 4, 16, 64 simulated card files in one process (separate CardSimulator instances run in
 * parallel), throughput, host CPU per device, parallel efficiency against K = 1, and where the
 * time of a device goes; and, with {@link #stations}, several station processes on one shared
 * database with the duplicate and lost-row counts.
 */
public final class FactoryBench {
    static final String RANGE = "00102000000000-00102099999999";

    private FactoryBench() {}

    /** One line run per K with {@code devicesPerWorker * K} devices (at least {@code minDevices}), after a warm-up run. */
    public static Map<String, Object> line(List<Integer> ks, int devicesPerWorker, int minDevices, List<String> stages) {
        Path dir = tempDir();
        try (SoftwareHsm hsm = SoftwareHsm.open(dir.resolve("keystore.p12"), "bench".toCharArray())) {
            Database db = Database.open("jdbc:sqlite:" + dir.resolve("factory.db"));
            PublicDatabase pub = PublicDatabase.open("jdbc:sqlite:" + dir.resolve("public.db"));
            LocalDate today = LocalDate.now();
            LineKeys.ready(stages, hsm, db, true, () -> SoftwareHsm.open(dir.resolve("kms.p12"), "bench".toCharArray()), today);
            FactoryStore store = new FactoryStore(db);
            IdentityPool pool = IdentityPool.imeiRange(db, pub, RANGE);
            PinMailer mailer = stages.contains("piv") ? throwAwayMailer() : null;
            run(store, stages, hsm, db, pub, today, mailer, pool, dir.resolve("warm-up"), 4, 2); // JIT, class loading, first connections
            int cores = Runtime.getRuntime().availableProcessors();
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("stages", String.join(",", stages));
            out.put("cores", cores);
            out.put("cards", "simulated card files (every APDU logged and fsynced before it reaches the card)");
            List<Object> rows = new ArrayList<>();
            double base = 0;
            for (int k : ks) {
                int n = Math.max(minDevices, devicesPerWorker * k);
                RunSummary s = run(store, stages, hsm, db, pub, today, mailer, pool, dir.resolve("k" + k), n, k);
                Map<String, Object> m = s.toMap();
                double perHour = ((Number) m.get("devicesPerHour")).doubleValue();
                if (k == ks.get(0)) base = perHour / k;
                double[] t = s.perDeviceMillis();
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("k", k);
                row.put("devices", n);
                row.put("succeeded", s.succeeded());
                row.put("errors", n - s.succeeded());
                if (!s.complete()) {
                    row.put("errorReasons", store.devices(s.runId()).stream().filter(d -> d.state() != FactoryStore.DeviceState.DONE)
                            .map(d -> d.slot() + ": " + d.state() + " " + d.detail()).toList());
                }
                row.put("devicesPerHour", Math.round(perHour));
                row.put("parallelEfficiency", Math.round(100 * perHour / (base * Math.min(k, cores))) / 100.0);
                row.put("hostCpuMsPerDevice", r2(t[0]));
                row.put("lineOverheadCpuMsPerDevice", r2(t[5]));
                row.put("cardCpuMsPerDevice", r2(t[1]));
                row.put("cardWallMsPerDevice", r2(t[2]));
                row.put("cardOpenMsPerDevice", r2(t[3]));
                row.put("stageWallMsPerDevice", r2(t[4]));
                row.put("perStage", m.get("perStage"));
                rows.add(row);
            }
            out.put("runs", rows);
            out.put("notes", "efficiency = throughput(K) / (throughput(1) x min(K, cores)); host CPU = the driving thread's CPU outside "
                    + "the card transport (line, database, HSM, host crypto); card wall - card CPU = waiting for the card file's fsync "
                    + "and for the CPU; card open = creating the card file and installing the applets");
            return out;
        } finally {
            deleteTree(dir);
        }
    }

    private static RunSummary run(FactoryStore store, List<String> stages, SoftwareHsm hsm, Database db, PublicDatabase pub, LocalDate today,
                                  PinMailer mailer, IdentityPool pool, Path cards, int n, int k) {
        FactoryLine line = new FactoryLine(store, Stages.build(stages, hsm, db, pub, today, mailer), pool, new SimulatedCards(cards), "bench");
        return line.start(n, k, null);
    }

    /**
     * The piv stage seals each device's PIN, PUK and management key to a PIN mailer key; the bench
     * seals to a P-256 key it generates and forgets, so its blobs open for nobody (they are thrown
     * away with the bench's temporary database).
     */
    private static PinMailer throwAwayMailer() {
        return PinMailer.of(dev.cardsmith.crypto.EcP256.generate().getPublic());
    }

    /**
     * {@code stations} station processes ({@code command} + station-specific arguments), each a
     * factory run of {@code devices} on the database {@code dbUrl} with the device records in the
     * public database {@code publicUrl} (may be the same URL); then the duplicate and lost-row
     * counts over both.
     */
    public static Map<String, Object> stations(List<String> command, String dbUrl, String publicUrl, int stations, int devices, int parallel,
                                               List<String> stages, Path work) {
        List<Process> procs = new ArrayList<>();
        try {
            // one setup run creates the development keys and the database schema; every station then uses
            // a copy of that keystore (one factory, one set of keys) and its own card directory
            Path setup = work.resolve("setup");
            Files.createDirectories(setup);
            Process first = station(command, dbUrl, publicUrl, setup, "setup", 1, 1, stages);
            if (!first.waitFor(10, TimeUnit.MINUTES) || first.exitValue() != 0) {
                throw new IllegalStateException("the setup run failed: " + Files.readString(setup.resolve("station.log")));
            }
            long t0 = System.nanoTime();
            for (int s = 0; s < stations; s++) {
                Path home = work.resolve("station-" + s);
                Files.createDirectories(home);
                for (String f : new String[] {"keystore.p12", "kms-keystore.p12"}) {
                    if (Files.exists(setup.resolve(f))) Files.copy(setup.resolve(f), home.resolve(f), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
                procs.add(station(command, dbUrl, publicUrl, home, "station-" + s, devices, parallel, stages));
            }
            List<Integer> exits = new ArrayList<>();
            for (Process p : procs) {
                if (!p.waitFor(6, TimeUnit.HOURS)) p.destroyForcibly();
                exits.add(p.exitValue());
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("stations", stations);
            out.put("devicesPerStation", devices);
            out.put("exitCodes", exits);
            out.put("seconds", r2(seconds));
            int done = count(dbUrl, "SELECT COUNT(*) FROM factory_device WHERE state = 'DONE'");
            done -= 1; // the setup run's device
            out.put("devicesDone", done);
            out.put("devicesPerHour", Math.round(done * 3600 / seconds));
            out.put("duplicateChipIds", countPublic(publicUrl, "SELECT COUNT(*) - COUNT(DISTINCT chip_id) FROM vault_device"));
            out.put("duplicateIdentities", countPublic(publicUrl, "SELECT COUNT(*) - COUNT(DISTINCT device_identity) FROM vault_device")
                    + count(dbUrl, "SELECT COUNT(*) - COUNT(DISTINCT identity) FROM factory_device"));
            if (stages.contains("psd")) out.put("duplicatePsdIds", count(dbUrl, "SELECT COUNT(*) - COUNT(DISTINCT psd_id) FROM psd_device"));
            // lost: a finished device without its public record, or a record without its device
            out.put("lostRows", Math.abs(done + 1 - countPublic(publicUrl, "SELECT COUNT(*) FROM vault_device"))
                    + Math.abs(done + 1 - joined(dbUrl, publicUrl))
                    + count(dbUrl, "SELECT COUNT(*) FROM factory_identity WHERE state = 'ALLOCATED'"));
            out.put("openIntents", count(dbUrl, "SELECT COUNT(*) FROM factory_intent WHERE state <> 'DONE'"));
            out.put("pendingJournal", count(dbUrl, "SELECT COUNT(*) FROM operation_journal WHERE state = 'PENDING'"));
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted");
        } finally {
            for (Process p : procs) if (p.isAlive()) p.destroyForcibly();
        }
    }

    private static Process station(List<String> command, String dbUrl, String publicUrl, Path home, String name, int devices, int parallel,
                                   List<String> stages) throws IOException {
        List<String> cmd = new ArrayList<>(command);
        cmd.addAll(List.of("--dev", "--db", dbUrl, "factory", "run", "--public-db", publicUrl, "--stages", String.join(",", stages), "--count", String.valueOf(devices),
                "--parallel", String.valueOf(parallel), "--imei-range", RANGE, "--sim-dir", home.resolve("cards").toString(),
                "--station", name, "--json"));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(home.resolve("station.log").toFile());
        pb.environment().put("CARDSMITH_HOME", home.toString());
        return pb.start();
    }

    /** Finished devices whose (chip ID, identity) has a record in the public database (the databases may differ: matched in memory). */
    static int joined(String dbUrl, String publicUrl) {
        java.util.Set<String> pub = new java.util.HashSet<>(strings(Database.openExisting(publicUrl, Database.Schema.PUBLIC), "SELECT chip_id || '/' || device_identity FROM vault_device"));
        return (int) strings(Database.openExisting(dbUrl), "SELECT chip_id || '/' || identity FROM factory_device WHERE state = 'DONE'").stream().filter(pub::contains).count();
    }

    private static List<String> strings(Database db, String sql) {
        List<String> out = new ArrayList<>();
        try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            while (r.next()) out.add(r.getString(1));
        } catch (java.sql.SQLException | RuntimeException e) {
            return out;
        }
        return out;
    }

    static int countPublic(String url, String sql) {
        try (Connection c = Database.openExisting(url, Database.Schema.PUBLIC).connect(); Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            r.next();
            return r.getInt(1);
        } catch (java.sql.SQLException | RuntimeException e) {
            return -1;
        }
    }

    static int count(String url, String sql) {
        try (Connection c = Database.openExisting(url).connect(); Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            r.next();
            return r.getInt(1);
        } catch (java.sql.SQLException | RuntimeException e) {
            return 0;
        }
    }

    static double r2(double v) {
        return Math.round(v * 100) / 100.0;
    }

    private static Path tempDir() {
        try {
            return Files.createTempDirectory("factory-bench");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // temp files; leave what cannot be deleted
        }
    }
}
