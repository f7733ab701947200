package dev.cardsmith.module;

import dev.cardsmith.hsm.Hsm;
import dev.cardsmith.hsm.SoftHsmFixture;
import dev.cardsmith.store.Database;
import dev.cardsmith.support.CardTest;
import dev.cardsmith.transport.CardSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The central system on a PKCS#11 HSM (SoftHSM2; skipped without it unless
 * CARDSMITH_REQUIRE_SOFTHSM=1): its ephemeral ECDH key is a token session object (CKM_ECDH1_DERIVE),
 * the agreed transaction key a token object; a restart (a new session on the token, the store
 * reopened) goes on transacting; a release destroys the key.
 */
@CardTest
class CentralSystemPkcs11Test {

    @TempDir
    Path dir;

    @Test
    void centralSystemOnSoftHsm2KeepsTheTransactionKeyInTheTokenAcrossARestart() {
        SoftHsmFixture.require();
        String db = "jdbc:sqlite:" + dir.resolve("cardsmith.db");
        String moduleId;
        try (Hsm hsm = SoftHsmFixture.open(SoftHsmFixture.TOKEN); CardSession session = ModuleFixture.newCard()) {
            CertificateAuthority ca = new CertificateAuthority(hsm, new ModuleStore(Database.open(db)));
            ca.init(ModuleFixture.TODAY);
            moduleId = new Manufacturing(ca).enroll(session, ModuleFixture.TODAY).moduleId();
            LocalModule module = new LocalModule(session).select();
            module.personalize(new PersonalizationUnit(ca), new TanIssuer(ca).issue(moduleId, 1).get(0), true, ModuleFixture.TODAY);
            new CentralSystem(ca).authenticate(module.card(true), ModuleFixture.TODAY);
            assertTrue(hsm.contains(CentralSystem.TX_KEY_PREFIX + moduleId));
            try (Hsm restarted = SoftHsmFixture.open(SoftHsmFixture.TOKEN)) {
                CentralSystem again = new CentralSystem(new CertificateAuthority(restarted, new ModuleStore(Database.open(db))));
                again.transact(module.card(false), moduleId, "after restart".getBytes(StandardCharsets.UTF_8));
                assertEquals(1, module.status().transactionCounter());
                assertEquals(moduleId, again.release(module.card(true)));
                assertFalse(restarted.contains(CentralSystem.TX_KEY_PREFIX + moduleId), "the released module's key left in the token");
            }
        }
    }
}
