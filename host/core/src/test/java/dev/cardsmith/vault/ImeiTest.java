package dev.cardsmith.vault;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** Claim 8: the device identity is an IMEI; 3GPP TS 23.003 Luhn check digit. */
class ImeiTest {
    @Test
    void claim8_validImeisPass() {
        // 3GPP TS 23.003 annex B example: IMEI 35 209900 176148, check digit 1
        assertEquals("352099001761481", Imei.validate("352099001761481"));
        assertEquals(1, Imei.luhnCheckDigit("35209900176148"));
        assertEquals("490154203237518", Imei.validate("490154203237518"));
    }

    @Test
    void claim8_badImeisAreRefused() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Imei.validate("490154203237517")).getMessage().contains("Luhn"));
        assertThrows(IllegalArgumentException.class, () -> Imei.validate("49015420323751"));
        assertThrows(IllegalArgumentException.class, () -> Imei.validate("4901542032375180"));
        assertThrows(IllegalArgumentException.class, () -> Imei.validate("49015420323751a"));
        assertThrows(IllegalArgumentException.class, () -> Imei.validate(null));
        assertThrows(IllegalArgumentException.class, () -> Imei.validate(" 490154203237518"));
    }
}
