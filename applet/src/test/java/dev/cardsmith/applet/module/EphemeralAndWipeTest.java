package dev.cardsmith.applet.module;

import javacard.security.ECPrivateKey;
import javacard.security.KeyAgreement;
import dev.cardsmith.applet.AppletHarness;
import dev.cardsmith.applet.JdkEc;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Review findings on the module's key hygiene.
 *
 * <p>Ephemeral keys: they were a persistent KeyPair, regenerated (EEPROM write) on every
 * unauthenticated CENTRAL AUTHENTICATE. Now the private part is a CLEAR_ON_DESELECT transient key
 * where the platform has TYPE_EC_FP_PRIVATE_TRANSIENT_DESELECT, otherwise (jCardSim 3.0.5) a
 * persistent key cleared right after the agreement; with PLAIN_XY the public point goes to RAM.
 *
 * <p>ENTER PERSONALIZATION cleared the old module key objects after its commit: a tear between
 * the two left the old private bytes in EEPROM, flagged unset, until the next personalization.
 * Now a committed wipePending flag makes the next command (any, SELECT included) finish the wipe.
 */
class EphemeralAndWipeTest {

    private static final byte[] AID_BYTES = {(byte) 0xF0, 0x43, 0x53, 0x4D, 0x54, 0x02, 0x01};
    private AppletHarness card;

    @BeforeEach
    void install() {
        card = new AppletHarness(AID_BYTES, ModuleApplet.class);
    }

    @AfterEach
    void reset() {
        card.close();
    }

    private ModuleApplet applet() throws ReflectiveOperationException {
        return (ModuleApplet) card.applet();
    }

    private static Object field(Object o, String name) throws ReflectiveOperationException {
        return AppletHarness.field(o, name);
    }

    @Test
    void ephemeralKeyAgreesWithItsPointAndIsClearedAfterUse() throws Exception {
        Crypto c = (Crypto) field(applet(), "crypto");
        // jCardSim 3.0.5 has no transient EC type: the persistent fallback is what runs here
        assertFalse(c.eTransient);
        java.security.KeyPair host = JdkEc.generate();
        byte[] hostPoint = JdkEc.point(host.getPublic());
        byte[] ram = new byte[160];
        for (int i = 0; i < 50; i++) {
            c.newEphemeral(ram, (short) 0, ram, (short) 80);
            byte[] w = Arrays.copyOf(ram, 65);
            byte[] card = new byte[32];
            KeyAgreement ecdh = KeyAgreement.getInstance(KeyAgreement.ALG_EC_SVDP_DH_PLAIN, false);
            ecdh.init(c.ePriv);
            assertEquals(32, ecdh.generateSecret(hostPoint, (short) 0, (short) 65, card, (short) 0));
            c.clearEphemeral();
            assertFalse(c.ePriv.isInitialized(), "ephemeral private value left behind");
            for (int k = 80; k < 160; k++) assertEquals(0, ram[k], "scratch not zeroed");
            assertArrayEquals(JdkEc.ecdh(host.getPrivate(), JdkEc.publicKey(w)), card, "card ephemeral point does not match its private value");
        }
    }

    @Test
    void tornEnterPersonalizationIsCompletedByTheNextCommand() throws Exception {
        ModuleApplet a = applet();
        Persistent p = (Persistent) field(a, "p");
        Crypto.generate(p.moduleKey, new byte[32], (short) 0);
        p.transactionKey.setKey(new byte[16], (short) 0);
        // the state a tear right after ENTER PERSONALIZATION's commit leaves: flags down, keys still there
        p.wipePending = true;
        assertTrue(((ECPrivateKey) p.moduleKey.getPrivate()).isInitialized());
        card.select();
        assertFalse(p.wipePending);
        assertFalse(p.moduleKey.getPrivate().isInitialized(), "old module private key left in EEPROM");
        assertFalse(p.transactionKey.isInitialized(), "old transaction key left in EEPROM");
    }

    @Test
    void enterPersonalizationClearsTheKeyObjects() throws Exception {
        ModuleApplet a = applet();
        Persistent p = (Persistent) field(a, "p");
        Crypto.generate(p.moduleKey, new byte[32], (short) 0);
        assertEquals(0x9000, card.sw(new byte[]{Constants.CLA_PROPRIETARY, Constants.INS_ENTER_PERSONALIZATION, 0, 0}));
        assertFalse(p.wipePending);
        assertFalse(p.moduleKey.getPrivate().isInitialized());
    }
}
