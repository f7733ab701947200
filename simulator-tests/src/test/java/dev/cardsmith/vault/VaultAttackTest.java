package dev.cardsmith.vault;

import dev.cardsmith.applet.vault.Constants;
import dev.cardsmith.codec.Imei;
import dev.cardsmith.support.CardTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Issue 13, vault part: one test per attack of docs/threat-model.md (Vault), named after it.
 * Each failed on c8c0e15 (the message is in the closing note) and passes here.
 */
@CardTest
class VaultAttackTest {

    @TempDir
    Path dir;
    VaultFixture f;

    @BeforeEach
    void setUp() {
        f = new VaultFixture(dir);
    }

    @AfterEach
    void tearDown() {
        f.close();
    }

    // ---- identity cloning: one IMEI on several chips -------------------------------------------

    @Test
    void identityCloning_sameImeiOnASecondChipIsRefused() {
        SecureProcessingPoint spp = f.spp(false);
        String first = spp.provision(f.card, Imei.identityBytes(VaultFixture.IMEI)).chipId();
        VaultCard clone = f.newCard(new byte[0]);
        String cloneChip = clone.select().chipIdHex();

        VaultException e = assertThrows(VaultException.class, () -> spp.provision(clone, Imei.identityBytes(VaultFixture.IMEI)),
                "a second chip was provisioned and certified with an IMEI already bound to chip " + first);
        assertEquals(VaultException.Kind.IDENTITY_BOUND, e.kind());
        assertTrue(e.getMessage().contains("already bound to chip " + first) && e.getMessage().contains("device reassign"), e.getMessage());
        assertEquals(Constants.STATE_EMPTY, clone.select().state(), "the refused chip must not have been written");
        assertTrue(f.publicDb.history(cloneChip).isEmpty(), "no public record for the refused chip");
    }

    @Test
    void identityCloning_reassignIsExplicitAndKeepsTheHistory() {
        SecureProcessingPoint spp = f.spp(false);
        String first = spp.provision(f.card, Imei.identityBytes(VaultFixture.IMEI)).chipId();
        spp.wipe(f.card);
        VaultCard replacement = f.newCard(new byte[0]);
        String second = replacement.select().chipIdHex();
        assertThrows(VaultException.class, () -> spp.provision(replacement, Imei.identityBytes(VaultFixture.IMEI)));

        assertEquals(first, f.publicDb.reassign(VaultFixture.IMEI, second, "chip replaced, ticket 4711"));
        assertEquals(second, spp.provision(replacement, Imei.identityBytes(VaultFixture.IMEI)).chipId());
        List<PublicDatabase.Binding> h = f.publicDb.identityHistory(VaultFixture.IMEI);
        assertEquals(2, h.size(), h.toString());
        assertEquals("bind", h.get(0).action());
        assertEquals(first, h.get(0).chipId());
        assertEquals("reassign", h.get(1).action());
        assertEquals(second, h.get(1).chipId());
        assertEquals(first, h.get(1).previousChipId());
        assertEquals("chip replaced, ticket 4711", h.get(1).reason());
        assertEquals(1, f.publicDb.history(first).size(), "the old chip's device record stays");

        // and now the old chip is the clone
        VaultException again = assertThrows(VaultException.class,
                () -> f.publicDb.bindIdentity(VaultFixture.IMEI, first));
        assertEquals(VaultException.Kind.IDENTITY_BOUND, again.kind());
        assertThrows(VaultException.class, () -> f.publicDb.reassign(VaultFixture.IMEI, second, "same chip"));
        assertThrows(VaultException.class, () -> f.publicDb.reassign(VaultFixture.IMEI2, first, "never bound"));
        assertThrows(VaultException.class, () -> f.publicDb.reassign(VaultFixture.IMEI, first, " "));
    }
}
