package dev.cardsmith.piv;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs one PC program (opensc-tool, pkcs11-tool, ssh, openssl ...) with stdin from /dev/null; stdout and stderr merged. */
record Tool(int exit, String output) {

    static Tool run(Path dir, Map<String, String> env, String... cmd) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().putAll(env);
        Process p = pb.start();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> {
            try (InputStream in = p.getInputStream()) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return e.toString();
            }
        });
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timed out: " + String.join(" ", cmd));
        }
        return new Tool(p.exitValue(), out.get(10, TimeUnit.SECONDS));
    }

    /** Fails with the command line and its output unless it exited 0. */
    Tool ok(String... cmd) {
        if (exit != 0) throw new AssertionError("exit " + exit + ": " + String.join(" ", cmd) + "\n" + output);
        return this;
    }

    static Tool ok(Path dir, Map<String, String> env, String... cmd) throws Exception {
        return run(dir, env, cmd).ok(cmd);
    }

    static List<String> lines(String s) {
        return s.lines().toList();
    }
}
