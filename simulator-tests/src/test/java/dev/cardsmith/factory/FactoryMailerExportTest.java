package dev.cardsmith.factory;

import dev.cardsmith.csp.PinMailer;
import dev.cardsmith.support.CliProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code cardsmith factory mailers}: the sealed PIN mailer blobs leave the line as standard CMS
 * files, and the counterpart that opens them is not cardsmith but OpenSSL's {@code cms -decrypt}
 * (the mailing house's own tool), for both mailer key types (EC P-256 ECDH with the SHA-256 KDF
 * and AES-256 key wrap; RSA-OAEP with SHA-256).
 */
class FactoryMailerExportTest {

    @TempDir
    Path dir;

    private static final Pattern RUN = Pattern.compile("\"run\"\\s*:\\s*\"([0-9a-f-]{36})\"");

    @Test
    void opensslOpensEveryExportedBlobWithTheMailerKeyForEcAndRsa() throws Exception {
        Path home = dir.resolve("home");
        KeyPair ec = FactoryPivStageTest.ecKeyPair("secp256r1");
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        KeyPair rsa = g.generateKeyPair();
        int n = 0;
        for (KeyPair mailer : List.of(ec, rsa)) {
            n++;
            Path pub = FactoryPivStageTest.pem(dir.resolve("mailer" + n + ".pem"), "PUBLIC KEY", mailer.getPublic().getEncoded());
            Path priv = FactoryPivStageTest.pem(dir.resolve("mailer" + n + ".key"), "PRIVATE KEY", mailer.getPrivate().getEncoded());
            CliProcess.Result r = CliProcess.run(dir, home, List.of("--dev", "--json", "factory", "run", "--stages", n == 1 ? "vault,piv" : "piv", "--count", "2",
                    "--pin-mailer-key", pub.toString()));
            assertEquals(0, r.exit(), r.output());
            Matcher m = RUN.matcher(r.output());
            assertTrue(m.find(), r.output());
            String run = m.group(1);
            Path out = dir.resolve("export" + n);
            if (n == 2) Files.createDirectory(out); // an empty directory is as good as a new one
            CliProcess.Result x = CliProcess.run(dir, home, List.of("factory", "mailers", "--run", run, "--out", out.toString()));
            assertEquals(0, x.exit(), x.output());
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(out)));
            try (var siblings = Files.list(dir)) {
                assertTrue(siblings.noneMatch(p -> p.getFileName().toString().contains(".partial-")), "a staging directory was left");
            }
            List<String> csv = Files.readAllLines(out.resolve("mailers.csv"));
            assertEquals("slot,card,identity,chip_id,state,cert_sha256,mailer_sha256,file", csv.get(0));
            assertEquals(3, csv.size(), String.join("\n", csv));
            String fingerprint = PinMailer.of(mailer.getPublic()).fingerprint();
            byte[] first = null;
            for (String line : csv.subList(1, csv.size())) {
                String[] f = line.split(",", -1);
                assertEquals("DONE", f[4], line);
                assertEquals(fingerprint, f[6], line);
                assertTrue(f[1].endsWith(".sim"), "card " + line);
                // the vault stage gives each device an identity and a chip ID; a piv-only run has neither
                assertEquals(n == 1, f[2].matches("\\d{14,15}") && f[3].matches("[0-9A-Fa-f]{16,}"), "identity and chip " + line);
                Path blob = out.resolve(f[7]);
                assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(blob)));
                byte[] opened = openssl(blob, priv);
                String text = new String(opened, java.nio.charset.StandardCharsets.US_ASCII);
                assertTrue(text.startsWith("pin=") && text.contains("\npuk=") && text.contains("\nmanagement-key="), "opened content has the secrets' lines");
                assertArrayEquals(PinMailer.open(Files.readAllBytes(blob), mailer.getPrivate()), opened);
                if (first == null) first = opened;
                else assertNotEquals(new String(first), text, "two devices got the same secrets");
            }
            // the other mailer key does not open it
            if (n == 2) {
                Path ecKey = dir.resolve("mailer1.key");
                assertNotEquals(0, opensslExit(out.resolve("slot-0.cms"), ecKey));
            }
            // never overwritten: a second export into the same directory is refused, the files stay
            byte[] before = Files.readAllBytes(out.resolve("slot-0.cms"));
            CliProcess.Result again = CliProcess.run(dir, home, List.of("factory", "mailers", "--run", run, "--out", out.toString()));
            assertEquals(2, again.exit(), again.output());
            assertTrue(again.output().contains("will not overwrite"), again.output());
            assertArrayEquals(before, Files.readAllBytes(out.resolve("slot-0.cms")));
        }
    }

    @Test
    void unknownRunsRunsWithoutAPivStageAndBadStatesAreRefused() throws Exception {
        Path home = dir.resolve("home");
        CliProcess.Result r = CliProcess.run(dir, home, List.of("--dev", "--json", "factory", "run", "--stages", "vault", "--count", "1"));
        assertEquals(0, r.exit(), r.output());
        Matcher m = RUN.matcher(r.output());
        assertTrue(m.find(), r.output());
        CliProcess.Result none = CliProcess.run(dir, home, List.of("factory", "mailers", "--run", m.group(1), "--out", dir.resolve("x").toString()));
        assertEquals(2, none.exit(), none.output());
        assertTrue(none.output().contains("no sealed PIN mailer blobs"), none.output());
        CliProcess.Result unknown = CliProcess.run(dir, home, List.of("factory", "mailers", "--run", "00000000-0000-0000-0000-000000000000", "--out", dir.resolve("y").toString()));
        assertEquals(2, unknown.exit(), unknown.output());
        assertTrue(unknown.output().contains("no factory run"), unknown.output());
        CliProcess.Result state = CliProcess.run(dir, home, List.of("factory", "mailers", "--run", m.group(1), "--state", "OPEN", "--out", dir.resolve("z").toString()));
        assertEquals(2, state.exit(), state.output());
        // a run with blobs, into a directory that holds something else: refused, the file untouched, nothing added
        Path mailer = FactoryPivStageTest.pem(dir.resolve("mailer.pem"), "PUBLIC KEY", FactoryPivStageTest.ecKeyPair("secp256r1").getPublic().getEncoded());
        CliProcess.Result piv = CliProcess.run(dir, home, List.of("--dev", "--json", "factory", "run", "--stages", "piv", "--count", "1", "--pin-mailer-key", mailer.toString()));
        assertEquals(0, piv.exit(), piv.output());
        Matcher pm = RUN.matcher(piv.output());
        assertTrue(pm.find(), piv.output());
        Path busy = Files.createDirectory(dir.resolve("busy"));
        Files.writeString(busy.resolve("notes.txt"), "keep me");
        CliProcess.Result occupied = CliProcess.run(dir, home, List.of("factory", "mailers", "--run", pm.group(1), "--out", busy.toString()));
        assertEquals(2, occupied.exit(), occupied.output());
        assertTrue(occupied.output().contains("will not overwrite"), occupied.output());
        try (var left = Files.list(busy)) {
            assertEquals(List.of(busy.resolve("notes.txt")), left.toList());
        }
        assertEquals("keep me", Files.readString(busy.resolve("notes.txt")));
        assertTrue(!Files.exists(dir.resolve("x")) && !Files.exists(dir.resolve("y")) && !Files.exists(dir.resolve("z")), "nothing written");
    }

    private static byte[] openssl(Path blob, Path key) throws Exception {
        Process p = new ProcessBuilder("openssl", "cms", "-decrypt", "-inform", "DER", "-in", blob.toString(), "-inkey", key.toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), "openssl cms -decrypt " + blob.getFileName());
        return out;
    }

    private static int opensslExit(Path blob, Path key) throws Exception {
        Process p = new ProcessBuilder("openssl", "cms", "-decrypt", "-inform", "DER", "-in", blob.toString(), "-inkey", key.toString())
                .redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return p.exitValue();
    }
}
