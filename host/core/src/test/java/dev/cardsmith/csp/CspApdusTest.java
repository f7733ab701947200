package dev.cardsmith.csp;

import dev.cardsmith.crypto.EcP256;
import dev.cardsmith.applet.csp.Constants;
import org.junit.jupiter.api.Test;

import javax.smartcardio.CommandAPDU;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** APDU builders and parsers of the CSP protocol, without a card (docs/csp.md). */
class CspApdusTest {

    private static final HexFormat HEX = HexFormat.of().withUpperCase();

    @Test
    void builders() {
        assertEquals("0020008106313233343536", hex(CspApdus.verify("123456".getBytes())));
        assertEquals("00200081", hex(CspApdus.pinStatus()));
        assertEquals("002400810C06313233343536" + "0431323334", hex(CspApdus.changePin("123456".getBytes(), "1234".getBytes())));
        assertEquals("002400801208" + "3132333435363738" + "08" + "3837363534333231",
                hex(CspApdus.changePuk("12345678".getBytes(), "87654321".getBytes())));
        assertEquals("002C00810E083132333435363738" + "0431313131", hex(CspApdus.unblockPin("12345678".getBytes(), "1111".getBytes())));
        assertEquals("00478001088001018103616263" + "00", hex(CspApdus.generate(1, KeyAlgorithm.EC_P256, "abc")));
        assertEquals("0047800203800102" + "00", hex(CspApdus.generate(2, KeyAlgorithm.RSA_2048, "")));
        assertEquals("0047810300", hex(CspApdus.readPublicKey(3)));
        assertEquals("804A000000", hex(CspApdus.listSlots()));
        assertEquals("80CA020000", hex(CspApdus.getCertificate(2)));
        assertEquals("80E40100", hex(CspApdus.deleteKey(1)));
        assertEquals("0084000010", hex(CspApdus.getChallenge(16)));
        CommandAPDU s = CspApdus.signEcdsa(0, new byte[32]);
        assertEquals(0x80, s.getCLA());
        assertEquals(Constants.INS_SIGN, (byte) s.getINS());
        assertEquals(Constants.MECH_ECDSA_PREHASHED, (byte) s.getP2());
        assertEquals(256, s.getNe());
        CommandAPDU d = CspApdus.decryptRsaPkcs1(1, new byte[256]);
        assertEquals(256, d.getNc(), "CardSession chains this into 255 + 1 bytes");
    }

    private static String hex(CommandAPDU c) {
        return HEX.formatHex(c.getBytes());
    }

    @Test
    void builderArgumentChecks() {
        assertThrows(IllegalArgumentException.class, () -> CspApdus.verify("12".getBytes()));
        assertThrows(IllegalArgumentException.class, () -> CspApdus.verify("123456789".getBytes()));
        assertThrows(IllegalArgumentException.class, () -> CspApdus.unblockPin("1234567".getBytes(), "1234".getBytes()));
        assertThrows(IllegalArgumentException.class, () -> CspApdus.readPublicKey(4));
        assertThrows(IllegalArgumentException.class, () -> CspApdus.readPublicKey(-1));
        assertThrows(IllegalArgumentException.class, () -> CspApdus.generate(0, KeyAlgorithm.EC_P256, "x".repeat(33)));
        assertThrows(IllegalArgumentException.class, () -> CspApdus.signEcdsa(0, new byte[31]));
        assertThrows(IllegalArgumentException.class, () -> CspApdus.signRsaPkcs1(0, new byte[246]));
        assertThrows(IllegalArgumentException.class, () -> CspApdus.signRsaPkcs1(0, new byte[0]));
        assertThrows(IllegalArgumentException.class, () -> CspApdus.decryptRsaPkcs1(0, new byte[255]));
        assertThrows(IllegalArgumentException.class, () -> CspApdus.ecdh(0, new byte[64]));
        assertThrows(IllegalArgumentException.class, () -> CspApdus.putCertificate(0, new byte[Constants.CERT_MAX + 1]));
        assertThrows(IllegalArgumentException.class, () -> CspApdus.getChallenge(0));
        assertThrows(IllegalArgumentException.class, () -> CspApdus.getChallenge(257));
        assertThrows(IllegalArgumentException.class, () -> KeyAlgorithm.parse("dsa"));
    }

