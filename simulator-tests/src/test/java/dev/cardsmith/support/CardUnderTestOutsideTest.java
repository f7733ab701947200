package dev.cardsmith.support;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Outside a @CardTest class there is no card: a test cannot bypass the extension (and the PC/SC pass) by accident. */
class CardUnderTestOutsideTest {

    @Test
    void noCardWithoutTheExtension() {
        IllegalStateException e = assertThrows(IllegalStateException.class, CardUnderTest::fresh);
        assertTrue(e.getMessage().contains("@CardTest"), e.getMessage());
    }

    @Test
    void noSimulatedCardWithoutTheExtension() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> CardUnderTest.simulated(dev.cardsmith.simulator.AppletRegistry.all()));
        assertTrue(e.getMessage().contains("@SimulatorOnly"), e.getMessage());
    }
}
