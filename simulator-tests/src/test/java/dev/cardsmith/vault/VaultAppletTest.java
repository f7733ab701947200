package dev.cardsmith.vault;

import dev.cardsmith.crypto.EcP256;
import dev.cardsmith.applet.vault.Constants;
import dev.cardsmith.crypto.Cmac;
import dev.cardsmith.crypto.Hex;
import dev.cardsmith.transport.CardStatusException;
import dev.cardsmith.support.CardTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.smartcardio.CommandAPDU;
import javax.smartcardio.ResponseAPDU;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.interfaces.ECPrivateKey;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The vault applet's checks, APDU by APDU: every refusal is an ISO status word, changes
 * nothing, and never is 6F00. APDUs come from VaultApdus / the applet's Constants.
 */
@CardTest
class VaultAppletTest {

    @TempDir
    Path dir;
    VaultFixture f;
    static final byte[] IMEI = VaultFixture.IMEI.getBytes(StandardCharsets.US_ASCII);

    @BeforeEach
    void setUp() {
        f = new VaultFixture(dir);
        f.keys.ensure();
        f.card.select();
    }

    @AfterEach
    void tearDown() {
        f.close();
    }

    int sw(CommandAPDU c) {
        return f.session.transmit(c).getSW();
    }

    static int sw(Runnable r) {
        try {
            r.run();
            return 0x9000;
        } catch (CardStatusException e) {
            return e.sw();
        }
    }

    DataPackage pkg(byte[] identity) {
        KeyPair kp = EcP256.generate();
        return new DataPackage(identity, f.keys.channelKey(identity), EcP256.encodePrivate((ECPrivateKey) kp.getPrivate()), EcP256.encode(kp.getPublic()));
    }

    /** Manufacturer key set and a package stored: state PACKAGED. Returns the backup. */
    BackupPackage packaged(DataPackage p) {
        f.keys.ensure();
        f.card.setManufacturerKey(f.keys.manufacturerPoint());
        return store(p.encode());
    }

    /** GET CHALLENGE + STORE PACKAGE of {@code plain} sealed to this chip. */
    BackupPackage store(byte[] plain) {
        return f.card.storeSealedPackage(f.card.info(), plain);
    }

    void certify(DataPackage p) {
        ChipInfo info = f.card.info();
        f.card.storeCertificate(f.keys.certify(info.chipId(), p.identity(), p.publicKey()).encoded());
    }

    void wipeAuthorized() {
        f.spp(false).wipe(f.card);
    }

    @Test
    void claim18_chipIdIsStableAndReadableByAll() {
        ChipInfo a = f.card.select();
        assertEquals(16, a.chipId().length);
        assertArrayEquals(a.chipId(), f.card.getData("chip ID", Constants.P1P2_CHIP_ID));
        f.session.reset();
        assertArrayEquals(a.chipId(), f.card.select().chipId());
        assertEquals("EMPTY", a.stateName());
        // no command writes the chip ID: PUT DATA on it is refused, the ID is unchanged
        assertEquals(0x6A86, sw(new CommandAPDU(0x80, Constants.INS_PUT_DATA, 0x00, 0xC1, new byte[16])));
        assertArrayEquals(a.chipId(), f.card.info().chipId());
        // two chips, two IDs
        byte[] other = f.newCard(new byte[0]).select().chipId();
        assertFalse(Arrays.equals(a.chipId(), other));
    }

    @Test
    void claim19_manufacturerKeyIsWriteOnce() {
        f.keys.ensure();
        byte[] mk = f.keys.manufacturerPoint();
        assertEquals(0x6A88, sw(() -> f.card.getData("mk", Constants.P1P2_MANUFACTURER_KEY)));
        f.card.setManufacturerKey(mk);
        byte[] other = EcP256.encode(EcP256.generate().getPublic());
        assertEquals(0x6985, sw(() -> f.card.setManufacturerKey(other)));
        assertArrayEquals(mk, f.card.getData("mk", Constants.P1P2_MANUFACTURER_KEY));
        // from install parameters: already set, PUT DATA refused
        f.newCard(VaultEndToEndTest.installParams(null, mk));
        f.card.select();
        assertEquals(0x6985, sw(() -> f.card.setManufacturerKey(other)));
        assertArrayEquals(mk, f.card.select().manufacturerKey());
    }

