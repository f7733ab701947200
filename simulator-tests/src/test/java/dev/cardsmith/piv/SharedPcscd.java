package dev.cardsmith.piv;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

/**
 * One pcscd for the whole test JVM. javax.smartcardio establishes its PC/SC context once per JVM
 * and never again, so a pcscd stopped and restarted by one test class leaves every later class
 * in the same JVM without readers. Test fixtures call {@link #ensure()} before they serve a card;
 * the daemon started here (only when none runs) is stopped, by its process, when the JVM exits.
 */
public final class SharedPcscd {

    private static Process daemon;

    private SharedPcscd() {}

    public static synchronized void ensure() {
        if (daemon != null && daemon.isAlive()) return;
        try {
            if (new ProcessBuilder("pgrep", "-x", "pcscd").start().waitFor() == 0) return;
            daemon = new ProcessBuilder("/usr/sbin/pcscd", "--foreground").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start pcscd: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting pcscd");
        }
        Process d = daemon;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            d.destroy();
            try {
                if (!d.waitFor(10, TimeUnit.SECONDS)) d.destroyForcibly();
            } catch (InterruptedException e) {
                d.destroyForcibly();
            }
        }, "shared-pcscd-stop"));
    }
}
