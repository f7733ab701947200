package dev.cardsmith.vault;

import dev.cardsmith.crypto.EcP256;
import dev.cardsmith.applet.vault.Constants;
import dev.cardsmith.crypto.Hex;
import dev.cardsmith.hsm.SoftwareHsm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.smartcardio.CommandAPDU;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.interfaces.ECPrivateKey;

import static org.junit.jupiter.api.Assertions.*;

/** APDU builders, data package, certificate, backup header and chip info as pure functions. */
class VaultFormatsTest {

    static final byte[] CHIP = Hex.parse("00112233445566778899AABBCCDDEEFF");
    static final byte[] IMEI = "490154203237518".getBytes(StandardCharsets.US_ASCII);

    @Test
    void apduHeadersComeFromTheAppletConstants() {
        CommandAPDU c = VaultApdus.storePackage(new byte[] {1, 2, 3});
        assertEquals(0x80, c.getCLA());
        assertEquals(Constants.INS_STORE_PACKAGE, (byte) c.getINS());
        assertEquals(0, c.getP1());
        assertEquals(0, c.getP2());
        CommandAPDU g = VaultApdus.getData(Constants.P1P2_CERTIFICATE);
        assertEquals(0x00, g.getP1());
        assertEquals(0xCE, g.getP2());
        assertEquals("80DA00C203010203", Hex.of(VaultApdus.setManufacturerKey(new byte[] {1, 2, 3}).getBytes()));
        assertEquals(0x02, VaultApdus.prove(Constants.P2_PROVE_DEVICE_KEY, new byte[1]).getP2());
        byte[] tbs = VaultApdus.wipeToBeSigned(CHIP, new byte[16]);
        assertEquals(33, tbs.length);
        assertEquals(0x57, tbs[0]);
    }

    @Test
    void dataPackageLayoutAndRedaction() {
        KeyPair kp = EcP256.generate();
        DataPackage p = new DataPackage(IMEI, new byte[16], EcP256.encodePrivate((ECPrivateKey) kp.getPrivate()), EcP256.encode(kp.getPublic()));
        byte[] e = p.encode();
        assertEquals(2 + 15 + 2 + 16 + 2 + 32 + 2 + 65, e.length);
        assertEquals(Constants.TAG_IDENTITY, e[0]);
        assertEquals(Constants.TAG_CHANNEL_KEY, e[17]);
        assertFalse(p.toString().contains("00000000"));
        assertThrows(IllegalArgumentException.class, () -> new DataPackage(new byte[33], new byte[16], new byte[32], EcP256.encode(kp.getPublic())));
        assertThrows(IllegalArgumentException.class, () -> new DataPackage(IMEI, new byte[15], new byte[32], EcP256.encode(kp.getPublic())));
    }

    @Test
    void claim2_certificateIssueParseVerifyAndTamper(@TempDir Path dir) {
        try (SoftwareHsm hsm = SoftwareHsm.open(dir.resolve("k.p12"), "x".toCharArray())) {
            VaultKeys keys = new VaultKeys(hsm).ensure();
            byte[] devicePub = EcP256.encode(EcP256.generate().getPublic());
            DeviceCertificate c = keys.certify(CHIP, IMEI, devicePub);
            DeviceCertificate parsed = DeviceCertificate.parse(c.encoded());
            assertArrayEquals(CHIP, parsed.chipId());
            assertEquals("490154203237518", parsed.identityText());
            assertTrue(parsed.verify(keys.manufacturerPublicKey()));
            assertFalse(parsed.verify(EcP256.generate().getPublic()));
            byte[] bad = c.encoded();
            bad[5] ^= 1; // inside the chip ID
            assertFalse(DeviceCertificate.parse(bad).verify(keys.manufacturerPublicKey()));
            byte[] trailing = java.util.Arrays.copyOf(c.encoded(), c.encoded().length + 2);
            assertThrows(IllegalArgumentException.class, () -> DeviceCertificate.parse(trailing));
        }
    }

    @Test
    void backupHeaderParsing() {
        byte[] b = new byte[Constants.BACKUP_OVERHEAD + 144];
        b[0] = Constants.BACKUP_FORMAT;
        System.arraycopy(CHIP, 0, b, 1, 16);
        b[17] = 0x01;
        b[18] = 0x02;
        BackupPackage p = BackupPackage.parse(b);
        assertArrayEquals(CHIP, p.chipId());
        assertEquals(0x0102, p.packageVersion());
        assertThrows(IllegalArgumentException.class, () -> BackupPackage.parse(new byte[Constants.BACKUP_OVERHEAD + 15]));
        b[0] = 2;
        assertThrows(IllegalArgumentException.class, () -> BackupPackage.parse(b));
    }

    @Test
    void chipInfoParsing() {
        byte[] info = Hex.parse("C110" + Hex.of(CHIP) + "C70101" + "C8020003" + "C200");
        ChipInfo i = ChipInfo.parse(info);
        assertEquals("EMPTY", i.stateName());
        assertEquals(3, i.packageVersion());
        assertNull(i.manufacturerKey());
        assertThrows(IllegalArgumentException.class, () -> ChipInfo.parse(Hex.parse("C70101")));
        assertThrows(IllegalArgumentException.class, () -> ChipInfo.parse(Hex.parse("C18101")));
    }
}