    @Test
    void installRefusesMalformedParameters() {
        for (String bad : new String[] {"C101FF", "C110" + "00".repeat(15), "C9020000", "C241" + "02" + "00".repeat(64),
                "C110" + "11".repeat(16) + "C110" + "22".repeat(16)}) {
            assertThrows(RuntimeException.class, () -> f.newCard(Hex.parse(bad)), bad);
        }
        // the valid forms install
        f.newCard(Hex.parse("C110" + "11".repeat(16)));
        assertEquals("11".repeat(16), Hex.of(f.card.select().chipId()));
    }

    @Test
    void setManufacturerKeyChecksLengthAndPoint() {
        assertEquals(0x6700, sw(VaultApdus.setManufacturerKey(new byte[64])));
        byte[] notUncompressed = new byte[65];
        notUncompressed[0] = 0x02;
        assertEquals(0x6A80, sw(VaultApdus.setManufacturerKey(notUncompressed)));
        assertNull(f.card.info().manufacturerKey());
    }

    @Test
    void storePackageNeedsManufacturerKeyFirst() {
        assertEquals(0x6985, sw(VaultApdus.storePackage(pkg(IMEI).encode())));
        assertEquals("EMPTY", f.card.info().stateName());
    }

    /**
     * Review finding 5: PUT DATA manufacturer key is first come when the install parameters
     * omit it. Nothing can change the card's state before it (so the factory step "install,
     * then PUT DATA at once" cannot be pre-empted by a package or a wipe), and it is refused
     * once set or once a package exists.
     */
    @Test
    void manufacturerKeyIsTheFirstStateChange() {
        assertEquals(0x6985, sw(VaultApdus.storePackage(pkg(IMEI).encode())));
        f.card.challenge();
        assertEquals(0x6985, sw(VaultApdus.wipe(new byte[8])));
        assertEquals(0x6985, sw(VaultApdus.storeCertificate(new byte[8])));
        assertEquals("EMPTY", f.card.info().stateName());
        assertEquals(0, f.card.info().packageVersion());
        f.keys.ensure();
        f.card.setManufacturerKey(f.keys.manufacturerPoint());
        assertEquals(0x6985, sw(VaultApdus.setManufacturerKey(f.keys.manufacturerPoint())));
    }

    @Test
    void storePackageRejectsMalformedPackages() {
        f.keys.ensure();
        f.card.setManufacturerKey(f.keys.manufacturerPoint());
        byte[] good = pkg(IMEI).encode();
        byte[] truncated = Arrays.copyOf(good, good.length - 1);
        byte[] trailing = Arrays.copyOf(good, good.length + 1);
        byte[] wrongTag = good.clone();
        wrongTag[0] = Constants.TAG_CHANNEL_KEY;
        byte[] longForm = good.clone();
        longForm[1] = (byte) 0x81;
        // a key pair that does not match: private of one pair, public of another
        DataPackage a = pkg(IMEI);
        KeyPair other = EcP256.generate();
        byte[] mismatched = a.encode();
        System.arraycopy(EcP256.encode(other.getPublic()), 0, mismatched, mismatched.length - 65, 65);
        for (byte[] bad : new byte[][] {truncated, trailing, wrongTag, longForm, mismatched}) {
            assertEquals(0x6A80, sw(() -> store(bad)), Hex.of(bad).substring(0, 8));
            assertEquals("EMPTY", f.card.info().stateName());
        }
        f.card.challenge();
        assertEquals(0x6700, sw(VaultApdus.storePackage(new byte[Constants.SEALED_MAX + 1])));
        assertEquals(0x6700, sw(VaultApdus.storePackage(new byte[Constants.SEALED_OVERHEAD + 15])), "no whole block");
        assertEquals(0x9000, sw(() -> store(good)));
        assertEquals(0x6985, sw(() -> store(good)), "a second package needs a wipe first");
    }

