package dev.cardsmith.codec;

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

    @Test
    void typedImeisAreNormalizedThenValidated() {
        assertEquals("490154203237518", Imei.normalize("49-015420 323751"), "14 digits get their check digit");
        assertEquals("490154203237518", Imei.normalize("490154203237518"));
        assertThrows(IllegalArgumentException.class, () -> Imei.normalize("490154203237519"));
        assertThrows(IllegalArgumentException.class, () -> Imei.normalize("4901542032375"));
        assertThrows(IllegalArgumentException.class, () -> Imei.normalize(null));
    }

    @Test
    void mobileIdentityAndAsciiForms() {
        // TS 24.008 10.5.1.4 as a handset sends it: 4A = digit 1 + "IMEI, odd"; check digit 8 sent as 0
        assertEquals("4A09512430325701", dev.cardsmith.crypto.Hex.of(Imei.mobileIdentity("49015420323751")).toUpperCase());
        assertEquals("3A65390853468300", dev.cardsmith.crypto.Hex.of(Imei.mobileIdentity("356938035643809")).toUpperCase());
        assertThrows(IllegalArgumentException.class, () -> Imei.mobileIdentity("490154203237519"));
        assertArrayEquals("490154203237518".getBytes(java.nio.charset.StandardCharsets.US_ASCII), Imei.identityBytes("490154203237518"));
        assertThrows(IllegalArgumentException.class, () -> Imei.identityBytes("49015420323751"), "the vault takes no shortened IMEI");
    }
}
