package dev.cardsmith.transport;

import java.nio.file.Files;
import java.nio.file.Path;

/** Finds libpcsclite where the JDK's default path misses it (Debian/Ubuntu multiarch). */
final class PcscLibrary {
    private static final String PROP = "sun.security.smartcardio.library";

    private PcscLibrary() {}

    static void configure() {
        if (System.getProperty(PROP) != null) return;
        String[] candidates = {
            "/usr/lib/x86_64-linux-gnu/libpcsclite.so.1", "/usr/lib/aarch64-linux-gnu/libpcsclite.so.1",
            "/lib/x86_64-linux-gnu/libpcsclite.so.1", "/usr/lib64/libpcsclite.so.1", "/usr/lib/libpcsclite.so.1"};
        for (String c : candidates) {
            if (Files.exists(Path.of(c))) {
                System.setProperty(PROP, c);
                return;
            }
        }
    }
}