    @Test
    void claim9_backupIsEncryptedAndBoundToChipAndVersion() {
        DataPackage p = pkg(IMEI);
        byte[] plain = p.encode();
        BackupPackage b = packaged(p);
        assertArrayEquals(f.card.info().chipId(), b.chipId());
        assertEquals(1, b.packageVersion());
        // the backup carries no part of the package in clear
        String hex = Hex.of(b.encoded());
        assertFalse(hex.contains(Hex.of(Arrays.copyOfRange(plain, 19, 35))), "channel key in clear");
        assertFalse(hex.contains(Hex.of(Arrays.copyOfRange(plain, 37, 69))), "private key in clear");
        assertFalse(hex.contains(Hex.of(IMEI)), "identity in clear");
    }

    @Test
    void claim17_anotherChipsBackupIsRefusedAndChangesNothing() {
        BackupPackage mine = packaged(pkg(IMEI));
        byte[] myChip = f.card.info().chipId();
        f.newCard(new byte[0]);
        f.card.select();
        f.card.setManufacturerKey(f.keys.manufacturerPoint());
        assertEquals(0x6A80, sw(VaultApdus.restore(mine.encoded())));
        // even with this chip's ID written into the header, the MAC (chip key) refuses it
        byte[] relabelled = mine.encoded();
        System.arraycopy(f.card.info().chipId(), 0, relabelled, Constants.BACKUP_OFF_CHIP_ID, 16);
        assertEquals(0x6982, sw(VaultApdus.restore(relabelled)));
        assertEquals("EMPTY", f.card.info().stateName());
        assertFalse(Arrays.equals(myChip, f.card.info().chipId()));
    }

    @Test
    void claim17_everyFlippedBitIsRefusedAndTheOriginalStillRestores() {
        DataPackage p = pkg(IMEI);
        BackupPackage b = packaged(p);
        certify(p);
        byte[] mac = f.card.proveChannelKey(new byte[] {1, 2, 3});
        wipeAuthorized();
        byte[] enc = b.encoded();
        for (int bit = 0; bit < enc.length * 8; bit += 7) {
            byte[] t = enc.clone();
            t[bit / 8] ^= (byte) (1 << (bit % 8));
            int sw = sw(VaultApdus.restore(t));
            assertTrue(sw == 0x6982 || sw == 0x6A80, "bit " + bit + ": " + Integer.toHexString(sw));
        }
        assertEquals(0x6700, sw(VaultApdus.restore(Arrays.copyOf(enc, enc.length - 1))));
        assertEquals(0x6700, sw(VaultApdus.restore(Arrays.copyOf(enc, enc.length + 17))));
        assertEquals(0x6884, sw(VaultApdus.restore(Arrays.copyOf(enc, 300))), "longer than a short APDU: chained, refused");
        assertEquals("EMPTY", f.card.info().stateName());
        f.card.restore(enc);
        assertArrayEquals(mac, f.card.proveChannelKey(new byte[] {1, 2, 3}));
        assertEquals(0x6985, sw(VaultApdus.restore(enc)), "restore only into an empty vault");
    }

    @Test
    void restoreRefusesASupersededBackup() {
        BackupPackage v1 = packaged(pkg(IMEI));
        wipeAuthorized();
        BackupPackage v2 = store(pkg(VaultFixture.IMEI2.getBytes(StandardCharsets.US_ASCII)).encode());
        assertEquals(2, v2.packageVersion());
        wipeAuthorized();
        assertEquals(0x6984, sw(VaultApdus.restore(v1.encoded())), "rollback to version 1");
        f.card.restore(v2.encoded());
        assertEquals(VaultFixture.IMEI2, f.card.info().identityText());
    }

