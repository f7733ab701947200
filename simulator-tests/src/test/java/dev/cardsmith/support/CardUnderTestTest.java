package dev.cardsmith.support;

import dev.cardsmith.simulator.AppletRegistry;
import dev.cardsmith.transport.CardSession;
import dev.cardsmith.transport.CardsmithAids;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;

import javax.smartcardio.CommandAPDU;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How -Dcardsmith.card and -Dcardsmith.card.control choose the target, and what a fresh card holds. */
@CardTest
class CardUnderTestTest {

    @Test
    void targetFromTheProperties() {
        assertEquals(CardUnderTest.Kind.SIMULATOR, CardUnderTest.Target.of(null, null).kind());
        assertEquals(CardUnderTest.Kind.SIMULATOR, CardUnderTest.Target.of(" sim ", null).kind());
        CardUnderTest.Target physical = CardUnderTest.Target.of("pcsc:ACS ACR39U 00 00", null);
        assertEquals(CardUnderTest.Kind.PHYSICAL_READER, physical.kind());
        assertEquals("ACS ACR39U 00 00", physical.reader());
        CardUnderTest.Target ci = CardUnderTest.Target.of("pcsc:Virtual PCD 00 00", "127.0.0.1:35970");
        assertEquals(CardUnderTest.Kind.TEST_READER, ci.kind());
        assertEquals("Virtual PCD 00 00", ci.reader());
        assertEquals(35970, ci.controlPort());
    }

    @Test
    void targetsThatCannotGiveFreshCardsAreRefused() {
        assertTrue(assertThrows(ExtensionConfigurationException.class, () -> CardUnderTest.Target.of("sim:/tmp/card.sim", null))
                .getMessage().contains("tests run on 'sim'"));
        assertTrue(assertThrows(ExtensionConfigurationException.class, () -> CardUnderTest.Target.of("nfc:phone", null))
                .getMessage().contains("unknown card"));
        assertTrue(assertThrows(ExtensionConfigurationException.class, () -> CardUnderTest.Target.of("pcsc:", null))
                .getMessage().contains("needs a reader name"));
        assertTrue(assertThrows(ExtensionConfigurationException.class, () -> CardUnderTest.Target.of("pcsc:X", "10.0.0.5:35970"))
                .getMessage().contains("loopback only"));
        assertThrows(ExtensionConfigurationException.class, () -> CardUnderTest.Target.of("pcsc:X", "35970"));
    }

    @Test
    void freshCardHoldsExactlyTheNamedApplets() {
        try (CardSession s = new CardSession(CardUnderTest.fresh("vault"))) {
            assertEquals(0x9000, s.transmit(select(CardsmithAids.VAULT.instanceAid())).getSW());
            assertNotEquals(0x9000, s.transmit(select(CardsmithAids.PIV.instanceAid())).getSW());
        }
        assertThrows(IllegalArgumentException.class, () -> CardUnderTest.fresh("nosuch"));
    }

    @Test
    void operatorIsToldWhatToInstall() {
        assertEquals("vault (install params: none), psd (install params: 404142434445464748494A4B4C4D4E4F)",
                CardUnderTest.describe(List.of(AppletRegistry.byName("vault"), AppletRegistry.byName("psd"))));
    }

    private static CommandAPDU select(byte[] aid) {
        return new CommandAPDU(0x00, 0xA4, 0x04, 0x00, aid);
    }
}
