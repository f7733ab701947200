package dev.cardsmith.vault;

import dev.cardsmith.crypto.EcP256;
import dev.cardsmith.applet.vault.Constants;
import dev.cardsmith.crypto.Hex;
import dev.cardsmith.hsm.SoftwareHsm;
import dev.cardsmith.store.Database;
import dev.cardsmith.store.StoreException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The permanent public database (append-only), the key pool (secure store) and the HTTP service. */
class PublicDatabaseTest {

    @TempDir
    Path dir;
    Database db;
    PublicDatabase pub;
    static final byte[] CHIP = Hex.parse("00112233445566778899AABBCCDDEEFF");

    @BeforeEach
    void setUp() {
        db = Database.open("jdbc:sqlite:" + dir.resolve("public.db"));
        pub = new PublicDatabase(db);
    }

    BackupPackage backup(int version) {
        byte[] b = new byte[Constants.BACKUP_OVERHEAD + 144];
        b[0] = Constants.BACKUP_FORMAT;
        System.arraycopy(CHIP, 0, b, 1, 16);
        b[18] = (byte) version;
        return BackupPackage.parse(b);
    }

    DeviceCertificate cert(SoftwareHsm hsm) {
        return new VaultKeys(hsm).ensure().certify(CHIP, "490154203237518".getBytes(StandardCharsets.US_ASCII),
                EcP256.encode(EcP256.generate().getPublic()));
    }

    @Test
    void claim1_appendOnlyVersionsNeverOverwrite() {
        try (SoftwareHsm hsm = SoftwareHsm.open(dir.resolve("k.p12"), "x".toCharArray())) {
            assertEquals(1, pub.append(CHIP, "490154203237518", backup(1), cert(hsm)));
            assertEquals(2, pub.append(CHIP, "490154203237518", backup(2), cert(hsm)));
            List<DeviceRecord> h = pub.history(Hex.of(CHIP));
            assertEquals(2, h.size());
            assertEquals(1, h.get(0).packageVersion());
            assertEquals(2, pub.latest(Hex.of(CHIP)).orElseThrow().version());
            // rewriting an existing version fails in the database itself (unique chip_id, version)
            DeviceRecord again = new DeviceRecord(Hex.of(CHIP), 1, "x", 9, new byte[1], new byte[1], "now");
            assertThrows(StoreException.class, () -> db.inTransaction(c -> {
                PublicDatabase.insert(c, again);
                return null;
            }));
            assertEquals(1, pub.history(Hex.of(CHIP)).get(0).packageVersion());
            assertTrue(pub.latest("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF").isEmpty());
        }
    }

