package dev.cardsmith.simulator;

import dev.cardsmith.transport.*;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A card behind the real PC/SC stack: pcscd with vsmartcard's vpcd driver, fed by a
 * {@link VpcdBridge}. Starts pcscd (and stops it again, by its process) only when none runs.
 * Used by the PC/SC tests; {@code cardsmith sim vpcd} is the long-running variant.
 */
public final class VirtualPcscReader implements AutoCloseable {

    /** The first slot of pcscd's "Virtual PCD" reader (vpcd port 35963). */
    public static final String READER = "Virtual PCD 00 00";
    private static final Path PCSCD = Path.of("/usr/sbin/pcscd");
    private static final Path VPCD_DRIVER = Path.of("/usr/lib/pcsc/drivers/serial/libifdvpcd.so");

    private final Process pcscd;
    private final VpcdBridge bridge;

    private VirtualPcscReader(Process pcscd, VpcdBridge bridge) {
        this.pcscd = pcscd;
        this.bridge = bridge;
    }

    /** pcscd and the vpcd driver are installed (Debian: pcscd vsmartcard-vpcd). */
    public static boolean installed() {
        return Files.exists(PCSCD) && Files.exists(VPCD_DRIVER);
    }

    /** Serves {@code card} as {@link #READER} and waits (up to 20 s) until PC/SC shows it. */
    public static VirtualPcscReader start(CardTransport card) {
        Process daemon = null;
        try {
            if (new ProcessBuilder("pgrep", "-x", "pcscd").start().waitFor() != 0) {
                daemon = new ProcessBuilder(PCSCD.toString(), "--foreground").redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            }
        } catch (IOException e) {
            throw new TransportException("cannot start pcscd: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TransportException("interrupted while starting pcscd");
        }
        VirtualPcscReader r = new VirtualPcscReader(daemon, VpcdBridge.start(card, "127.0.0.1", VpcdBridge.DEFAULT_PORT));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        try {
            while (System.nanoTime() < deadline) {
                try {
                    // our bridge must be vpcd's client: another program serving a card would answer instead
                    if (r.bridge.served() && PcscTransport.readers().stream().anyMatch(x -> x.name().equals(READER) && x.cardPresent())) return r;
                } catch (TransportException notYet) {
                    // pcscd still starting
                }
                Thread.sleep(250);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        boolean ours = r.bridge.served();
        r.close();
        throw new TransportException(ours ? "pcscd never showed a card in '" + READER + "'"
                : "could not connect to vpcd on 127.0.0.1:" + VpcdBridge.DEFAULT_PORT + " (is another program serving a card to it?)");
    }

    /** Puts {@code next} in the reader instead of the current card, which is closed. */
    public void replaceCard(CardTransport next) {
        bridge.replaceCard(next).close();
    }

    @Override
    public void close() {
        bridge.close();
        if (pcscd != null) {
            pcscd.destroy();
            try {
                if (!pcscd.waitFor(10, TimeUnit.SECONDS)) pcscd.destroyForcibly();
            } catch (InterruptedException e) {
                pcscd.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }
}
