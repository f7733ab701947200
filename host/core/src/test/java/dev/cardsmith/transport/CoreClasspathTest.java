package dev.cardsmith.transport;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The core library builds and runs without jCardSim: simulated cards come from the simulator
 * module through {@link CardTransportFactory}. (This module's test class path is its compile
 * path plus JUnit, so a jCardSim dependency slipping in makes this fail.)
 */
class CoreClasspathTest {

    @Test
    void jcardsimIsNotOnTheCoreClassPath() {
        assertThrows(ClassNotFoundException.class, () -> Class.forName("com.licel.jcardsim.smartcardio.CardSimulator"));
        assertThrows(ClassNotFoundException.class, () -> Class.forName("javacard.framework.Applet"));
    }

    @Test
    void withoutTheSimulatorModuleTheSimSchemeIsUnknown() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CardTransports.validate("sim:card.sim"));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().startsWith("unknown card 'sim:card.sim'"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> CardTransports.validate("pcsc:"));
        assertThrows(IllegalArgumentException.class, () -> CardTransports.validate(" "));
    }
}