    @Test
    void claim19_certificateVerifiedOnCardTamperedOrForeignRefused() {
        DataPackage p = pkg(IMEI);
        packaged(p);
        ChipInfo info = f.card.info();
        byte[] good = f.keys.certify(info.chipId(), p.identity(), p.publicKey()).encoded();
        byte[] badSig = good.clone();
        badSig[badSig.length - 3] ^= 1;
        assertEquals(0x6982, sw(VaultApdus.storeCertificate(badSig)));
        // signed by another key
        try (dev.cardsmith.hsm.SoftwareHsm other = dev.cardsmith.hsm.SoftwareHsm.open(dir.resolve("other.p12"), "o".toCharArray())) {
            byte[] forged = new VaultKeys(other).ensure().certify(info.chipId(), p.identity(), p.publicKey()).encoded();
            assertEquals(0x6982, sw(VaultApdus.storeCertificate(forged)));
        }
        // validly signed, but for another chip / identity / device key
        byte[] otherChip = f.keys.certify(new byte[16], p.identity(), p.publicKey()).encoded();
        byte[] otherId = f.keys.certify(info.chipId(), "356938035643809".getBytes(), p.publicKey()).encoded();
        byte[] otherKey = f.keys.certify(info.chipId(), p.identity(), EcP256.encode(EcP256.generate().getPublic())).encoded();
        for (byte[] c : new byte[][] {otherChip, otherId, otherKey, Arrays.copyOf(good, good.length + 1)}) {
            assertEquals(0x6A80, sw(VaultApdus.storeCertificate(c)));
        }
        byte[] flippedBody = good.clone();
        flippedBody[10] ^= 1; // inside the chip ID: not this chip
        assertEquals(0x6A80, sw(VaultApdus.storeCertificate(flippedBody)));
        assertEquals("PACKAGED", f.card.info().stateName());
        assertEquals(0x6A88, sw(VaultApdus.getData(Constants.P1P2_CERTIFICATE)));
        assertEquals(0x9000, sw(VaultApdus.storeCertificate(good)));
        assertArrayEquals(good, f.card.certificate());
        assertEquals(0x6985, sw(VaultApdus.storeCertificate(good)), "certificate is stored once per package");
    }

    @Test
    void unauthorizedWipeIsRefused() {
        DataPackage p = pkg(IMEI);
        packaged(p);
        certify(p);
        byte[] chip = f.card.info().chipId();
        // no challenge: a missing protocol step, 6985 (was 6986, docs/conventions.md)
        assertEquals(0x6985, sw(VaultApdus.wipe(new byte[70])));
        // a stranger's signature
        byte[] challenge = f.card.challenge();
        KeyPair stranger = EcP256.generate();
        assertEquals(0x6982, sw(VaultApdus.wipe(sign(stranger, VaultApdus.wipeToBeSigned(chip, challenge)))));
        // the challenge was used up by the failed attempt
        assertEquals(0x6985, sw(VaultApdus.wipe(f.keys.authorizeWipe(chip, challenge))));
        // a manufacturer signature over an old challenge does not fit a new one
        byte[] old = f.card.challenge();
        byte[] sigOld = f.keys.authorizeWipe(chip, old);
        f.card.challenge();
        assertEquals(0x6982, sw(VaultApdus.wipe(sigOld)));
        // a challenge does not survive a reset
        byte[] c2 = f.card.challenge();
        f.session.reset();
        f.card.select();
        assertEquals(0x6985, sw(VaultApdus.wipe(f.keys.authorizeWipe(chip, c2))));
        assertEquals("PROVISIONED", f.card.info().stateName());
        // authorized: works, keeps chip ID and manufacturer key
        wipeAuthorized();
        ChipInfo after = f.card.info();
        assertEquals("EMPTY", after.stateName());
        assertArrayEquals(chip, after.chipId());
        assertArrayEquals(f.keys.manufacturerPoint(), after.manufacturerKey());
        assertEquals(0x6A88, sw(VaultApdus.getData(Constants.P1P2_DEVICE_PUBLIC_KEY)));
    }

