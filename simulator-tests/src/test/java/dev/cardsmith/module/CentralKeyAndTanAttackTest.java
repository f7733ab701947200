package dev.cardsmith.module;

import dev.cardsmith.hsm.Hsm;
import dev.cardsmith.hsm.HsmFactory;
import dev.cardsmith.store.Database;
import org.junit.jupiter.api.Test;

import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The central system's and the perso unit's secrets against the attackers of
 * docs/threat-model.md (Module): a restart (or a crash) must not lose the transaction keys,
 * the central system's key agreement runs in the HSM, an insider with a copy of the database
 * cannot brute-force a TAN offline (that the TAN never crosses the remote link in clear is
 * ModuleRemoteTest.claims14and15_remotePersonalizationThroughTheAppliance).
 */
class CentralKeyAndTanAttackTest extends EnrolledModuleTest {

    @Override
    boolean personalizedAtStart() {
        return true;
    }

    /** The same HSM keystore and database as the fixture, opened again: a restarted central system. */
    private CentralSystem restarted(List<AutoCloseable> open) {
        Hsm hsm = HsmFactory.open("pkcs12:" + dir.resolve("keystore.p12"), "test".toCharArray());
        open.add(hsm);
        Database db = Database.open("jdbc:sqlite:" + dir.resolve("cardsmith.db"));
        return new CentralSystem(new CertificateAuthority(hsm, new ModuleStore(db)));
    }

    @Test
    void restartOfTheCentralSystemDoesNotLoseTheTransactionKey() throws Exception {
        new CentralSystem(f.ca).authenticate(f.card(true), ModuleFixture.TODAY);
        List<AutoCloseable> open = new ArrayList<>();
        try {
            CentralSystem afterRestart = restarted(open);
            afterRestart.transact(f.card(false), moduleId, "after restart".getBytes(StandardCharsets.UTF_8));
            afterRestart.transact(f.card(false), moduleId, "again".getBytes(StandardCharsets.UTF_8));
            // and the replay counter survives too: a second restart continues at 3, which the module accepts
            restarted(open).transact(f.card(false), moduleId, "third".getBytes(StandardCharsets.UTF_8));
            assertEquals(3, f.status().transactionCounter());
        } finally {
            for (AutoCloseable c : open) c.close();
        }
    }

    @Test
    void centralSystemEcdhKeyLivesInTheHsm() {
        List<String> calls = new ArrayList<>();
        Hsm recording = (Hsm) Proxy.newProxyInstance(Hsm.class.getClassLoader(), new Class<?>[]{Hsm.class}, (proxy, m, args) -> {
            calls.add(m.getName() + (args != null && args.length > 0 && args[0] instanceof String s ? " " + s : ""));
            try {
                return m.invoke(f.hsm, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        });
        new CentralSystem(new CertificateAuthority(recording, f.store)).authenticate(f.card(true), ModuleFixture.TODAY);
        String eph = calls.stream().filter(c -> c.startsWith("generateEcdhKeyPair ")).map(c -> c.substring(20)).findFirst()
                .orElseThrow(() -> new AssertionError("the central system formed its ECDH key outside the HSM: " + calls));
        assertEquals(2, calls.stream().filter(c -> c.equals("ecdh " + eph)).count(), "both agreements in the HSM: " + calls);
        assertTrue(calls.contains("delete " + eph), "the ephemeral key is destroyed after use");
        assertFalse(f.hsm.contains(eph));
        assertTrue(f.hsm.contains(CentralSystem.TX_KEY_PREFIX + moduleId), "the transaction key is an HSM key");
    }

    private List<String[]> storedTans() {
        return f.db.inTransaction(conn -> {
            List<String[]> out = new ArrayList<>();
            try (PreparedStatement q = conn.prepareStatement("SELECT salt, hash FROM module_tan WHERE status = 'ISSUED'");
                 ResultSet rs = q.executeQuery()) {
                while (rs.next()) out.add(new String[]{rs.getString(1), rs.getString(2)});
            }
            return out;
        });
    }

    /**
     * An insider copies the database and tests TAN candidates offline. Under the scheme of V4
     * (PBKDF2-HMAC-SHA256, 20,000 iterations, 8 digits) one GPU tests all 10^8 candidates in
     * minutes (docs/module.md "TANs"); here even the right TAN tried with that scheme must not
     * match, and neither with a CMAC key of the attacker's own: the stored value needs the HSM.
     */
    @Test
    void offlineBruteForceOfTanHashesFromADatabaseCopyFails() throws Exception {
        String tan = f.issueTan(moduleId);
        List<String[]> rows = storedTans();
        assertEquals(1, rows.size());
        byte[] salt = HexFormat.of().parseHex(rows.get(0)[0]);
        byte[] stored = HexFormat.of().parseHex(rows.get(0)[1]);
        byte[] pbkdf2 = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256")
                .generateSecret(new PBEKeySpec(tan.toCharArray(), salt, 20_000, 256)).getEncoded();
        assertFalse(java.util.Arrays.equals(pbkdf2, stored), "the stored TAN hash is PBKDF2 of the TAN: a database copy is enough to brute-force it");
        try (Hsm attacker = HsmFactory.open("pkcs12:" + dir.resolve("attacker.p12"), "x".toCharArray())) {
            attacker.generateAesKey(CertificateAuthority.TAN_KEY_LABEL, 256);
            assertFalse(java.util.Arrays.equals(TanIssuer.hash(attacker, moduleId, salt, tan), stored), "the TAN hash does not depend on the HSM key");
        }
        assertTrue(java.util.Arrays.equals(TanIssuer.hash(f.hsm, moduleId, salt, tan), stored), "the perso unit's HSM checks it");
        // and the TAN is still accepted the normal way
        f.release();
        f.enterTan(tan);
        new PersonalizationUnit(f.ca).personalize(f.card(true), ModuleFixture.TODAY, null);
        assertEquals(2, f.store.countTans(moduleId, "USED")); // the one of setUp and this one
    }
}
