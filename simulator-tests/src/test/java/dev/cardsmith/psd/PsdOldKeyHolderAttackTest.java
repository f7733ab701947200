package dev.cardsmith.psd;

import dev.cardsmith.applet.psd.PsdProtocol;
import dev.cardsmith.hsm.HsmKdf;
import dev.cardsmith.support.CardTest;
import dev.cardsmith.support.CardUnderTest;
import dev.cardsmith.transport.CardSession;
import dev.cardsmith.transport.CardTransport;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.engines.AESEngine;
import org.bouncycastle.crypto.engines.RFC3394WrapEngine;
import org.bouncycastle.crypto.params.KeyParameter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Issue 12, the attacker who holds a PSD's old master key set (leaked, or kept by a former
 * operator) and records the replacement session on the wire (docs/threat-model.md, PSD).
 */
@CardTest
@dev.cardsmith.support.SimulatorOnly("records the raw APDUs of a replacement on a fresh simulated PSD")
class PsdOldKeyHolderAttackTest {
    @TempDir Path dir;
    PsdWorld w;
    Recorder wire;
    CardSession card;

    @BeforeEach
    void setUp() {
        w = PsdWorld.software(dir);
        wire = new Recorder(CardUnderTest.fresh());
        card = new CardSession(wire);
        card.select(AccessServer.PSD_AID);
    }

    @AfterEach
    void tearDown() {
        w.close();
        card.close();
    }

    /** The static keys of MK version {@code v} for this PSD, in clear (what a leak of that key set gives). */
    private List<byte[]> keySet(int v, byte[] id) {
        List<byte[]> keys = new ArrayList<>();
        for (byte[] label : PsdKeys.STATIC_KEY_LABELS) keys.add(HsmKdf.deriveKey(w.accessHsm, PsdKeys.mkBlock(v), label, id, 16));
        return keys;
    }

    @Test
    void oldMasterKeyHolderRecordingReplacementLearnsNothing() throws Exception {
        w.access.issue(card);
        PsdStatus st = w.access.select(card);
        int v1 = st.mkVersion();
        int v2 = w.rotate();
        wire.log.clear();
        w.access.replaceMasterKey(card);
        assertEquals(v2, w.access.select(card).mkVersion());
        List<byte[]> oldKeys = keySet(v1, st.id());
        List<byte[]> newKeys = keySet(v2, st.id());

        // the attacker replays the host side of the recorded session with every pairing of the old keys
        byte[] iuCommand = wire.find(PsdProtocol.INS_INITIALIZE_UPDATE).command;
        byte[] iuResponse = wire.find(PsdProtocol.INS_INITIALIZE_UPDATE).response;
        byte[] ctx = concat(Arrays.copyOfRange(iuCommand, 5, 13), Arrays.copyOfRange(iuResponse, 13, 21));
        List<byte[]> candidates = new ArrayList<>();
        boolean sawReplacePlaintext = false;
        for (byte[] kEnc : oldKeys) {
            byte[] sEnc = Scp03.kdf(Scp03.StaticKey.of(kEnc), PsdProtocol.DC_S_ENC, 128, ctx);
            List<byte[]> keks = new ArrayList<>(oldKeys);
            keks.add(sEnc);
            byte[] counter = new byte[16];
            boolean afterEa = false;
            for (Exchange e : wire.log) {
                if (e.ins() == (PsdProtocol.INS_EXTERNAL_AUTHENTICATE & 0xFF)) { afterEa = true; continue; }
                if (!afterEa || (e.command[0] & 0x04) == 0) continue;
                increment(counter);
                byte[] data = Arrays.copyOfRange(e.command, 5, 5 + (e.command[4] & 0xFF) - 8);
                if (data.length == 0 || data.length % 16 != 0) continue;
                byte[] icv = counter.clone();
                byte[] plain = cbcDecrypt(sEnc, ecb(sEnc, icv), data);
                if (e.ins() == (PsdProtocol.INS_REPLACE_MK & 0xFF) && plain[0] == (byte) v2) sawReplacePlaintext = true;
                for (int o = 0; o + 16 <= plain.length; o++) candidates.add(Arrays.copyOfRange(plain, o, o + 16));
                for (byte[] kek : keks) {
                    for (int o = 0; o + 24 <= plain.length; o++) {
                        byte[] k = unwrap(kek, Arrays.copyOfRange(plain, o, o + 24));
                        if (k != null) candidates.add(k);
                    }
                }
            }
        }
        assertTrue(sawReplacePlaintext, "the attack model is live: the old key set does open the recorded REPLACE MK data");
        for (byte[] c : candidates) {
            for (byte[] k : newKeys) {
                assertFalse(Arrays.equals(c, k), "the holder of the old MK recovered a key of the new key set from the recorded replacement");
            }
        }
    }

