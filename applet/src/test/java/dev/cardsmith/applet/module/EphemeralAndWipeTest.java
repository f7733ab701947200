package dev.cardsmith.applet.module;

import com.licel.jcardsim.base.Simulator;
import com.licel.jcardsim.base.SimulatorRuntime;
import com.licel.jcardsim.utils.AIDUtil;
import javacard.framework.AID;
import javacard.security.ECPrivateKey;
import javacard.security.KeyAgreement;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.math.BigInteger;
import java.security.KeyFactory;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
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
    private Simulator sim;

    @BeforeEach
    void install() {
        sim = new Simulator();
        AID aid = AIDUtil.create(AID_BYTES);
        byte[] data = new byte[1 + AID_BYTES.length + 2 + 1];
        data[0] = (byte) AID_BYTES.length;
        System.arraycopy(AID_BYTES, 0, data, 1, AID_BYTES.length);
        sim.installApplet(aid, ModuleApplet.class, data, (short) 0, (byte) data.length);
        sim.selectApplet(aid);
    }

    @AfterEach
    void reset() {
        sim.resetRuntime();
    }

    private ModuleApplet applet() throws ReflectiveOperationException {
        Field rf = Simulator.class.getDeclaredField("runtime");
        rf.setAccessible(true);
        SimulatorRuntime rt = (SimulatorRuntime) rf.get(sim);
        Method m = SimulatorRuntime.class.getDeclaredMethod("getApplet", AID.class);
        m.setAccessible(true);
        return (ModuleApplet) m.invoke(rt, AIDUtil.create(AID_BYTES));
    }

    private static Object field(Object o, String name) throws ReflectiveOperationException {
        Field f = o.getClass().getDeclaredField(name);
        f.setAccessible(true);
        return f.get(o);
    }

    @Test
    void ephemeralKeyAgreesWithItsPointAndIsClearedAfterUse() throws Exception {
        Crypto c = (Crypto) field(applet(), "crypto");
        // jCardSim 3.0.5 has no transient EC type: the persistent fallback is what runs here
        assertFalse(c.eTransient);
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        java.security.KeyPair host = g.generateKeyPair();
        ECPublicKey hp = (ECPublicKey) host.getPublic();
        byte[] hostPoint = new byte[65];
        hostPoint[0] = 4;
        byte[] x = hp.getW().getAffineX().toByteArray(), y = hp.getW().getAffineY().toByteArray();
        System.arraycopy(x, x.length - 32 < 0 ? 0 : x.length - 32, hostPoint, 1 + Math.max(0, 32 - x.length), Math.min(32, x.length));
        System.arraycopy(y, y.length - 32 < 0 ? 0 : y.length - 32, hostPoint, 33 + Math.max(0, 32 - y.length), Math.min(32, y.length));
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
            javax.crypto.KeyAgreement jdk = javax.crypto.KeyAgreement.getInstance("ECDH");
            jdk.init(host.getPrivate());
            jdk.doPhase(KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(new ECPoint(
                    new BigInteger(1, Arrays.copyOfRange(w, 1, 33)), new BigInteger(1, Arrays.copyOfRange(w, 33, 65))), hp.getParams())), true);
            assertArrayEquals(jdk.generateSecret(), card, "card ephemeral point does not match its private value");
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
        sim.selectApplet(AIDUtil.create(AID_BYTES));
        assertFalse(p.wipePending);
        assertFalse(p.moduleKey.getPrivate().isInitialized(), "old module private key left in EEPROM");
        assertFalse(p.transactionKey.isInitialized(), "old transaction key left in EEPROM");
    }

    @Test
    void enterPersonalizationClearsTheKeyObjects() throws Exception {
        ModuleApplet a = applet();
        Persistent p = (Persistent) field(a, "p");
        Crypto.generate(p.moduleKey, new byte[32], (short) 0);
        byte[] r = sim.transmitCommand(new byte[]{Constants.CLA_PROPRIETARY, Constants.INS_ENTER_PERSONALIZATION, 0, 0});
        assertEquals((byte) 0x90, r[r.length - 2]);
        assertFalse(p.wipePending);
        assertFalse(p.moduleKey.getPrivate().isInitialized());
    }
}
