package dev.cardsmith.csp;

import dev.cardsmith.applet.piv.Constants;
import dev.cardsmith.crypto.Hex;
import org.junit.jupiter.api.Test;

import javax.crypto.BadPaddingException;
import javax.smartcardio.CommandAPDU;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

/** The PIV APDU builders and parsers and the host's PKCS#1 v1.5 blocks, without a card (SP 800-73-4 Part 2 encodings). */
class PivApdusTest {

    private static byte[] ascii(String s) { return s.getBytes(StandardCharsets.US_ASCII); }

    @Test
    void verifyPadsThePinWithFfAndReleaseIsP1Ff() {
        assertEquals("0020008008313233343536FFFF", Hex.of(PivApdus.verify(ascii("123456")).getBytes()));
        assertEquals("002000800831323334353637FF", Hex.of(PivApdus.verify(ascii("1234567")).getBytes()));
        assertEquals("0020FF80", Hex.of(PivApdus.releasePin().getBytes()));
        assertThrows(IllegalArgumentException.class, () -> PivApdus.verify(ascii("12345")), "too short");
        assertThrows(IllegalArgumentException.class, () -> PivApdus.verify(ascii("123456789")), "too long");
        assertEquals(16, PivApdus.unblockPin(ascii("12345678"), ascii("654321")).getNc());
    }

    @Test
    void generalAuthenticateTemplates() {
        CommandAPDU sign = PivApdus.authenticate(PivSlot.AUTHENTICATION, KeyAlgorithm.EC_P256, Constants.TAG_CHALLENGE, new byte[32]);
        assertEquals(0x87, sign.getINS());
        assertEquals(0x11, sign.getP1());
        assertEquals(0x9A, sign.getP2());
        assertEquals("7C2482008120", Hex.of(Arrays.copyOf(sign.getData(), 6)));
        CommandAPDU rsa = PivApdus.authenticate(PivSlot.SIGNATURE, KeyAlgorithm.RSA_2048, Constants.TAG_CHALLENGE, new byte[256]);
        assertEquals("7C8201068200818201", Hex.of(Arrays.copyOf(rsa.getData(), 9)).substring(0, 18));
        assertArrayEquals(new byte[] {1, 2}, PivApdus.authResponse(Hex.parse("7C04" + "82020102")));
        assertThrows(CspException.class, () -> PivApdus.authResponse(Hex.parse("7D0482020102")), "not a 7C template");
        assertThrows(CspException.class, () -> PivApdus.authResponse(Hex.parse("7C0481020102")), "no 82");
    }

    @Test
    void certificateObjectsRoundTrip() {
        byte[] der = Hex.parse("3003020101");
        byte[] content = PivApdus.certificateObject(der);
        assertEquals("70053003020101710100FE00", Hex.of(content));
        CommandAPDU put = PivApdus.putData(PivSlot.KEY_MANAGEMENT.certificateObject(), content);
        assertEquals("5C035FC10B530C", Hex.of(Arrays.copyOf(put.getData(), 7)));
        byte[] answer = Hex.parse("530C" + Hex.of(content));
        assertArrayEquals(der, PivApdus.certificate(answer));
        assertNull(PivApdus.certificate(Hex.parse("5300")), "an emptied object holds no certificate");
        assertThrows(CspException.class, () -> PivApdus.certificate(Hex.parse("530870033003007101" + "01")), "compressed");
        assertThrows(CspException.class, () -> PivApdus.certificate(Hex.parse("5403700100")), "not a 53 object");
    }

    @Test
    void slotsAndAliases() {
        assertEquals(PivSlot.SIGNATURE, PivSlot.parse("9C"));
        assertEquals(PivSlot.CARD_AUTHENTICATION, PivSlot.parse("3"));
        assertEquals(PivSlot.AUTHENTICATION, PivSlot.parse("0x9a"));
        assertNull(PivSlot.parse("9b"), "9B is the management key, not a key slot");
        assertNull(PivSlot.parse("jarkey"));
        assertThrows(IllegalArgumentException.class, () -> PivSlot.of(4));
        assertEquals("5FC101", Hex.of(PivSlot.CARD_AUTHENTICATION.certificateObject()));
    }

    @Test
    void pkcs1SignatureBlockAndDecryptionUnpadding() throws Exception {
        byte[] di = new byte[51];
        byte[] em = HostCrypto.pkcs1SignatureBlock(di, 256);
        assertEquals(0x00, em[0]);
        assertEquals(0x01, em[1]);
        assertEquals((byte) 0xFF, em[256 - 52 - 1]);
        assertEquals(0x00, em[256 - 52]);
        assertThrows(IllegalArgumentException.class, () -> HostCrypto.pkcs1SignatureBlock(new byte[246], 256), "less than 8 bytes of FF");

        byte[] block = new byte[256];
        block[1] = 2;
        Arrays.fill(block, 2, 200, (byte) 0x5A);
        block[200] = 0;
        Arrays.fill(block, 201, 256, (byte) 7);
        assertEquals(55, HostCrypto.pkcs1DecryptionUnpad(block).length);
        byte[] type1 = block.clone();
        type1[1] = 1;
        assertThrows(BadPaddingException.class, () -> HostCrypto.pkcs1DecryptionUnpad(type1));
        byte[] shortPad = block.clone();
        shortPad[5] = 0; // a zero inside the first 8 padding bytes
        assertThrows(BadPaddingException.class, () -> HostCrypto.pkcs1DecryptionUnpad(shortPad));
        byte[] noSeparator = block.clone();
        noSeparator[200] = 1;
        Arrays.fill(noSeparator, 201, 256, (byte) 7);
        assertThrows(BadPaddingException.class, () -> HostCrypto.pkcs1DecryptionUnpad(noSeparator));
        byte[] leading = block.clone();
        leading[0] = 1;
        assertThrows(BadPaddingException.class, () -> HostCrypto.pkcs1DecryptionUnpad(leading));
    }
}
