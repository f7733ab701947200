package dev.cardsmith.hsm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Locating SoftHSM2 and creating tokens with {@code softhsm2-util} (tests, quick start). SoftHSM2
 * reads {@code SOFTHSM2_CONF} when the library is loaded, so the configuration file must exist
 * before the first {@link Pkcs11Hsm} is opened in the process.
 */
public final class SoftHsm2 {
    private SoftHsm2() {}

    private static final List<String> CANDIDATES = List.of(
            "/usr/lib/softhsm/libsofthsm2.so",
            "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
            "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
            "/usr/local/lib/softhsm/libsofthsm2.so",
            "/opt/homebrew/lib/softhsm/libsofthsm2.so");

    /** The SoftHSM2 PKCS#11 library, if installed. */
    public static Optional<Path> library() {
        for (String c : CANDIDATES) if (Files.isRegularFile(Path.of(c))) return Optional.of(Path.of(c));
        return Optional.empty();
    }

    /** Writes a configuration with its own token directory (created) to {@code conf}. */
    public static void writeConfig(Path conf, Path tokenDir) throws IOException {
        Files.createDirectories(tokenDir);
        if (conf.getParent() != null) Files.createDirectories(conf.getParent());
        Files.writeString(conf, "directories.tokendir = " + tokenDir.toAbsolutePath() + "\n"
                + "objectstore.backend = file\nlog.level = ERROR\nslots.removable = false\nslots.mechanisms = ALL\n");
    }

    /** {@code softhsm2-util --init-token --free} with the given configuration file. */
    public static void initToken(Path conf, String label, String soPin, String userPin) throws IOException {
        ProcessBuilder pb = new ProcessBuilder("softhsm2-util", "--init-token", "--free", "--label", label,
                "--so-pin", soPin, "--pin", userPin);
        pb.environment().put("SOFTHSM2_CONF", conf.toAbsolutePath().toString());
        pb.redirectErrorStream(true);
        Process p = pb.start();
        try {
            String out = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException("softhsm2-util --init-token failed: " + out.strip());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /** The spec {@link HsmFactory#open} takes for a SoftHSM2 token. */
    public static String spec(String tokenLabel) {
        return "pkcs11:library=" + library().orElseThrow(() -> new HsmException("SoftHSM2 is not installed")) + ";token=" + tokenLabel;
    }

    /**
     * Why SoftHSM2 cannot be used by this process, or empty when it can: the library must be
     * installed and {@code SOFTHSM2_CONF} set before the library loads (Maven surefire sets it).
     */
    public static Optional<String> unavailableReason() {
        if (library().isEmpty()) return Optional.of("SoftHSM2 not installed (apt-get install softhsm2)");
        if (System.getenv("SOFTHSM2_CONF") == null) return Optional.of("SOFTHSM2_CONF is not set (run through Maven surefire)");
        return Optional.empty();
    }

    /**
     * Starts the token directory of {@code conf} afresh: deletes the directory that holds
     * {@code conf}, writes the configuration and initializes one token per label.
     */
    public static void resetTokens(Path conf, String soPin, String userPin, String... labels) throws IOException {
        Path dir = conf.toAbsolutePath().getParent();
        if (Files.exists(dir)) {
            try (var s = Files.walk(dir)) {
                for (Path f : (Iterable<Path>) s.sorted(java.util.Comparator.reverseOrder())::iterator) Files.delete(f);
            }
        }
        writeConfig(conf, dir.resolve("tokens"));
        for (String label : labels) initToken(conf, label, soPin, userPin);
    }
}
