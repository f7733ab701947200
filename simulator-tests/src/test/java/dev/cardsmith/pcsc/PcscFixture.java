package dev.cardsmith.pcsc;

import dev.cardsmith.transport.CardTransport;
import dev.cardsmith.simulator.VirtualPcscReader;
import org.junit.jupiter.api.Assumptions;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Skips when pcscd/vpcd are not installed, unless CARDSMITH_REQUIRE_PCSC=1 (CI), where it fails. */
public final class PcscFixture {
    private PcscFixture() {}

    public static VirtualPcscReader start(CardTransport card) {
        boolean installed = VirtualPcscReader.installed();
        if (!"1".equals(System.getenv("CARDSMITH_REQUIRE_PCSC"))) {
            Assumptions.assumeTrue(installed, "pcscd and vsmartcard-vpcd not installed");
        }
        assertTrue(installed, "CARDSMITH_REQUIRE_PCSC=1 but pcscd/vsmartcard-vpcd are missing");
        dev.cardsmith.piv.SharedPcscd.ensure(); // one pcscd per test JVM (javax.smartcardio keeps its first context)
        return VirtualPcscReader.start(card);
    }
}
