package dev.cardsmith.module;

import dev.cardsmith.support.CardTest;
import dev.cardsmith.applet.platform.Sw;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.cardsmith.transport.ApduChannel;
import dev.cardsmith.transport.ApduRelay;

import javax.smartcardio.CommandAPDU;
import javax.smartcardio.ResponseAPDU;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Remote personalization and central sessions over the loopback relay (claims 12, 14, 15). */
@CardTest
class ModuleRemoteTest {

    @TempDir
    Path dir;
    ModuleFixture f;
    String moduleId;
    final List<ApduRelay.Server> servers = new ArrayList<>();

    @BeforeEach
    void setUp() {
        f = new ModuleFixture(dir);
        moduleId = f.enroll();
        f.select();
        // the appliances of these tests sign with a key in the fixture's keystore (claim 14)
        byte[] key = ApplianceIdentity.publicKey(f.hsm);
        f.store.registerAppliance("appliance-7", key);
        f.store.registerAppliance("a", key);
    }

    @AfterEach
    void tearDown() {
        servers.forEach(ApduRelay.Server::close);
        f.close();
    }

    private ApduRelay.Server start(ApduRelay.Handler h) {
        ApduRelay.Server s = new ApduRelay.Server("127.0.0.1", 0, h);
        servers.add(s);
        s.start();
        return s;
    }

    @Test
    void claims14and15_remotePersonalizationThroughTheAppliance() {
        PersonalizationUnit unit = new PersonalizationUnit(f.ca);
        // the relay records what crosses the network: the TAN must never appear in clear
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        ApduRelay.Server s = start((hello, card) -> unit.relayHandler(Set.of("appliance-7"), () -> ModuleFixture.TODAY).handle(hello, new ApduChannel() {
            @Override public ResponseAPDU transmit(CommandAPDU c) {
                ResponseAPDU r = card.transmit(c);
                wire.writeBytes(c.getBytes());
                wire.writeBytes(r.getBytes());
                return r;
            }
            @Override public boolean extendedLength() { return card.extendedLength(); }
        }));
        String tan = f.issueTan(moduleId);
        Map<String, Object> r = new LocalModule(f.session).personalizeRemote("127.0.0.1", s.port(), f.hsm, "appliance-7", tan, true);
        assertEquals(moduleId, r.get("module"));
        assertEquals("appliance-7", r.get("appliance"));
        assertTrue(f.status().operating());
        assertEquals(4, ((Number) r.get("apdus")).intValue()); // TAN entry locally + 3 relayed commands
        assertFalse(new String(wire.toByteArray(), StandardCharsets.ISO_8859_1).contains(tan), "TAN crossed the relay in clear");
        assertEquals("appliance-7", f.store.module(moduleId).orElseThrow().appliance());
    }

    @Test
    void claim14_unregisteredApplianceIsRefused() {
        PersonalizationUnit unit = new PersonalizationUnit(f.ca);
        ApduRelay.Server s = start(unit.relayHandler(Set.of("appliance-7"), () -> ModuleFixture.TODAY));
        ModuleException e = assertThrows(ModuleException.class,
                () -> new LocalModule(f.session).personalizeRemote("127.0.0.1", s.port(), f.hsm, "stranger", f.issueTan(moduleId), true));
        assertTrue(e.getMessage().contains("not registered"), e.getMessage());
        assertFalse(f.status().operating());
    }

    private ApduRelay.Server startOn(int port, ApduRelay.Handler h) {
        ApduRelay.Server s = new ApduRelay.Server("127.0.0.1", port, h);
        servers.add(s);
        s.start();
        return s;
    }

    /** Appliance impersonation: a HELLO that only names a registered appliance, unsigned. */
    @Test
    void claim14_selfDeclaredApplianceIdIsRefused() {
        ApduRelay.Server s = startOn(0, new PersonalizationUnit(f.ca).relayHandler(Set.of("appliance-7"), () -> ModuleFixture.TODAY));
        f.enterTan(f.issueTan(moduleId));
        assertThrows(ApduRelay.RelayException.class,
                () -> ApduRelay.connect("127.0.0.1", s.port(), Map.of("appliance", "appliance-7"), f.session, true));
        assertFalse(f.status().operating(), "a self-declared appliance id was served");
    }