    /**
     * A database made before identity binding, holding the clone incident (one IMEI on three
     * chips): the public migration binds the IMEI to the chip that carried it first, the other
     * two are refused from then on, and the migration runs next to the systems' schema.
     */
    @Test
    void identityCloning_recordsFromBeforeTheBindingGoToTheFirstChip() throws Exception {
        Path file = dir.resolve("legacy.db");
        String url = "jdbc:sqlite:" + file;
        String[] chips = {"BB000000000000000000000000000000", "AA000000000000000000000000000000", "CC000000000000000000000000000000"};
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(url); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE vault_device (chip_id VARCHAR(32) NOT NULL, version INTEGER NOT NULL, device_identity VARCHAR(64) NOT NULL, "
                    + "package_version INTEGER NOT NULL, backup_hex VARCHAR(512) NOT NULL, certificate_hex VARCHAR(512) NOT NULL, "
                    + "created_at VARCHAR(40) NOT NULL, PRIMARY KEY (chip_id, version))");
            for (int i = 0; i < chips.length; i++) {
                st.execute("INSERT INTO vault_device VALUES ('" + chips[i] + "', 1, '490154203237518', 1, '00', '00', '2026-01-0" + (i + 1) + "T00:00:00Z')");
            }
        }
        PublicDatabase legacy = PublicDatabase.open(url);
        assertEquals(chips[0], legacy.boundChip("490154203237518").orElseThrow(), "the first chip keeps the identity");
        assertEquals("bind", legacy.identityHistory("490154203237518").get(0).action());
        VaultException e = assertThrows(VaultException.class, () -> legacy.bindIdentity("490154203237518", chips[2]));
        assertEquals(VaultException.Kind.IDENTITY_BOUND, e.kind());
        legacy.bindIdentity("490154203237518", chips[0]); // a re-run on the bound chip is a no-op
        assertEquals(1, legacy.identityHistory("490154203237518").size());
        // the systems' schema and the public one side by side (an operator who names one --db)
        Database both = Database.open("jdbc:sqlite:" + dir.resolve("both.db"));
        PublicDatabase inBoth = new PublicDatabase(both);
        inBoth.bindIdentity("490154203237518", chips[1]);
        assertEquals(chips[1], new PublicDatabase(Database.open(both.url())).boundChip("490154203237518").orElseThrow());
    }

    @Test
    void claim7_poolKeysAreWrappedAndDeletedAfterUse() throws Exception {
        Database secure = Database.open("jdbc:sqlite:" + dir.resolve("secure.db"));
        try (SoftwareHsm hsm = SoftwareHsm.open(dir.resolve("k.p12"), "x".toCharArray())) {
            KeyPool pool = new KeyPool(secure, hsm);
            assertEquals(3, pool.generate(3));
            KeyPool.Entry e = pool.reserve(Hex.of(CHIP));
            assertEquals(2, pool.available());
            assertEquals(1, pool.count("RESERVED"));
            String priv = Hex.of(e.privateKey());
            // the secure store never holds the private key in clear
            String dump = secure.inTransaction(c -> {
                StringBuilder sb = new StringBuilder();
                try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT wrapped_private_hex, public_key_hex FROM vault_key_pool")) {
                    while (rs.next()) sb.append(rs.getString(1)).append(rs.getString(2));
                }
                return sb.toString();
            });
            assertFalse(dump.contains(priv));
            assertFalse(new String(Files.readAllBytes(dir.resolve("secure.db")), StandardCharsets.ISO_8859_1).contains(priv));
            // the key pair is a real pair
            java.security.Signature s = java.security.Signature.getInstance("SHA256withECDSA");
            pool.release(e.id());
            assertEquals(3, pool.available());
            KeyPool.Entry e2 = pool.reserve(Hex.of(CHIP));
            pool.delete(e2.id());
            assertFalse(pool.contains(e2.id()));
            assertEquals(2, pool.available());
            assertNotNull(s);
            // a wrapped key swapped onto another row does not unwrap (AAD binds id and public key)
            secure.inTransaction(c -> {
                try (Statement st = c.createStatement()) {
                    st.executeUpdate("UPDATE vault_key_pool SET wrapped_private_hex = (SELECT MIN(wrapped_private_hex) FROM vault_key_pool)");
                }
                return null;
            });
            VaultException bad = null;
            for (int i = 0; i < 2; i++) {
                try {
                    pool.reserve(Hex.of(CHIP));
                } catch (VaultException ex) {
                    bad = ex;
                }
            }
            assertNotNull(bad, "a swapped wrapped key must not unwrap");
        }
    }

    @Test
    void claim17_httpServiceIsReadOnlyJson() throws Exception {
        try (SoftwareHsm hsm = SoftwareHsm.open(dir.resolve("k.p12"), "x".toCharArray());
             PublicDbHttpServer server = PublicDbHttpServer.start(pub, 0)) {
            pub.append(CHIP, "490154203237518", backup(1), cert(hsm));
            HttpClient http = HttpClient.newHttpClient();
            String base = server.url();
            HttpResponse<String> ok = http.send(HttpRequest.newBuilder(URI.create(base + "/chips/" + Hex.of(CHIP) + "/backup")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, ok.statusCode());
            assertTrue(ok.body().contains("\"packageVersion\":1"), ok.body());
            assertEquals(200, http.send(HttpRequest.newBuilder(URI.create(base + "/chips/" + Hex.of(CHIP).toLowerCase() + "/certificate")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode());
            assertEquals(404, http.send(HttpRequest.newBuilder(URI.create(base + "/chips/FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF/backup")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode());
            assertEquals(400, http.send(HttpRequest.newBuilder(URI.create(base + "/chips/xyz/backup")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode());
            assertEquals(404, http.send(HttpRequest.newBuilder(URI.create(base + "/")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode());
            assertEquals(405, http.send(HttpRequest.newBuilder(URI.create(base + "/chips/" + Hex.of(CHIP) + "/backup"))
                    .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString()).statusCode());
            DeviceRecord viaHttp = new PublicDbHttpClient(base).latest(Hex.of(CHIP)).orElseThrow();
            DeviceRecord viaJdbc = pub.latest(Hex.of(CHIP)).orElseThrow();
            assertArrayEquals(viaJdbc.backup(), viaHttp.backup());
            assertArrayEquals(viaJdbc.certificate(), viaHttp.certificate());
            assertEquals("490154203237518", viaHttp.identity());
            assertTrue(new PublicDbHttpClient(base).latest("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF").isEmpty());
        }
        assertThrows(IllegalArgumentException.class, () -> new PublicDbHttpClient("ftp://x"));
    }
}
