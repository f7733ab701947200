package dev.cardsmith.hsm;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

class SoftwareHsmContractTest extends HsmContractTest {
    @TempDir Path dir;

    @Override
    protected Hsm openHsm() {
        return HsmFactory.open("pkcs12:" + dir.resolve("ks.p12"), "pw".toCharArray());
    }

    @Test
    void sessionKeysAreNotPersisted() {
        hsm.importAesKey(p + "m", new byte[16]);
        hsm.deriveAesKey(p + "m", new byte[] {1}, new byte[] {2}, p + "s");
        hsm.close();
        hsm = openHsm();
        assertTrue(hsm.contains(p + "m"));
        assertFalse(hsm.contains(p + "s"));
    }
}
