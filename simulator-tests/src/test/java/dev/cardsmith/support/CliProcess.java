package dev.cardsmith.support;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@code cardsmith} as a user does: its own JVM (the test classpath), a working directory
 * and its own CARDSMITH_HOME. stdout and stderr are merged.
 */
public final class CliProcess {

    public record Result(int exit, String output) {}

    private CliProcess() {}

    public static Result run(Path workDir, Path cardsmithHome, List<String> args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add("dev.cardsmith.cli.Main");
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile()).redirectErrorStream(true);
        pb.environment().put("CARDSMITH_HOME", cardsmithHome.toString());
        pb.environment().remove("CARDSMITH_KEYSTORE_PASSWORD");
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timed out: cardsmith " + String.join(" ", args));
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }
}
