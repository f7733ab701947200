package dev.cardsmith.pcsc;

import dev.cardsmith.transport.CardTransport;
import dev.cardsmith.transport.PcscTransport;
import dev.cardsmith.transport.VpcdBridge;
import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A card behind the real PC/SC stack: pcscd (started here, stopped by its process handle, when
 * none runs) with vsmartcard's vpcd driver, and {@link VpcdBridge} feeding it the card. Skips
 * when pcscd/vpcd are not installed, unless CARDSMITH_REQUIRE_PCSC=1 (CI).
 */
final class VirtualPcscReader implements AutoCloseable {

    static final String READER = "Virtual PCD 00 00";

    private final Process pcscd;
    private final VpcdBridge bridge;

    private VirtualPcscReader(Process pcscd, VpcdBridge bridge) {
        this.pcscd = pcscd;
        this.bridge = bridge;
    }

    static VirtualPcscReader start(CardTransport card) throws Exception {
        boolean installed = Files.exists(Path.of("/usr/sbin/pcscd"))
                && Files.exists(Path.of("/usr/lib/pcsc/drivers/serial/libifdvpcd.so"));
        if (!"1".equals(System.getenv("CARDSMITH_REQUIRE_PCSC"))) {
            Assumptions.assumeTrue(installed, "pcscd and vsmartcard-vpcd not installed");
        }
        assertTrue(installed, "CARDSMITH_REQUIRE_PCSC=1 but pcscd/vsmartcard-vpcd are missing");
        Process daemon = null;
        if (new ProcessBuilder("pgrep", "-x", "pcscd").start().waitFor() != 0) {
            daemon = new ProcessBuilder("/usr/sbin/pcscd", "--foreground").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        }
        VpcdBridge bridge = VpcdBridge.start(card, "127.0.0.1", VpcdBridge.DEFAULT_PORT);
        VirtualPcscReader r = new VirtualPcscReader(daemon, bridge);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            try {
                // our bridge must be vpcd's client: another program serving a card would answer instead
                if (bridge.served() && PcscTransport.readers().stream().anyMatch(x -> x.name().equals(READER) && x.cardPresent())) return r;
            } catch (RuntimeException notYet) {
                // pcscd still starting
            }
            Thread.sleep(250);
        }
        boolean ours = bridge.served();
        r.close();
        throw new AssertionError(ours ? "pcscd never showed a card in '" + READER + "'"
                : "could not connect to vpcd on 127.0.0.1:" + VpcdBridge.DEFAULT_PORT + " (is another program serving a card to it?)");
    }

    @Override
    public void close() throws Exception {
        bridge.close();
        if (pcscd != null) {
            pcscd.destroy();
            if (!pcscd.waitFor(10, TimeUnit.SECONDS)) pcscd.destroyForcibly();
        }
    }
}
