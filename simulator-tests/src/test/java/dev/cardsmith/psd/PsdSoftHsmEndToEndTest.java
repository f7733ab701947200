package dev.cardsmith.psd;

import java.nio.file.Path;

/** The same flows with both HSMs on SoftHSM2 (skips without it unless CARDSMITH_REQUIRE_SOFTHSM=1). */
class PsdSoftHsmEndToEndTest extends PsdEndToEndTest {
    @Override
    PsdWorld world(Path dir) {
        return PsdWorld.softHsm(dir);
    }
}
