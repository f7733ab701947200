package dev.cardsmith.psd;

import dev.cardsmith.applet.psd.PsdProtocol;
import dev.cardsmith.crypto.Hex;
import dev.cardsmith.crypto.Sp800108;
import dev.cardsmith.hsm.Hsm;
import dev.cardsmith.hsm.HsmFactory;
import dev.cardsmith.hsm.HsmKdf;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.smartcardio.CommandAPDU;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** Pure APDU builders/parsers and the diversification, without a card. */
class PsdApdusTest {

    @Test
    void injectKeysLayout() {
        byte[] a = new byte[24], b = new byte[72];
        a[0] = 1;
        b[71] = 2;
        CommandAPDU c = PsdApdus.injectKeys(1, a, 5, b);
        assertEquals(0x80, c.getCLA());
        assertEquals(PsdProtocol.INS_INJECT_KEYS & 0xFF, c.getINS());
        assertEquals(98, c.getNc(), "KRK version | KRK | MK version | K-ENC | K-MAC | K-DEK");
        byte[] d = c.getData();
        assertEquals(1, d[0]);
        assertEquals(1, d[1]);
        assertEquals(5, d[25]);
        assertEquals(2, d[97]);
        assertThrows(IllegalArgumentException.class, () -> PsdApdus.injectKeys(0, a, 1, b));
        assertThrows(IllegalArgumentException.class, () -> PsdApdus.injectKeys(1, a, 128, b));
        assertThrows(IllegalArgumentException.class, () -> PsdApdus.injectKeys(1, new byte[16], 1, b));
        assertThrows(IllegalArgumentException.class, () -> PsdApdus.injectKeys(1, a, 1, new byte[24]), "one key is not a key set");
    }

    @Test
    void replaceAndUnlockLayout() {
        CommandAPDU r = PsdApdus.replaceMk(7, new byte[72]);
        assertEquals(73, r.getNc());
        assertEquals(7, r.getData()[0]);
        assertThrows(IllegalArgumentException.class, () -> PsdApdus.replaceMk(7, new byte[24]));
        assertEquals(16, PsdApdus.unlock(new byte[16]).getNc());
        assertThrows(IllegalArgumentException.class, () -> PsdApdus.unlock(new byte[15]));
        byte[] in = PsdApdus.unlockProofInput(new byte[16]);
        assertEquals(32, in.length);
        assertEquals(PsdProtocol.DC_UNLOCK_PROOF, in[11]);
        assertEquals("0080", Hex.of(new byte[] {in[13], in[14]}));
        assertEquals(1, in[15]);
    }

    @Test
    void statusParsing() {
        PsdStatus s = PsdStatus.parse(Hex.parse("07000301030801020304050607 08".replace(" ", "")));
        assertTrue(s.issued());
        assertEquals(3, s.mkVersion());
        assertEquals(1, s.krkVersion());
        assertEquals(3, s.krkTriesLeft());
        assertEquals("0102030405060708", s.idHex());
        assertEquals("LOCKED", s.executiveName());
        assertThrows(PsdException.class, () -> PsdStatus.parse(new byte[5]));
        assertThrows(PsdException.class, () -> PsdStatus.parse(Hex.parse("0700030103090102030405060708")), "length mismatch");
        assertThrows(PsdException.class, () -> PsdStatus.parse(Hex.parse("070003010302AABB")), "ID too short");
    }

    /** Claims 4 and 11: the access server's diversification is SP 800-108 (checked with CAVP vectors in the crypto package). */
    @Test
    void claim4_claim11_diversificationIsSp800108InsideTheHsm(@TempDir Path dir) {
        byte[] block = Hex.parse("2B7E151628AED2A6ABF7158809CF4F3C");
        byte[] id = Hex.parse("0102030405060708090A0B0C0D0E0F10");
        try (Hsm h = HsmFactory.open("pkcs12:" + dir.resolve("k.p12"), "pw".toCharArray())) {
            h.importAesKey("block", block.clone());
            h.deriveAesKey("block", PsdKeys.K_MAC_LABEL, id, "mk");
            byte[] expected = Sp800108.deriveKey(block, PsdKeys.K_MAC_LABEL, id, 16);
            assertArrayEquals(expected, HsmKdf.deriveKey(h, "block", PsdKeys.K_MAC_LABEL, id, 16));
            assertArrayEquals(dev.cardsmith.crypto.Cmac.aes(expected, new byte[1]), h.aesCmac("mk", new byte[1]));
            // different PSDs, different keys; different randoms, different KRKs
            h.deriveAesKey("block", PsdKeys.K_MAC_LABEL, Hex.parse("0102030405060708090A0B0C0D0E0F11"), "mk2");
            assertFalse(java.util.Arrays.equals(h.aesCmac("mk", new byte[1]), h.aesCmac("mk2", new byte[1])));
            // K-ENC, K-MAC, K-DEK of one PSD: three distinct keys from one block
            java.util.Set<String> set = new java.util.HashSet<>();
            for (byte[] l : PsdKeys.STATIC_KEY_LABELS) set.add(Hex.of(HsmKdf.deriveKey(h, "block", l, id, 16)));
            assertEquals(3, set.size());
        }
    }

    /** Interop finding: GlobalPlatformPro parses the SELECT response as BER-TLV; the PSD answers with an FCI. */
    @org.junit.jupiter.api.Test
    void selectResponseIsAnFciWithTheStatusInTag85() {
        PsdStatus s = PsdStatus.fromSelect(Hex.parse("6F19" + "8407F043534D540101" + "850E" + "0700030103080102030405060708"));
        org.junit.jupiter.api.Assertions.assertEquals("0102030405060708", s.idHex());
        org.junit.jupiter.api.Assertions.assertEquals(3, s.mkVersion());
        org.junit.jupiter.api.Assertions.assertEquals(3, s.krkTriesLeft());
    }

    @org.junit.jupiter.api.Test
    void malformedFciIsRefused() {
        assertThrows(PsdException.class, () -> PsdStatus.fromSelect(Hex.parse("0700030103080102030405060708")), "raw status is no FCI");
        assertThrows(PsdException.class, () -> PsdStatus.fromSelect(Hex.parse("6F058403F04353")), "no tag 85");
        assertThrows(PsdException.class, () -> PsdStatus.fromSelect(Hex.parse("6F048520AABB")), "85 runs past the template");
        assertThrows(PsdException.class, () -> PsdStatus.fromSelect(Hex.parse("6F10")), "length mismatch");
    }

    @Test
    void replaceMkConfirmationIsOneVersionByte() {
        assertEquals(3, PsdApdus.confirmedVersion(new byte[] {3}));
        assertEquals(0x7F, PsdApdus.confirmedVersion(new byte[] {0x7F}));
        assertThrows(PsdException.class, () -> PsdApdus.confirmedVersion(new byte[0]));
        assertThrows(PsdException.class, () -> PsdApdus.confirmedVersion(new byte[] {3, 0}));
    }
}
