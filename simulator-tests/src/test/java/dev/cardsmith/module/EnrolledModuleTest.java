package dev.cardsmith.module;

import dev.cardsmith.support.CardTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

/** Base of the module tests: a fresh CA and simulated module, enrolled and selected (personalized when asked). */
@CardTest
abstract class EnrolledModuleTest {

    @TempDir
    Path dir;
    ModuleFixture f;
    String moduleId;

    /** Whether the module starts personalized (operating state). */
    boolean personalizedAtStart() {
        return false;
    }

    @BeforeEach
    void setUp() {
        f = new ModuleFixture(dir);
        moduleId = f.enroll();
        f.select();
        if (personalizedAtStart()) f.personalize(true);
    }

    @AfterEach
    void tearDown() {
        f.close();
    }
}
