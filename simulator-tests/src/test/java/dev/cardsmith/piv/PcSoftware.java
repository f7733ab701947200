package dev.cardsmith.piv;

import dev.cardsmith.simulator.SimulatorTransport;
import dev.cardsmith.simulator.VirtualPcscReader;
import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The PC software tests' fixture: a fresh simulated card (every applet) behind pcscd + vsmartcard's
 * vpcd, where OpenSC and every other PC/SC program sees it as "Virtual PCD 00 00". Skips when
 * pcscd/vpcd or a tool is missing, unless CARDSMITH_REQUIRE_PCSC=1 (CI), where it fails.
 * Tag {@value #TAG}: {@code -DexcludedGroups=pc-software} skips them.
 *
 * <p>The machine's pcscd and vpcd port 35963 serve the card: on a shared machine run these tests
 * under {@code flock /tmp/cardsmith-pcsc.lock} (or the full-run lock). (pcscd 1.9.9 ignores PCSCLITE_CSOCK_NAME for its own
 * socket, so a private daemon beside the machine's one is not possible.)
 */
final class PcSoftware {

    static final String TAG = "pc-software";
    static final String READER = VirtualPcscReader.READER;
    static final Path OPENSC_PKCS11 = Path.of("/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so");
    private static final Path VPCD_DRIVER = Path.of("/usr/lib/pcsc/drivers/serial/libifdvpcd.so");

    private PcSoftware() {}

    static boolean required() {
        return "1".equals(System.getenv("CARDSMITH_REQUIRE_PCSC"));
    }

    /** Skips (developer machine) or fails (CI) unless every file exists. */
    static void need(String what, Path... files) {
        boolean ok = true;
        for (Path f : files) ok &= Files.exists(f);
        if (!required()) Assumptions.assumeTrue(ok, what + " not installed");
        assertTrue(ok, "CARDSMITH_REQUIRE_PCSC=1 but " + what + " is missing");
    }

    /** A fresh simulated card in the virtual reader; close it to take the card out. */
    static AutoCloseable start() {
        need("pcscd and vsmartcard-vpcd", Path.of("/usr/sbin/pcscd"), VPCD_DRIVER);
        SharedPcscd.ensure();
        return VirtualPcscReader.start(new SimulatorTransport());
    }
}
