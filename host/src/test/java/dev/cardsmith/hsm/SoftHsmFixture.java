package dev.cardsmith.hsm;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;

/**
 * SoftHSM2 for tests. Surefire sets SOFTHSM2_CONF to target/softhsm2/softhsm2.conf (see
 * host/pom.xml); the first use in a JVM wipes that directory, writes the configuration and
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
        boolean required = "1".equals(System.getenv("CARDSMITH_REQUIRE_SOFTHSM"));
        boolean present = SoftHsm2.library().isPresent();
        if (!present && required) throw new AssertionError("CARDSMITH_REQUIRE_SOFTHSM=1 but libsofthsm2.so is not installed");
        Assumptions.assumeTrue(present, "SoftHSM2 not installed (apt-get install softhsm2)");
        String conf = System.getenv("SOFTHSM2_CONF");
        if (conf == null) {
            if (required) throw new AssertionError("SOFTHSM2_CONF is not set (run through Maven surefire)");
            Assumptions.abort("SOFTHSM2_CONF not set: run through Maven (surefire sets it)");
        }
        if (ready) return;
        try {
            Path c = Path.of(conf);
            Path dir = c.getParent();
            if (Files.exists(dir)) {
                try (var s = Files.walk(dir)) {
                    s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
            SoftHsm2.writeConfig(c, dir.resolve("tokens"));
            SoftHsm2.initToken(c, TOKEN, "5678", PIN);
            SoftHsm2.initToken(c, TOKEN_KMS, "5678", PIN);
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
