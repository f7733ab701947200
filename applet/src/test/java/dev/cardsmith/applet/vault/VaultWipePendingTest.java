package dev.cardsmith.applet.vault;

import com.licel.jcardsim.base.Simulator;
import com.licel.jcardsim.base.SimulatorRuntime;
import com.licel.jcardsim.utils.AIDUtil;
import javacard.framework.AID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.math.BigInteger;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Review finding (key hygiene on real cards): WIPE cleared the package key objects after the
 * transaction that made the card EMPTY, and a package rejected by the key-pair check left its
 * keys in the (unreachable) key objects. A tear between commit and scrub, or any rejected
 * package, left private key bytes in EEPROM. Now {@code wipePending} is committed with the state
 * and honoured at the start of the next command and on every failure.
 */
class VaultWipePendingTest {

    private static final byte[] AID_BYTES = {(byte) 0xF0, 0x43, 0x53, 0x4D, 0x54, 0x00, 0x01};
    private Simulator sim;

    @BeforeEach
    void install() {
        sim = new Simulator();
        byte[] data = new byte[1 + AID_BYTES.length + 2 + 1];
        data[0] = (byte) AID_BYTES.length;
        System.arraycopy(AID_BYTES, 0, data, 1, AID_BYTES.length);
        sim.installApplet(AIDUtil.create(AID_BYTES), VaultApplet.class, data, (short) 0, (byte) data.length);
        sim.selectApplet(AIDUtil.create(AID_BYTES));
    }

    @AfterEach
    void reset() {
        sim.resetRuntime();
    }

    private VaultState state() throws ReflectiveOperationException {
        Field rf = Simulator.class.getDeclaredField("runtime");
        rf.setAccessible(true);
        Method m = SimulatorRuntime.class.getDeclaredMethod("getApplet", AID.class);
        m.setAccessible(true);
        Object applet = m.invoke(rf.get(sim), AIDUtil.create(AID_BYTES));
        Field sf = VaultApplet.class.getDeclaredField("st");
        sf.setAccessible(true);
        return (VaultState) sf.get(applet);
    }

    private static byte[] point() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        ECPublicKey k = (ECPublicKey) g.generateKeyPair().getPublic();
        byte[] out = new byte[65];
        out[0] = 4;
        put(k.getW().getAffineX(), out, 1);
        put(k.getW().getAffineY(), out, 33);
        return out;
    }

    private static void put(BigInteger v, byte[] out, int off) {
        byte[] b = v.toByteArray();
        int n = Math.min(32, b.length);
        System.arraycopy(b, b.length - n, out, off + 32 - n, n);
    }

    private int sw(byte[] apdu) {
        byte[] r = sim.transmitCommand(apdu);
        return ((r[r.length - 2] & 0xFF) << 8) | (r[r.length - 1] & 0xFF);
    }

    private static byte[] apdu(byte ins, int p1, int p2, byte[] data) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.write(Constants.CLA_PROPRIETARY);
        o.write(ins);
        o.write(p1);
        o.write(p2);
        o.write(data.length);
        o.writeBytes(data);
        return o.toByteArray();
    }

    @Test
    void tornWipeIsFinishedByTheNextCommand() throws Exception {
        VaultState st = state();
        st.channelKey.setKey(new byte[16], (short) 0);
        st.devicePrivate.setS(new byte[] {1, 2, 3}, (short) 0, (short) 3);
        // what a tear right after WIPE's commit leaves: EMPTY, pending, keys still there
        st.wipePending = true;
        sim.selectApplet(AIDUtil.create(AID_BYTES));
        assertFalse(st.wipePending);
        assertFalse(st.channelKey.isInitialized(), "channel key left in EEPROM");
        assertFalse(st.devicePrivate.isInitialized(), "device private key left in EEPROM");
    }

    @Test
    void rejectedPackageLeavesNoKeyBehind() throws Exception {
        assertEquals(0x9000, sw(apdu(Constants.INS_PUT_DATA, 0x00, 0xC2, point())));
        ByteArrayOutputStream p = new ByteArrayOutputStream();
        byte[] id = "356938035643809".getBytes();
        p.write(Constants.TAG_IDENTITY); p.write(id.length); p.writeBytes(id);
        p.write(Constants.TAG_CHANNEL_KEY); p.write(16); p.writeBytes(new byte[16]);
        byte[] d = new byte[32];
        d[31] = 2;
        p.write(Constants.TAG_DEVICE_PRIVATE_KEY); p.write(32); p.writeBytes(d);
        p.write(Constants.TAG_DEVICE_PUBLIC_KEY); p.write(65); p.writeBytes(point()); // not d·G
        int sw = sw(apdu(Constants.INS_STORE_PACKAGE, 0, 0, p.toByteArray()));
        assertTrue(sw == 0x6A80 || sw == 0x6984, Integer.toHexString(sw));
        VaultState st = state();
        assertEquals(Constants.STATE_EMPTY, st.state);
        assertFalse(st.wipePending);
        assertFalse(st.channelKey.isInitialized(), "rejected package's channel key left in EEPROM");
        assertFalse(st.devicePrivate.isInitialized(), "rejected package's private key left in EEPROM");
    }
}
