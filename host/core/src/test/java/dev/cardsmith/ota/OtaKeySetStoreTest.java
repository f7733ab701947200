package dev.cardsmith.ota;

import dev.cardsmith.crypto.Hex;
import dev.cardsmith.hsm.SoftwareHsm;
import dev.cardsmith.store.Database;
import dev.cardsmith.store.StoreException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.LocalDate;

import static org.junit.jupiter.api.Assertions.*;

/** Several key sets per SIM in the store (V9__ota_keysets.sql), chosen per message by key index. */
class OtaKeySetStoreTest {

    @TempDir
    Path dir;

    static final byte[] K24C = Hex.parse("400102030405060708090A0B0C0D0E0F1011121314151617");
    static final byte[] K24D = Hex.parse("410102030405060708090A0B0C0D0E0F1011121314151617");
    static final OtaKeys SET2 = new OtaKeys(OtaKeys.Algorithm.TDES3, 2, K24C, 2, K24D, DevKeys.TAR, OtaKeys.Crc.CRC16);

    Database db;
    SoftwareHsm hsm;
    /** A store with SIM "sim1" registered under the DEV key set. */
    OtaStore store;

    @BeforeEach
    void setUp() {
        db = Database.open("jdbc:sqlite:" + dir.resolve("k.db"));
        hsm = SoftwareHsm.open(dir.resolve("k.p12"), "pw".toCharArray());
        OtaStore.createKek(hsm);
        store = new OtaStore(db, hsm);
        store.register("sim1", DevKeys.keys(), Spi.CounterMode.HIGHER);
    }

    @AfterEach
    void tearDown() { hsm.close(); }

    @Test
    void addedKeySetIsStoredWrapped_reloaded_andUsedByIndex() throws Exception {
        store.addKeySet("sim1", SET2);
        OtaStore.SimRecord sim = new OtaStore(db, hsm).require("sim1");
        assertEquals(DevKeys.keys(), sim.keys(), "the default set is unchanged");
        assertEquals(SET2, sim.keySet(2));
        assertEquals(DevKeys.keys(), sim.keySet(0));
        assertEquals(2, sim.keySets().all().size());
        assertThrows(StoreException.class, () -> sim.keySet(3));
        try (Connection c = db.connect(); ResultSet rs = c.createStatement().executeQuery("SELECT keys_wrapped FROM ota_keyset")) {
            assertTrue(rs.next());
            assertFalse(rs.getString(1).contains(Hex.of(K24C)), "no key in clear");
        }
        OtaServer server = new OtaServer(store).usingKeySet(2);
        OtaServer.OtaMessage m = server.update("sim1", LocalDate.of(2026, 11, 24));
        assertEquals(SET2.kicByte(), m.packet()[5] & 0xFF, "KIc names key set 2, three-key 3DES");
        assertEquals(2, m.keySet());
        assertArrayEquals(RemoteCommands.create().setDate(LocalDate.of(2026, 11, 24)).requestUpdate().bytes(),
                CommandPacket.decode(sim.keySets(), m.packet()).data(), "the SIM's key sets open it");
        assertThrows(OtaSecurityException.class, () -> CommandPacket.decode(DevKeys.keys(), m.packet()), "the default set does not");
        try (Connection c = db.connect(); ResultSet rs = c.createStatement().executeQuery("SELECT key_index FROM ota_message")) {
            assertTrue(rs.next());
            assertEquals(2, rs.getInt(1));
        }
        // the PoR of that message is checked under key set 2 as well
        byte[] por = ResponsePacket.encode(SET2, true, true, m.counter(), 0, Hex.parse("019000"));
        assertTrue(server.readPor(m, por).ok());
        assertThrows(OtaSecurityException.class, () -> server.readPor(m, ResponsePacket.encode(DevKeys.keys(), true, true, m.counter(), 0, Hex.parse("019000"))));
    }

    @Test
    void keySetsRefused_duplicateIndex_otherTar_splitIndex_unknownSim() {
        assertThrows(StoreException.class, () -> store.addKeySet("sim1", OtaKeys.aes(1, new byte[16], 1, new byte[16], DevKeys.TAR)), "index of the default set");
        store.addKeySet("sim1", SET2);
        assertThrows(StoreException.class, () -> store.addKeySet("sim1", SET2), "index 2 twice");
        assertThrows(StoreException.class, () -> store.addKeySet("sim1", OtaKeys.aes(3, new byte[16], 3, new byte[16], Hex.parse("B00000"))), "other TAR");
        assertThrows(StoreException.class, () -> store.addKeySet("sim1", OtaKeys.aes(4, new byte[16], 5, new byte[16], DevKeys.TAR)), "KIc and KID index differ");
        assertThrows(StoreException.class, () -> store.addKeySet("nope", SET2));
        assertThrows(StoreException.class, () -> new OtaServer(store).usingKeySet(9).status("sim1", LocalDate.of(2026, 1, 1)));
    }

    /** The wrapped row is bound to its SIM and index: copied to another index it does not unwrap. */
    @Test
    void wrappedKeySetMovedToAnotherIndex_doesNotUnwrap() throws Exception {
        store.addKeySet("sim1", SET2);
        try (Connection c = db.connect()) {
            c.createStatement().executeUpdate("UPDATE ota_keyset SET key_index = 3");
        }
        assertThrows(StoreException.class, () -> store.require("sim1"));
    }
}
