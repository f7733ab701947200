package dev.cardsmith.applet.vault;

import dev.cardsmith.applet.AppletHarness;
import dev.cardsmith.applet.JdkEc;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;

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
    private AppletHarness card;

    @BeforeEach
    void install() {
        card = new AppletHarness(AID_BYTES, VaultApplet.class);
    }

    @AfterEach
    void reset() {
        card.close();
    }

    private VaultState state() throws ReflectiveOperationException {
        return card.appletField("st");
    }

    private int sw(byte[] apdu) {
        return card.sw(apdu);
    }

    /** The data of a GET DATA / GET CHALLENGE answer (9000 asserted). */
    private byte[] data(byte ins, int p1, int p2, int le) {
        byte[] r = card.simulator().transmitCommand(new byte[] {Constants.CLA_PROPRIETARY, ins, (byte) p1, (byte) p2, (byte) le});
        assertEquals(0x9000, ((r[r.length - 2] & 0xFF) << 8) | (r[r.length - 1] & 0xFF));
        return java.util.Arrays.copyOf(r, r.length - 2);
    }

    /** STORE PACKAGE of {@code plain}, sealed to this chip after a GET CHALLENGE. */
    private int storeSealed(byte[] plain) throws Exception {
        byte[] chipId = data(Constants.INS_GET_DATA, 0x00, 0xC1, 0);
        byte[] agreement = data(Constants.INS_GET_DATA, 0x00, 0xC9, 0);
        byte[] challenge = data(Constants.INS_GET_CHALLENGE, 0, 0, Constants.CHALLENGE_LENGTH);
        return sw(apdu(Constants.INS_STORE_PACKAGE, 0, 0, VaultSealer.seal(chipId, agreement, challenge, plain)));
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
        card.select();
        assertFalse(st.wipePending);
        assertFalse(st.channelKey.isInitialized(), "channel key left in EEPROM");
        assertFalse(st.devicePrivate.isInitialized(), "device private key left in EEPROM");
    }

    @Test
    void rejectedPackageLeavesNoKeyBehind() throws Exception {
        assertEquals(0x9000, sw(apdu(Constants.INS_PUT_DATA, 0x00, 0xC2, JdkEc.randomPoint())));
        ByteArrayOutputStream p = new ByteArrayOutputStream();
        byte[] id = "356938035643809".getBytes();
        p.write(Constants.TAG_IDENTITY); p.write(id.length); p.writeBytes(id);
        p.write(Constants.TAG_CHANNEL_KEY); p.write(16); p.writeBytes(new byte[16]);
        byte[] d = new byte[32];
        d[31] = 2;
        p.write(Constants.TAG_DEVICE_PRIVATE_KEY); p.write(32); p.writeBytes(d);
        p.write(Constants.TAG_DEVICE_PUBLIC_KEY); p.write(65); p.writeBytes(JdkEc.randomPoint()); // not d·G
        // one answer now: the mismatching pair is wrong data (was 6A80 or 6984, per the platform's CryptoException)
        assertEquals(0x6A80, storeSealed(p.toByteArray()));
        VaultState st = state();
        assertEquals(Constants.STATE_EMPTY, st.state);
        assertFalse(st.wipePending);
        assertFalse(st.channelKey.isInitialized(), "rejected package's channel key left in EEPROM");
        assertFalse(st.devicePrivate.isInitialized(), "rejected package's private key left in EEPROM");
    }

    /** (1,1): 04 || 00..01 || 00..01, not on P-256. */
    static byte[] offCurvePoint() {
        byte[] w = new byte[65];
        w[0] = 4;
        w[32] = 1;
        w[64] = 1;
        return w;
    }

    @Test
    void manufacturerKeyMustBeOnTheCurve() throws Exception {
        assertEquals(0x6A80, sw(apdu(Constants.INS_PUT_DATA, 0x00, 0xC2, offCurvePoint())));
        byte[] g = dev.cardsmith.applet.platform.P256.G.clone();
        g[64] ^= 1; // off by one in y
        assertEquals(0x6A80, sw(apdu(Constants.INS_PUT_DATA, 0x00, 0xC2, g)));
        assertFalse(state().manufacturerKeySet);
        assertEquals(0x9000, sw(apdu(Constants.INS_PUT_DATA, 0x00, 0xC2, JdkEc.randomPoint())));
    }

    @Test
    void packagePublicKeyMustBeOnTheCurve() throws Exception {
        assertEquals(0x9000, sw(apdu(Constants.INS_PUT_DATA, 0x00, 0xC2, JdkEc.randomPoint())));
        ByteArrayOutputStream p = new ByteArrayOutputStream();
        p.write(Constants.TAG_IDENTITY); p.write(1); p.write('A');
        p.write(Constants.TAG_CHANNEL_KEY); p.write(16); p.writeBytes(new byte[16]);
        byte[] d = new byte[32];
        d[31] = 2;
        p.write(Constants.TAG_DEVICE_PRIVATE_KEY); p.write(32); p.writeBytes(d);
        p.write(Constants.TAG_DEVICE_PUBLIC_KEY); p.write(65); p.writeBytes(offCurvePoint());
        assertEquals(0x6A80, storeSealed(p.toByteArray()));
        assertFalse(state().devicePrivate.isInitialized(), "nothing is loaded before the point check");
        assertEquals(Constants.STATE_EMPTY, state().state);
    }
}