    @Test
    void dekHolderCannotOpenTheSecureChannel() {
        w.access.issue(card);
        PsdStatus st = w.access.select(card);
        // K-DEK goes wherever keys are loaded (a key-loading bureau, gp --key-dek); it must not be the channel key
        byte[] dek = keySet(st.mkVersion(), st.id()).get(2);
        Scp03 asDek = new Scp03(Scp03.StaticKey.of(dek), Scp03.StaticKey.of(dek)).expectKeyVersion(st.mkVersion());
        assertThrows(Scp03.Scp03Exception.class, () -> new PsdCard(card).openSecureChannel(asDek, st.mkVersion(), 0x33),
                "the K-DEK alone opened a secure channel: one key serves three purposes");
    }

    @Test
    void forgedWrongProofStatusInRmacSessionIsDetected() {
        w.access.issue(card);
        PsdStatus st = w.access.select(card);
        for (int level : new int[] {0x11, 0x13, 0x33}) {
            int tries = w.access.select(card).krkTriesLeft();
            Scp03 sc = w.access.openSecureChannel(card, st, st.mkVersion(), level);
            javax.smartcardio.ResponseAPDU r = card.transmit(sc.wrap(PsdApdus.unlock(new byte[16])));
            assertEquals(0x63C0 | (tries - 1), r.getSW(), "level " + Integer.toHexString(level));
            assertEquals(PsdProtocol.MAC_LEN, r.getData().length, "GP Amd D 6.2.5: a 63Cx in an R-MAC session carries an R-MAC (level " + Integer.toHexString(level) + ")");
            assertArrayEquals(new byte[0], sc.unwrap(r), "the R-MAC over the chaining value and 63Cx verifies");
            // the same status word without (or with a wrong) R-MAC, as a network attacker would inject it, is refused
            Scp03 sc2 = w.access.openSecureChannel(card, st, st.mkVersion(), level);
            card.transmit(sc2.wrap(PsdApdus.unlock(w.access.unlockProof(st, sc2.context()))));
            assertThrows(Scp03.Scp03Exception.class, () -> sc2.unwrap(new javax.smartcardio.ResponseAPDU(new byte[] {0x63, (byte) 0xC0})));
            card.select(AccessServer.PSD_AID);
        }
    }