    static byte[] sign(KeyPair kp, byte[] data) {
        try {
            java.security.Signature s = java.security.Signature.getInstance("SHA256withECDSA");
            s.initSign(kp.getPrivate());
            s.update(data);
            return s.sign();
        } catch (java.security.GeneralSecurityException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void onCardCmacMatchesHostForEveryLastBlockShape() {
        DataPackage p = pkg(IMEI);
        packaged(p);
        byte[] key = f.keys.channelKey(IMEI);
        for (int len : new int[] {1, 15, 16, 17, 31, 32, 33, 48, 63, 64}) {
            byte[] ch = new byte[len];
            new Random(len).nextBytes(ch);
            assertArrayEquals(Cmac.aes(key, VaultCard.proveInput(ch)), f.card.proveChannelKey(ch), "length " + len);
        }
        byte[] ch = "sign me".getBytes();
        assertTrue(EcP256.verifyDer(EcP256.decode(p.publicKey()), VaultCard.proveInput(ch), f.card.proveDeviceKey(ch)));
    }

    /** Review finding: PROVE was an unauthenticated MAC/signature oracle over chosen data. */
    @Test
    void proveIsNoOracleOverChosenData() {
        DataPackage p = pkg(IMEI);
        packaged(p);
        byte[] key = f.keys.channelKey(IMEI);
        byte[] chosen = "pay 1000 to mallory".getBytes();
        byte[] mac = f.card.proveChannelKey(chosen);
        assertFalse(Arrays.equals(Cmac.aes(key, chosen), mac), "raw CMAC over chosen data");
        assertArrayEquals(Cmac.aes(key, VaultCard.proveInput(chosen)), mac);
        byte[] sig = f.card.proveDeviceKey(chosen);
        assertFalse(EcP256.verifyDer(EcP256.decode(p.publicKey()), chosen, sig), "raw signature over chosen data");
        assertTrue(EcP256.verifyDer(EcP256.decode(p.publicKey()), VaultCard.proveInput(chosen), sig));
        assertEquals(Constants.PROVE_DOMAIN, VaultCard.proveInput(chosen)[0]);
    }

    @Test
    void isoHeaderChecks() {
        assertEquals(0x6E00, sw(new CommandAPDU(0x00, Constants.INS_GET_DATA, 0x00, 0xC0, 256)));
        assertEquals(0x6E00, sw(new CommandAPDU(0xA0, Constants.INS_GET_DATA, 0x00, 0xC0, 256)));
        assertEquals(0x6882, sw(new CommandAPDU(0x8C, Constants.INS_GET_DATA, 0x00, 0xC0, 256)));
        assertEquals(0x6884, sw(new CommandAPDU(0x90, Constants.INS_STORE_PACKAGE, 0, 0, new byte[10])));
        assertEquals(0x6D00, sw(new CommandAPDU(0x80, 0x42, 0, 0, 256)));
        assertEquals(0x6A86, sw(new CommandAPDU(0x80, Constants.INS_GET_DATA, 0x00, 0x99, 256)));
        assertEquals(0x6A86, sw(new CommandAPDU(0x80, Constants.INS_STORE_PACKAGE, 1, 0, new byte[10])));
        assertEquals(0x6A86, sw(new CommandAPDU(0x80, Constants.INS_GET_CHALLENGE, 0, 1, 16)));
        // data on the case-2 GET DATA / GET CHALLENGE: 6700 under T=1 only (jCardSim runs T=0, where
        // P3 is Le and must not be read as Lc): see dev.cardsmith.applets.CaseTwoT0Test
        assertEquals(0x6700, sw(new CommandAPDU(0x80, Constants.INS_STORE_PACKAGE, 0, 0, 256)));
        assertEquals(0x6700, sw(new CommandAPDU(0x80, Constants.INS_WIPE, 0, 0, new byte[7])));
        // the dispatch table (Constants.COMMANDS) answers for the state before any header check:
        // PROVE in EMPTY is 6985 whatever its P2 or length (docs/conventions.md, SW changes)
        assertEquals(0x6985, sw(new CommandAPDU(0x80, Constants.INS_PROVE, 0, 3, new byte[10])));
        assertEquals(0x6985, sw(VaultApdus.prove(Constants.P2_PROVE_CHANNEL_KEY, new byte[8])));
        assertEquals(0x6985, sw(VaultApdus.storeCertificate(new byte[20])));
        packaged(pkg(IMEI));
        assertEquals(0x6A86, sw(new CommandAPDU(0x80, Constants.INS_PROVE, 0, 3, new byte[10])));
        assertEquals(0x6700, sw(new CommandAPDU(0x80, Constants.INS_PROVE, 0, 1, 256)));
        assertEquals(0x6700, sw(new CommandAPDU(0x80, Constants.INS_PROVE, 0, 1, new byte[65], 256)));
    }

    @Test
    void randomCommandsNeverAnswer6F00InAnyState() {
        Random rnd = new Random(42);
        byte[] ins = {Constants.INS_GET_DATA, Constants.INS_PUT_DATA, Constants.INS_STORE_PACKAGE, Constants.INS_STORE_CERTIFICATE,
                Constants.INS_RESTORE, Constants.INS_GET_CHALLENGE, Constants.INS_WIPE, Constants.INS_PROVE, 0x00, (byte) 0xFF};
        DataPackage p = pkg(IMEI);
        for (int state = 0; state < 3; state++) {
            if (state == 1) packaged(p);
            if (state == 2) certify(p);
            String before = Hex.of(f.card.info().chipId()) + f.card.info().stateName();
            for (int i = 0; i < 400; i++) {
                // at most 254 bytes: jCardSim 3.0.5 itself answers 6F00 to a 261-byte case-4 APDU
                // (Lc=255 plus Le), before the applet runs; a real card's buffer takes it
                byte[] data = new byte[rnd.nextInt(4) == 0 ? 0 : rnd.nextInt(254) + 1];
                rnd.nextBytes(data);
                if (data.length > 2 && rnd.nextBoolean()) {
                    data[0] = (byte) (0xC0 + rnd.nextInt(8)); // look like the vault's TLVs
                    data[1] = (byte) rnd.nextInt(0x90);
                }
                int cla = rnd.nextInt(5) == 0 ? rnd.nextInt(256) & 0xEF : 0x80;
                byte in = ins[rnd.nextInt(ins.length)];
                if (in == Constants.INS_WIPE) continue; // a wipe with random data is covered above
                int p1 = rnd.nextInt(3) == 0 ? rnd.nextInt(256) : 0;
                int p2 = rnd.nextInt(2) == 0 ? rnd.nextInt(256) : (rnd.nextBoolean() ? 0xC0 : 0x01);
                if (cla == 0x00 && (in & 0xFF) == 0xA4) continue; // a SELECT of something else
                CommandAPDU c = data.length == 0 ? new CommandAPDU(cla, in & 0xFF, p1, p2, 256) : new CommandAPDU(cla, in & 0xFF, p1, p2, data, 256);
                ResponseAPDU r = f.session.transmit(c);
                assertNotEquals(0x6F00, r.getSW(), Hex.of(c.getBytes()));
                assertTrue(r.getSW() == 0x9000 || r.getSW1() == 0x67 || r.getSW1() == 0x68 || r.getSW1() == 0x69
                        || r.getSW1() == 0x6A || r.getSW1() == 0x6D || r.getSW1() == 0x6E || r.getSW1() == 0x65, Integer.toHexString(r.getSW()));
            }
            f.card.select();
            assertEquals(before, Hex.of(f.card.info().chipId()) + f.card.info().stateName(), "random commands changed the vault");
        }
    }
}