    @Test
    void parsesEcAndRsaPublicKeyTemplates() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(256);
        ECPublicKey ec = (ECPublicKey) g.generateKeyPair().getPublic();
        byte[] w = EcP256.encode(ec);
        byte[] t = new byte[5 + 65];
        t[0] = 0x7F; t[1] = 0x49; t[2] = 67; t[3] = (byte) 0x86; t[4] = 65;
        System.arraycopy(w, 0, t, 5, 65);
        assertEquals(ec, CspApdus.parsePublicKey(t));

        KeyPairGenerator rg = KeyPairGenerator.getInstance("RSA");
        rg.initialize(2048);
        RSAPublicKey rsa = (RSAPublicKey) rg.generateKeyPair().getPublic();
        byte[] n = unsigned(rsa.getModulus().toByteArray());
        byte[] e = unsigned(rsa.getPublicExponent().toByteArray());
        int inner = 4 + n.length + 2 + e.length;
        byte[] r = new byte[5 + inner];
        r[0] = 0x7F; r[1] = 0x49; r[2] = (byte) 0x82; r[3] = (byte) (inner >> 8); r[4] = (byte) inner;
        r[5] = (byte) 0x81; r[6] = (byte) 0x82; r[7] = (byte) (n.length >> 8); r[8] = (byte) n.length;
        System.arraycopy(n, 0, r, 9, n.length);
        r[9 + n.length] = (byte) 0x82; r[10 + n.length] = (byte) e.length;
        System.arraycopy(e, 0, r, 11 + n.length, e.length);
        PublicKey parsed = CspApdus.parsePublicKey(r);
        assertEquals(rsa, parsed);

        // a value running past its parent, a truncated template, a wrong outer tag
        byte[] bad = t.clone();
        bad[4] = 66;
        assertThrows(CspException.class, () -> CspApdus.parsePublicKey(bad));
        assertThrows(CspException.class, () -> CspApdus.parsePublicKey(Arrays.copyOf(t, 10)));
        byte[] other = t.clone();
        other[1] = 0x4A;
        assertThrows(CspException.class, () -> CspApdus.parsePublicKey(other));
        byte[] offCurve = t.clone();
        offCurve[0 + 5] = 0x02;
        assertThrows(CspException.class, () -> CspApdus.parsePublicKey(offCurve));
    }

    private static byte[] unsigned(byte[] b) {
        return b[0] == 0 ? Arrays.copyOfRange(b, 1, b.length) : b;
    }

    @Test
    void parsesSlotListAndAppInfo() {
        byte[] list = HexFormat.of().parseHex(
                "E00E" + "800100" + "810101" + "82026B31" + "83020123"
                        + "E00C" + "800101" + "810100" + "8200" + "83020000");
        List<SlotInfo> s = CspApdus.parseSlots(list);
        assertEquals(2, s.size());
        assertEquals(new SlotInfo(0, KeyAlgorithm.EC_P256, "k1", 0x123), s.get(0));
        assertEquals("k1", s.get(0).alias());
        assertFalse(s.get(1).hasKey());
        assertEquals("slot1", s.get(1).alias());
        assertThrows(CspException.class, () -> CspApdus.parseSlots(HexFormat.of().parseHex("E003800100")));
        assertThrows(CspException.class, () -> CspApdus.parseSlots(HexFormat.of().parseHex("E1020000")));

        CardInfo info = CspApdus.parseAppInfo(HexFormat.of().parseHex("610D800101810104820103830208 00".replace(" ", "")));
        assertEquals(new CardInfo(1, 4, true, 2048), info);
        assertThrows(CspException.class, () -> CspApdus.parseAppInfo(HexFormat.of().parseHex("610C8000810104820103830208 00".replace(" ", ""))), "empty version");
        assertThrows(CspException.class, () -> CspApdus.parseAppInfo(HexFormat.of().parseHex("610C80010181010482010383010800".substring(0, 28))), "one-byte certificate size");
        assertThrows(CspException.class, () -> CspApdus.parseAppInfo(new byte[0]), "empty response");
    }
}
