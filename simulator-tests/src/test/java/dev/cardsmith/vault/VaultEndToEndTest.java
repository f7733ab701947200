package dev.cardsmith.vault;

import dev.cardsmith.crypto.EcP256;
import dev.cardsmith.codec.Imei;
import dev.cardsmith.applet.vault.Constants;
import dev.cardsmith.crypto.Cmac;
import dev.cardsmith.crypto.Hex;
import dev.cardsmith.transport.CardStatusException;
import dev.cardsmith.support.CardTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** Seed 000 end to end through the host library: provision -> wipe -> recover -> keys work. */
@CardTest
class VaultEndToEndTest {

    @TempDir
    Path dir;
    VaultFixture f;

    @BeforeEach
    void setUp() {
        f = new VaultFixture(dir);
        f.card.select();
    }

    @AfterEach
    void tearDown() {
        f.close();
    }

    @Test
    void claim1_17_provisionWipeRecoverKeepsKeys() {
        SecureProcessingPoint spp = f.spp(false);
        SecureProcessingPoint.Provisioned p = spp.provision(f.card, Imei.identityBytes(VaultFixture.IMEI));
        assertEquals(1, p.databaseVersion());
        assertEquals(1, p.packageVersion());
        assertTrue(p.manufacturerKeyWritten());
        ChipInfo info = f.card.info();
        assertEquals(Constants.STATE_PROVISIONED, info.state());
        assertEquals(VaultFixture.IMEI, info.identityText());

        byte[] challenge = "a host challenge of 31 bytes...".getBytes(StandardCharsets.US_ASCII);
        byte[] mac = f.card.proveChannelKey(challenge);
        // claim 5: channel key = KDF(master, identity); the card's CMAC equals the host's
        assertArrayEquals(Cmac.aes(f.keys.channelKey(VaultFixture.IMEI.getBytes(StandardCharsets.US_ASCII)), VaultCard.proveInput(challenge)), mac);
        byte[] sig = f.card.proveDeviceKey(challenge);
        assertTrue(EcP256.verifyDer(EcP256.decode(p.devicePublicKey()), VaultCard.proveInput(challenge), sig));

        SecureProcessingPoint.Wiped w = spp.wipe(f.card);
        assertEquals("PROVISIONED", w.previousState());
        assertEquals(Constants.STATE_EMPTY, f.card.info().state());
        CardStatusException gone = assertThrows(CardStatusException.class, () -> f.card.proveChannelKey(challenge));
        assertEquals(0x6985, gone.sw());

        Recovery.Recovered r = Recovery.recover(f.card, f.publicDb);
        assertEquals(p.chipId(), r.chipId());
        assertEquals(Constants.STATE_PROVISIONED, f.card.info().state());
        assertArrayEquals(mac, f.card.proveChannelKey(challenge));
        assertTrue(EcP256.verifyDer(EcP256.decode(p.devicePublicKey()), VaultCard.proveInput(challenge), f.card.proveDeviceKey(challenge)));
        assertTrue(DeviceInspector.verify(f.card, f.publicDb, f.keys.manufacturerPoint()).ok());
    }

    @Test
    void provisionNeedsFourRoundTripsAfterSelectOnFreshChipAndThreeWithInstalledManufacturerKey() {
        SecureProcessingPoint.Provisioned p = f.spp(false).provision(f.card, Imei.identityBytes(VaultFixture.IMEI));
        // SELECT + SET MANUFACTURER KEY + GET CHALLENGE + STORE PACKAGE (sealed) + STORE CERTIFICATE:
        // one round trip more than before the sealed package (issue 13)
        assertEquals(5, p.cardStats().apdus(), p.cardStats().toString());
        byte[] params = installParams(null, f.keys.manufacturerPoint());
        f.newCard(params);
        SecureProcessingPoint.Provisioned p2 = f.spp(false).provision(f.card, Imei.identityBytes(VaultFixture.IMEI2));
        assertFalse(p2.manufacturerKeyWritten());
        assertEquals(4, p2.cardStats().apdus(), p2.cardStats().toString());
        System.out.println("provision (key in install params): " + p2.cardStats());
        f.spp(false).wipe(f.card);
        Recovery.Recovered r = Recovery.recover(f.card, f.publicDb);
        assertEquals(3, r.cardStats().apdus());
        System.out.println("recover: " + r.cardStats());
    }

