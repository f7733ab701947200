package dev.cardsmith.hsm;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * SoftHSM2 for tests (host/core and, through core's test-jar, simulator-tests). Surefire sets
 * SOFTHSM2_CONF to target/softhsm2/softhsm2.conf (see the module's pom.xml); the first use in a JVM wipes that directory, writes the configuration and
 * creates the test tokens before any PKCS#11 library is loaded. Tests skip when SoftHSM2 is
 * missing, unless CARDSMITH_REQUIRE_SOFTHSM=1 (CI), where they fail instead.
 */
public final class SoftHsmFixture {
    public static final String PIN = "1234";
    public static final String TOKEN = "cardsmith-test";
    public static final String TOKEN_KMS = "cardsmith-kms";
    private static boolean ready;

    private SoftHsmFixture() {}

    public static synchronized void require() {
        java.util.Optional<String> unavailable = SoftHsm2.unavailableReason();
        if (unavailable.isPresent()) {
            if ("1".equals(System.getenv("CARDSMITH_REQUIRE_SOFTHSM"))) throw new AssertionError("CARDSMITH_REQUIRE_SOFTHSM=1 but " + unavailable.get());
            Assumptions.abort(unavailable.get());
        }
        if (ready) return;
        try {
            SoftHsm2.resetTokens(Path.of(System.getenv("SOFTHSM2_CONF")), "5678", PIN, TOKEN, TOKEN_KMS);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ready = true;
    }

    public static Hsm open(String token) {
        require();
        return HsmFactory.open(SoftHsm2.spec(token), PIN.toCharArray());
    }
}
