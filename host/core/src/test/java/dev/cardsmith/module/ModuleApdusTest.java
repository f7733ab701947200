package dev.cardsmith.module;

import dev.cardsmith.crypto.EcP256;
import dev.cardsmith.applet.module.Constants;
import org.junit.jupiter.api.Test;

import javax.smartcardio.CommandAPDU;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** APDU builders and parsers without a card. */
class ModuleApdusTest {

    @Test
    void headersComeFromTheAppletConstants() {
        CommandAPDU c = ModuleApdus.enterTan("12345678");
        assertEquals(0x80, c.getCLA());
        assertEquals(Constants.INS_ENTER_TAN & 0xFF, c.getINS());
        assertEquals(8, c.getNc());
        assertEquals(0, c.getNe());
        CommandAPDU s = ModuleApdus.getStatus(2);
        assertEquals(2, s.getP1());
        assertEquals(256, s.getNe());
    }

    @Test
    void extendedLengthOnlyWhenAsked() {
        byte[] cert = new byte[250];
        byte[] point = EcP256.encode(EcP256.generate().getPublic());
        CommandAPDU ext = ModuleApdus.persoInitiate(cert, point, true);
        assertEquals(65536, ext.getNe());
        assertEquals(250 + 3 + 65, ext.getNc());
        CommandAPDU shortApdu = ModuleApdus.persoInitiate(cert, point, false);
        assertEquals(256, shortApdu.getNe());
        assertTrue(ModuleApdus.centralAuthenticate(point, false).getBytes().length < 80);
    }

    @Test
    void statusParsing() {
        byte[] r = {2, 0x1F, 2, 6, 1, 1, 2, 4, 0, 0, 1, 0};
        ModuleApdus.Status s = ModuleApdus.parseStatus(r);
        assertTrue(s.operating());
        assertEquals("261124", s.certificateDate());
        assertEquals(256, s.transactionCounter());
        assertTrue(s.has(Constants.FLAG_TRANSACTION_KEY));
        assertThrows(ModuleException.class, () -> ModuleApdus.parseStatus(new byte[3]));
    }

    @Test
    void aidsFollowTheRegistry() {
        assertEquals("F043534D540201", dev.cardsmith.crypto.Hex.of(ModuleApdus.INSTANCE_AID).toUpperCase());
        assertEquals("F043534D5402", dev.cardsmith.crypto.Hex.of(ModuleApdus.PACKAGE_AID).toUpperCase());
    }
}