    static byte[] installParams(byte[] chipId, byte[] manufacturerPoint) {
        java.io.ByteArrayOutputStream o = new java.io.ByteArrayOutputStream();
        if (chipId != null) { o.write(Constants.TAG_CHIP_ID); o.write(chipId.length); o.writeBytes(chipId); }
        if (manufacturerPoint != null) { o.write(Constants.TAG_MANUFACTURER_KEY); o.write(manufacturerPoint.length); o.writeBytes(manufacturerPoint); }
        return o.toByteArray();
    }

    @Test
    void installParamsSetChipId() {
        byte[] chip = Hex.parse("00112233445566778899AABBCCDDEEFF");
        f.newCard(installParams(chip, null));
        assertArrayEquals(chip, f.card.select().chipId());
    }

    @Test
    void interruptedProvisionIsReRunAfterAnAuthorizedWipe() {
        // a provision torn after STORE PACKAGE: the card holds a package, the public DB nothing
        f.keys.ensure();
        f.card.setManufacturerKey(f.keys.manufacturerPoint());
        java.security.KeyPair kp = EcP256.generate();
        byte[] id = Imei.identityBytes(VaultFixture.IMEI);
        f.card.storeSealedPackage(f.card.info(), new DataPackage(id, f.keys.channelKey(id),
                EcP256.encodePrivate((java.security.interfaces.ECPrivateKey) kp.getPrivate()), EcP256.encode(kp.getPublic())).encode());
        f.session.reset();
        SecureProcessingPoint spp = f.spp(false);
        VaultException e = assertThrows(VaultException.class, () -> spp.provision(f.card, id));
        assertTrue(e.getMessage().contains("wipe it first"), e.getMessage());
        assertEquals("PACKAGED", f.card.select().stateName());
        spp.wipe(f.card);
        SecureProcessingPoint.Provisioned p = spp.provision(f.card, id);
        assertEquals(1, p.databaseVersion());
        assertEquals(2, p.packageVersion());
        assertTrue(DeviceInspector.verify(f.card, f.publicDb, null).ok());
    }

    @Test
    void provisionInterruptedBeforeStoreCertificateIsResumedByReRun() {
        SecureProcessingPoint spp = f.spp(false);
        // run a provision whose STORE CERTIFICATE never reaches the card (torn right before it)
        dev.cardsmith.transport.CardSession torn = new dev.cardsmith.transport.CardSession(new TearBefore(f.session.transport(), (byte) 0x32));
        VaultCard tornCard = new VaultCard(torn);
        assertThrows(dev.cardsmith.transport.TransportException.class, () -> spp.provision(tornCard, Imei.identityBytes(VaultFixture.IMEI)));
        assertEquals("PACKAGED", f.card.select().stateName());
        assertEquals(1, f.publicDb.history(f.card.info().chipIdHex()).size(), "backup stored before STORE CERTIFICATE");
        SecureProcessingPoint.Provisioned p = spp.provision(f.card, Imei.identityBytes(VaultFixture.IMEI));
        assertTrue(p.resumed());
        assertEquals(1, p.databaseVersion());
        assertEquals("PROVISIONED", f.card.info().stateName());
        assertTrue(DeviceInspector.verify(f.card, f.publicDb, null).ok());
    }

    /** A transport that loses the card (tear) when the given INS is sent. */
    record TearBefore(dev.cardsmith.transport.CardTransport inner, byte ins) implements dev.cardsmith.transport.CardTransport {
        @Override public byte[] transmit(byte[] apdu) {
            if (apdu.length > 1 && apdu[1] == ins) throw new dev.cardsmith.transport.TransportException("card removed");
            return inner.transmit(apdu);
        }
        @Override public byte[] atr() { return inner.atr(); }
        @Override public String name() { return "tear"; }
        @Override public void reset() { inner.reset(); }
        @Override public void close() { }
    }
}
