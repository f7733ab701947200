package dev.cardsmith.factory;

import dev.cardsmith.support.CliProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * kill -9 (SIGKILL of a child JVM, no shutdown hook runs) at random moments, then a re-run:
 * every device done exactly once, no identity twice, nothing lost, no journal entry PENDING.
 * The seed of the kill times is printed so a failure can be replayed.
 */
class KillNineResumeTest {

    @TempDir
    Path dir;

    Path home;

    static Process start(Path dir, Path home, List<String> args, Path log) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-XX:TieredStopAtLevel=1");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add("dev.cardsmith.cli.Main");
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().put("CARDSMITH_HOME", home.toString());
        pb.environment().remove("CARDSMITH_KEYSTORE_PASSWORD");
        return pb.start();
    }

    /** Starts the command and SIGKILLs it after {@code millis} (if it is still running); true when it was killed. */
    boolean killAfter(List<String> args, long millis) throws Exception {
        Process p = start(dir, home, args, dir.resolve("children.log"));
        if (p.waitFor(millis, TimeUnit.MILLISECONDS)) return false;
        p.destroyForcibly(); // SIGKILL on Linux
        p.waitFor();
        return true;
    }

    CliProcess.Result cli(String... args) throws Exception {
        return CliProcess.run(dir, home, List.of(args));
    }

    /** The station's home, and the seed of this test's kill times (printed, so a failure can be replayed). */
    long begin(String what) {
        home = dir.resolve("home");
        long seed = System.nanoTime();
        System.out.println("KillNineResumeTest " + what + " seed " + seed);
        return seed;
    }

    void ok(String... args) throws Exception {
        CliProcess.Result r = cli(args);
        assertEquals(0, r.exit(), String.join(" ", args) + "\n" + r.output());
    }

    int count(String sql) throws Exception {
        return count("cardsmith.db", sql);
    }

    /** Device records of the single-device commands live in the permanent public database. */
    int countPublic(String sql) throws Exception {
        return count("public.db", sql);
    }

    /** A count in {@code db} of the station's home, with public.db attached as {@code pub} when it exists. */
    int count(String db, String sql) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + home.resolve(db)); Statement s = c.createStatement()) {
            if (!db.equals("public.db") && Files.exists(home.resolve("public.db"))) s.execute("ATTACH DATABASE '" + home.resolve("public.db") + "' AS pub");
            ResultSet r = s.executeQuery(sql);
            r.next();
            return r.getInt(1);
        }
    }

    @Test
    void factoryRunKilledAtRandomMomentsIsFinishedByResumeExactlyOnce() throws Exception {
        long seed = begin("factory run");
        Random rnd = new Random(seed);
        // the station's keys exist first (a factory creates them once, not inside a run)
        CliProcess.Result warm = cli("--dev", "factory", "run", "--count", "1", "--imei-range", "35693803564380-35693803564399");
        assertEquals(0, warm.exit(), warm.output());
        int devices = 6;
        List<String> run = List.of("--dev", "factory", "run", "--count", String.valueOf(devices), "--parallel", "2",
                "--imei-range", "35693803564380-35693803564399");
        List<String> resume = List.of("--dev", "factory", "run", "--resume", "--parallel", "2");
        int kills = 0;
        if (killAfter(run, 2500 + rnd.nextInt(6000))) kills++;
        for (int again = 0; count("SELECT COUNT(*) FROM factory_run") == 1; again++) {
            // killed before the run was recorded (JVM start, key checks): nothing to resume, the operator starts it again
            if (again == 3) assertEquals(0, CliProcess.run(dir, home, run).exit(), "seed " + seed);
            else if (killAfter(run, 4000 + rnd.nextInt(6000))) kills++;
        }
        for (int round = 0; round < 3; round++) {
            if (count("SELECT COUNT(*) FROM factory_run WHERE state = 'RUNNING'") == 0) break;
            if (killAfter(resume, 3000 + rnd.nextInt(6000))) kills++;
        }
        if (count("SELECT COUNT(*) FROM factory_run WHERE state = 'RUNNING'") > 0) {
            CliProcess.Result done = CliProcess.run(dir, home, resume);
            assertEquals(0, done.exit(), "seed " + seed + "\n" + done.output() + Files.readString(dir.resolve("children.log")));
        }
        System.out.println("KillNineResumeTest: " + kills + " kills");
        int total = devices + 1;
        String why = "seed " + seed;
        assertEquals(0, count("SELECT COUNT(*) FROM factory_run WHERE state <> 'FINISHED'"), why);
        assertEquals(total, count("SELECT COUNT(*) FROM factory_device WHERE state = 'DONE'"), why);
        assertEquals(total, countPublic("SELECT COUNT(*) FROM vault_device"), "a device provisioned twice or lost; " + why);
        assertEquals(total, countPublic("SELECT COUNT(DISTINCT chip_id) FROM vault_device"), why);
        assertEquals(total, countPublic("SELECT COUNT(DISTINCT device_identity) FROM vault_device"), "identity used twice; " + why);
        assertEquals(0, count("SELECT COUNT(*) FROM vault_device"), "public records in the operations store; " + why);
        assertEquals(total, count("SELECT COUNT(*) FROM factory_identity WHERE state = 'USED'"), why);
        assertEquals(0, count("SELECT COUNT(*) FROM factory_identity WHERE state = 'ALLOCATED'"), why);
        assertEquals(total, count("SELECT COUNT(*) FROM psd_device WHERE state = 'ISSUED'"), why);
        assertEquals(total, count("SELECT COUNT(*) FROM module_registry WHERE state = 'PERSONALIZED'"), why);
        assertEquals(0, count("SELECT COUNT(*) FROM factory_intent WHERE state <> 'DONE'"), why);
        assertEquals(0, count("SELECT COUNT(*) FROM operation_journal WHERE state = 'PENDING'"), "journal left PENDING; " + why);
        // every device row points at a card that exists, and the card's chip is the one recorded
        assertEquals(total, count("SELECT COUNT(*) FROM factory_device d JOIN pub.vault_device v ON v.chip_id = d.chip_id "
                + "AND v.device_identity = d.identity"), why);
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + home.resolve("cardsmith.db"));
             Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT card FROM factory_device")) {
            while (r.next()) assertTrue(Files.exists(Path.of(r.getString(1))), r.getString(1));
        }
        CliProcess.Result status = cli("factory", "status");
        assertEquals(0, status.exit(), status.output());
        assertTrue(status.output().contains("openIntents: none"), status.output());
    }

    @Test
    void singleDeviceFlowsKilledAtRandomMomentsFinishOnReRunWithoutAWipe() throws Exception {
        long seed = begin("single-device");
        Random rnd = new Random(seed);
        ok("--dev", "kms", "init");
        ok("--dev", "kms", "import-transport-key");
        ok("--dev", "kms", "transfer", "--with-private-key");
        ok("--dev", "ca", "init");
        ok("--dev", "--card", "sim:warm.sim", "device", "provision", "--imei", "490154203237518");
        String[] imeis = {"356938035643809", "352099001761481"};
        for (int i = 0; i < imeis.length; i++) {
            String card = "sim:c" + i + ".sim";
            // vault: kill, then the same command again; it finishes from the card in every window
            // (STORE PACKAGE done and its backup not yet in the database included: GET BACKUP), never a wipe
            killAfter(List.of("--dev", "--card", card, "device", "provision", "--imei", imeis[i]), 1500 + rnd.nextInt(3000));
            CliProcess.Result again = cli("--dev", "--card", card, "device", "provision", "--imei", imeis[i]);
            assertTrue(again.exit() == 0 || again.output().contains("(state PROVISIONED)"), // PROVISIONED: the killed run had finished
                    "seed " + seed + ": " + again.output());
            // psd: kill, then the same command again (it reconciles or settles)
            killAfter(List.of("--dev", "--card", card, "psd", "issue"), 1500 + rnd.nextInt(3000));
            CliProcess.Result psd = cli("--dev", "--card", card, "psd", "issue");
            assertTrue(psd.exit() == 0 || psd.output().contains("already issued"), "seed " + seed + ": " + psd.output());
            // module: enroll, TAN, kill the personalization, re-run it with a fresh TAN
            CliProcess.Result enrolled = cli("--dev", "--card", card, "module", "enroll");
            assertEquals(0, enrolled.exit(), enrolled.output());
            String module = enrolled.output().replaceAll("(?s).*module: (M[0-9A-F]+).*", "$1");
            String tan1 = cli("--dev", "perso", "tan", "--module", module).output().replaceAll("(?s).*tans: ([0-9]+).*", "$1");
            killAfter(List.of("--dev", "--card", card, "module", "personalize", "--tan", tan1), 1500 + rnd.nextInt(3000));
            String tan2 = cli("--dev", "perso", "tan", "--module", module).output().replaceAll("(?s).*tans: ([0-9]+).*", "$1");
            CliProcess.Result perso = cli("--dev", "--card", card, "module", "personalize", "--tan", tan2);
            assertTrue(perso.exit() == 0 || perso.output().contains("6985"), "seed " + seed + ": " + perso.output());
            CliProcess.Result status = cli("--dev", "--card", card, "module", "status");
            assertTrue(status.output().contains("operating"), "seed " + seed + ": " + status.output());
        }
        assertEquals(0, count("SELECT COUNT(*) FROM operation_journal WHERE state = 'PENDING'"), "journal left PENDING; seed " + seed);
        assertEquals(imeis.length + 1, countPublic("SELECT COUNT(DISTINCT chip_id) FROM vault_device"));
        assertEquals(imeis.length + 1, countPublic("SELECT COUNT(*) FROM vault_device"), "one database version per device; seed " + seed);
        assertEquals(0, countPublic("SELECT COUNT(*) FROM vault_device WHERE package_version <> 1"), "package version bumped (a wipe); seed " + seed);
        assertEquals(imeis.length, count("SELECT COUNT(*) FROM psd_device WHERE state = 'ISSUED'"), "seed " + seed);
        assertEquals(imeis.length, count("SELECT COUNT(*) FROM module_registry WHERE state = 'PERSONALIZED'"), "seed " + seed);
    }
}
