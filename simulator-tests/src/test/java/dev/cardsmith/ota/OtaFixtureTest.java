package dev.cardsmith.ota;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

/** A test with a fresh {@link OtaFixture} (counter mode HIGHER) per test method, closed after it. */
abstract class OtaFixtureTest {

    @TempDir
    Path dir;
    OtaFixture f;

    @BeforeEach
    void setUp() {
        f = new OtaFixture(dir, Spi.CounterMode.HIGHER);
    }

    @AfterEach
    void tearDown() {
        if (f != null) f.close();
    }
}