    /**
     * A malicious PSD writer / man in the middle who recorded the key blocks of one replacement
     * session (or builds them under the old K-DEK) and sends them in another session, even one
     * the genuine access server unlocked: the card refuses, the key blocks only open under the
     * KEK of the session they were made for.
     */
    @Test
    void recordedKeySetReplayedInANewSessionIsRefused() {
        w.access.issue(card);
        PsdStatus st = w.access.select(card);
        int v = st.mkVersion();
        PsdStore.Row row = w.store.find(st.idHex()).orElseThrow();
        byte[] random = w.accessHsm.rsaOaepDecrypt(row.rsaKeyLabel(), dev.cardsmith.crypto.Hex.parse(row.cryptogramHex()));
        byte[] krk = HsmKdf.deriveKey(w.accessHsm, PsdKeys.krkBlock(row.krkVersion()), PsdKeys.KRK_LABEL, random, 16);
        byte[][] next = {new byte[16], new byte[16], new byte[16]};
        for (int i = 0; i < 3; i++) Arrays.fill(next[i], (byte) (0x41 + i));

        Scp03 first = w.access.openSecureChannel(card, st, v, 0x33);
        byte[] recorded = Scp03GpHostInteropTest.wrapSet(Scp03GpHostInteropTest.replacementKek(krk, first.context()), next);
        card.select(AccessServer.PSD_AID);

        Scp03 sc = w.access.openSecureChannel(card, st, v, 0x33);
        assertEquals(0x9000, card.transmit(sc.wrap(PsdApdus.unlock(w.access.unlockProof(st, sc.context())))).getSW());
        assertEquals(0x6A80, card.transmit(sc.wrap(PsdApdus.replaceMk(v + 1, recorded))).getSW(), "key set made for another session");
        byte[] oldDek = keySet(v, st.id()).get(2);
        assertEquals(0x6A80, card.transmit(sc.wrap(PsdApdus.replaceMk(v + 1, Scp03GpHostInteropTest.wrapSet(oldDek, next)))).getSW(), "key set under the old K-DEK");
        byte[] kek = Scp03GpHostInteropTest.replacementKek(krk, sc.context());
        assertEquals(0x6A80, card.transmit(sc.wrap(PsdApdus.replaceMk(v + 1, Scp03GpHostInteropTest.wrapSet(kek, new byte[][] {next[0], next[0], next[2]})))).getSW(),
                "one key as K-ENC and K-MAC");
        assertEquals(v, w.access.select(card).mkVersion(), "nothing replaced");
        assertTrue(w.access.mkWorks(card, st, v));

        // the same command under this session's KEK goes through: the checks above are live
        sc = w.access.openSecureChannel(card, st, v, 0x33);
        assertEquals(0x9000, card.transmit(sc.wrap(PsdApdus.unlock(w.access.unlockProof(st, sc.context())))).getSW());
        kek = Scp03GpHostInteropTest.replacementKek(krk, sc.context());
        javax.smartcardio.ResponseAPDU ok = card.transmit(sc.wrap(PsdApdus.replaceMk(v + 1, Scp03GpHostInteropTest.wrapSet(kek, next))));
        assertEquals(0x9000, ok.getSW());
        assertArrayEquals(new byte[] {(byte) (v + 1)}, sc.unwrap(ok));
    }

    // ------------------------------------------------------------------ attacker's tools

    record Exchange(byte[] command, byte[] response) {
        int ins() { return command[1] & 0xFF; }
    }

    /** Records every APDU on the wire (a network attacker between the access server and the PSD). */
    static final class Recorder implements CardTransport {
        final CardTransport card;
        final List<Exchange> log = new ArrayList<>();

        Recorder(CardTransport card) { this.card = card; }

        Exchange find(byte ins) {
            return log.stream().filter(e -> e.ins() == (ins & 0xFF)).findFirst().orElseThrow();
        }

        @Override public byte[] transmit(byte[] c) {
            byte[] r = card.transmit(c);
            log.add(new Exchange(c.clone(), r.clone()));
            return r;
        }
        @Override public byte[] atr() { return card.atr(); }
        @Override public String name() { return "recorded(" + card.name() + ")"; }
        @Override public void reset() { card.reset(); }
        @Override public void close() { card.close(); }
    }

    static byte[] unwrap(byte[] kek, byte[] wrapped) {
        RFC3394WrapEngine e = new RFC3394WrapEngine(AESEngine.newInstance());
        e.init(false, new KeyParameter(kek));
        try {
            return e.unwrap(wrapped, 0, wrapped.length);
        } catch (InvalidCipherTextException x) {
            return null;
        }
    }

    static byte[] ecb(byte[] key, byte[] block) throws Exception {
        Cipher c = Cipher.getInstance("AES/ECB/NoPadding");
        c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"));
        return c.doFinal(block);
    }

    static byte[] cbcDecrypt(byte[] key, byte[] iv, byte[] data) throws Exception {
        Cipher c = Cipher.getInstance("AES/CBC/NoPadding");
        c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"), new IvParameterSpec(iv));
        return c.doFinal(data);
    }

    static void increment(byte[] b) {
        for (int i = b.length - 1; i >= 0; i--) if (++b[i] != 0) break;
    }

    static byte[] concat(byte[]... parts) {
        java.io.ByteArrayOutputStream o = new java.io.ByteArrayOutputStream();
        for (byte[] p : parts) o.writeBytes(p);
        return o.toByteArray();
    }
}
