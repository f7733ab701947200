package dev.cardsmith.ota;

import dev.cardsmith.applet.sim.Constants;
import dev.cardsmith.crypto.Hex;
import dev.cardsmith.hsm.SoftwareHsm;
import dev.cardsmith.store.Database;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.LocalDate;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** {@link OtaServer#send(SmsBearer, OtaServer.OtaMessage)}: where the PoR comes from and what is refused. */
class OtaServerBearerTest {

    @TempDir
    Path dir;
    Database db;
    SoftwareHsm hsm;
    OtaServer server;

    static final LocalDate DAY = LocalDate.of(2026, 11, 24);

    @BeforeEach
    void setUp() {
        db = Database.open("jdbc:sqlite:" + dir.resolve("b.db"));
        hsm = SoftwareHsm.open(dir.resolve("b.p12"), "pw".toCharArray());
        OtaStore.createKek(hsm);
        server = new OtaServer(new OtaStore(db, hsm));
        server.store().register("sim1", DevKeys.keys(), Spi.CounterMode.HIGHER);
    }

    @AfterEach
    void tearDown() { hsm.close(); }

    static byte[] por(long counter) { return ResponsePacket.encode(DevKeys.keys(), true, true, counter, 0, Hex.parse("019000")); }

    String state(String id) throws Exception {
        try (Connection c = db.connect(); ResultSet rs = c.createStatement().executeQuery("SELECT state FROM ota_message WHERE id = '" + id + "'")) {
            assertTrue(rs.next());
            return rs.getString(1);
        }
    }

    @Test
    void porFromTheDeliveryReport() throws Exception {
        OtaServer.OtaMessage m = server.update("sim1", DAY);
        assertFalse(m.spi().porBySubmit());
        assertTrue(server.send((SmsBearer) t -> new SmsBearer.Delivery(por(m.counter()), List.of()), m).compact().ok());
        assertEquals("DONE", state(m.id()));
    }

    @Test
    void porFromTheSmsSubmit_whenTheSpiAskedForIt() {
        OtaServer bySubmit = server.porBySubmit(true);
        OtaServer.OtaMessage m = bySubmit.update("sim1", DAY);
        assertEquals(Constants.SPI2_POR_VIA_SUBMIT, m.spi().second() & Constants.SPI2_POR_VIA_SUBMIT, "SPI octet 2 b6");
        byte[] other = SmsPp.submit("+4917000000", 1, Hex.parse("0001020304"));
        byte[] submit = SmsPp.submit("+4917000000", 2, por(m.counter()));
        assertTrue(bySubmit.send((SmsBearer) t -> new SmsBearer.Delivery(new byte[0], List.of(other, submit)), m).compact().ok());
    }

    @Test
    void noPor_isAnError_andTheMessageSaysSo() throws Exception {
        OtaServer.OtaMessage m = server.update("sim1", DAY);
        OtaSecurityException e = assertThrows(OtaSecurityException.class, () -> server.send((SmsBearer) t -> new SmsBearer.Delivery(null, List.of()), m));
        assertTrue(e.getMessage().contains("no proof of receipt"), e.getMessage());
        assertEquals("NO_POR", state(m.id()));
    }

    @Test
    void porOfAnotherCounterOrAnotherTar_isRefused() throws Exception {
        OtaServer.OtaMessage m = server.update("sim1", DAY);
        assertThrows(OtaSecurityException.class, () -> server.send((SmsBearer) t -> new SmsBearer.Delivery(por(m.counter() + 1), List.of()), m));
        OtaKeys otherTar = OtaKeys.aes(DevKeys.KIC_INDEX, DevKeys.KIC, DevKeys.KID_INDEX, DevKeys.KID, Hex.parse("B00000"));
        byte[] foreign = ResponsePacket.encode(otherTar, true, true, m.counter(), 0, Hex.parse("019000"));
        OtaSecurityException e = assertThrows(OtaSecurityException.class, () -> server.send((SmsBearer) t -> new SmsBearer.Delivery(foreign, List.of()), m));
        assertEquals(Constants.POR_TAR_UNKNOWN, e.status());
        assertEquals("REJECTED", state(m.id()));
    }

    @Test
    void theBearerGetsTheServersSmsDeliverTpdus() {
        OtaServer.OtaMessage m = server.initTrustEc("sim1", ecPoint(), "490154203237518", 12, DAY.plusDays(30), 90, DAY);
        List<byte[]>[] got = new List[1];
        server.send((SmsBearer) t -> {
            got[0] = t;
            return new SmsBearer.Delivery(por(m.counter()), List.of());
        }, m);
        assertEquals(2, got[0].size(), "concatenated");
        for (byte[] t : got[0]) assertTrue(SmsPp.parseDeliver(t).simDataDownload());
    }

    static byte[] ecPoint() {
        byte[] p = new byte[65];
        p[0] = 4;
        return p;
    }
}