    @Test
    void claim14_applianceImpersonationWithAnotherKeyIsRefused() {
        ApduRelay.Server s = startOn(0, new PersonalizationUnit(f.ca).relayHandler(Set.of(), () -> ModuleFixture.TODAY));
        f.enterTan(f.issueTan(moduleId));
        try (dev.cardsmith.hsm.Hsm attacker = dev.cardsmith.hsm.HsmFactory.open("pkcs12:" + dir.resolve("attacker.p12"), "x".toCharArray())) {
            Map<String, Object> hello = ApplianceIdentity.sign(attacker, "perso", "appliance-7", java.time.Instant.now());
            ApduRelay.RelayException e = assertThrows(ApduRelay.RelayException.class,
                    () -> ApduRelay.connect("127.0.0.1", s.port(), hello, f.session, true));
            assertTrue(e.getMessage().contains("does not verify"), e.getMessage());
        }
        assertFalse(f.status().operating());
    }

    @Test
    void claim14_replayedOrStaleHelloIsRefused() {
        ApduRelay.Server s = startOn(0, new PersonalizationUnit(f.ca).relayHandler(Set.of(), () -> ModuleFixture.TODAY));
        Map<String, Object> hello = ApplianceIdentity.sign(f.hsm, "perso", "appliance-7", java.time.Instant.now());
        f.enterTan(f.issueTan(moduleId));
        ApduRelay.connect("127.0.0.1", s.port(), hello, f.session, true); // the genuine session
        assertTrue(f.status().operating());
        f.release();
        f.enterTan(f.issueTan(moduleId));
        ApduRelay.RelayException e = assertThrows(ApduRelay.RelayException.class,
                () -> ApduRelay.connect("127.0.0.1", s.port(), hello, f.session, true));
        assertTrue(e.getMessage().contains("replayed"), e.getMessage());
        Map<String, Object> stale = ApplianceIdentity.sign(f.hsm, "perso", "appliance-7", java.time.Instant.now().minusSeconds(3600));
        e = assertThrows(ApduRelay.RelayException.class, () -> ApduRelay.connect("127.0.0.1", s.port(), stale, f.session, true));
        assertTrue(e.getMessage().contains("time window"), e.getMessage());
        // signed for the central system, not for this perso unit
        Map<String, Object> other = ApplianceIdentity.sign(f.hsm, "central", "appliance-7", java.time.Instant.now());
        e = assertThrows(ApduRelay.RelayException.class, () -> ApduRelay.connect("127.0.0.1", s.port(), other, f.session, true));
        assertTrue(e.getMessage().contains("does not verify"), e.getMessage());
        assertFalse(f.status().operating());
    }

    @Test
    void claim15_relayThatAltersTrafficIsDetected() {
        PersonalizationUnit unit = new PersonalizationUnit(f.ca);
        // a man in the middle flips a byte of the protected STORE CERTS command
        ApduRelay.Server s = start((hello, card) -> unit.relayHandler(Set.of(), () -> ModuleFixture.TODAY).handle(hello, c -> {
            if (c.getINS() == 0x26) {
                byte[] b = c.getBytes();
                b[20] ^= 1;
                c = new CommandAPDU(b);
            }
            return card.transmit(c);
        }));
        ModuleException e = assertThrows(ModuleException.class,
                () -> new LocalModule(f.session).personalizeRemote("127.0.0.1", s.port(), f.hsm, "a", f.issueTan(moduleId), true));
        assertTrue(e.getMessage().contains(String.format("%04X", Sw.SECURITY_STATUS_NOT_SATISFIED)), e.getMessage()); // a wrong C-MAC
        assertFalse(f.status().operating());
    }

    @Test
    void remotePersonalizationWithShortApdusThenCentralSession() {
        PersonalizationUnit unit = new PersonalizationUnit(f.ca);
        ApduRelay.Server perso = start(unit.relayHandler(Set.of(), () -> ModuleFixture.TODAY));
        new LocalModule(f.session).personalizeRemote("127.0.0.1", perso.port(), f.hsm, "a", f.issueTan(moduleId), false);
        assertTrue(f.status().operating());

        CentralSystem central = new CentralSystem(f.ca);
        ApduRelay.Server cs = start(central.relayHandler(() -> ModuleFixture.TODAY));
        Map<String, Object> r = new LocalModule(f.session).connectCentral("127.0.0.1", cs.port(), "a", "pay 42", true);
        assertEquals(moduleId, r.get("module"));
        assertEquals(Boolean.TRUE, r.get("authenticated"));
        assertEquals(1, ((Number) r.get("transactionCounter")).intValue());
        assertEquals(32, r.get("receipt").toString().length());
        assertEquals(1, f.status().transactionCounter());
    }
}
