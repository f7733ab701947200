package dev.cardsmith.readme;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every example block of README.md's "The five systems" runs, in order, as written, in one
 * bash on a fresh CARDSMITH_HOME (STYLE 14): {@code ./cardsmith} and
 * {@code host/cli/target/cardsmith.jar} in the working directory stand for the built tool (the
 * test class path). Not run here: the block that needs a SoftHSM2 token (it changes the
 * machine's token directory; PsdCliSoftHsmTest covers that path), and the sections after
 * "The five systems" that need PostgreSQL, a PC/SC reader, the Java Card SDK or minutes of
 * benchmarking (PostgresCliTest, PcscEndToEndTest and BenchCliTest cover those).
 */
class ReadmeExamplesTest {

    static final String FROM = "## The five systems";
    static final String TO = "## Layout";

    static List<String> blocks(String readme) {
        int start = readme.indexOf(FROM);
        int end = readme.indexOf(TO, start);
        assertTrue(start >= 0 && end > start, "README sections not found");
        String section = readme.substring(start, end);
        List<String> blocks = new ArrayList<>();
        int at = 0;
        while (true) {
            int open = section.indexOf("```\n", at);
            if (open < 0) break;
            int close = section.indexOf("\n```", open + 4);
            blocks.add(section.substring(open + 4, close + 1));
            at = close + 4;
        }
        return blocks;
    }

    static boolean needsSoftHsm(String block) {
        return block.contains("softhsm2-util") || block.contains("pkcs11:");
    }

    @Test
    void everyExampleRunsAsWritten(@TempDir Path work) throws Exception {
        List<String> blocks = blocks(Files.readString(Path.of("..", "README.md")));
        assertTrue(blocks.size() >= 6, "examples not found: " + blocks.size());

        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Path launcher = work.resolve("cardsmith");
        Files.writeString(launcher, "#!/bin/sh\nexec '" + java + "' -XX:TieredStopAtLevel=1 -cp '" + System.getProperty("java.class.path")
                + "' dev.cardsmith.cli.Main \"$@\"\n");
        Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
        manifestJar(work.resolve("host/cli/target/cardsmith.jar"));

        StringBuilder script = new StringBuilder("set -euo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n");
        int n = 0;
        for (String b : blocks) {
            n++;
            if (needsSoftHsm(b)) continue;
            script.append("echo '### README example block ").append(n).append("'\n").append(b);
        }
        Files.writeString(work.resolve("examples.sh"), script.toString());

        ProcessBuilder pb = new ProcessBuilder("bash", "examples.sh").directory(work.toFile()).redirectErrorStream(true);
        pb.environment().put("CARDSMITH_HOME", work.resolve(".cardsmith").toString());
        pb.environment().remove("CARDSMITH_DEV");
        pb.environment().remove("CARDSMITH_KEYSTORE_PASSWORD");
        pb.environment().put("PATH", java.getParent() + File.pathSeparator + System.getenv("PATH"));
        Process p = pb.start();
        Path log = work.resolve("examples.log");
        Thread copier = new Thread(() -> {
            try (OutputStream out = Files.newOutputStream(log)) {
                p.getInputStream().transferTo(out);
            } catch (java.io.IOException ignored) {
                // the assertion below shows what arrived
            }
        });
        copier.start();
        boolean done = p.waitFor(15, TimeUnit.MINUTES);
        if (!done) p.destroyForcibly();
        copier.join(10_000);
        String output = Files.readString(log, StandardCharsets.UTF_8);
        assertTrue(done, "timed out:\n" + output);
        assertEquals(0, p.exitValue(), output);
        assertTrue(output.contains("### README example block " + n) || needsSoftHsm(blocks.get(n - 1)), output);
    }

    /** host/cli/target/cardsmith.jar as the README's jarsigner line uses it: a jar whose manifest names the test class path. */
    static void manifestJar(Path jar) throws Exception {
        Files.createDirectories(jar.getParent());
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        StringBuilder cp = new StringBuilder();
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (e.isEmpty()) continue;
            cp.append(Path.of(e).toUri().toString()).append(' ');
        }
        m.getMainAttributes().put(Attributes.Name.CLASS_PATH, cp.toString().strip());
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), m)) {
            // the manifest is the content
        }
    }
}
