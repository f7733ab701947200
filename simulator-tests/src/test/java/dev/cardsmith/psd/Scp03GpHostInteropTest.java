package dev.cardsmith.psd;

import dev.cardsmith.applet.psd.PsdProtocol;
import dev.cardsmith.crypto.Hex;
import dev.cardsmith.transport.CardSession;
import dev.cardsmith.support.CardTest;
import dev.cardsmith.support.CardUnderTest;
import org.bouncycastle.crypto.engines.AESEngine;
import org.bouncycastle.crypto.engines.RFC3394WrapEngine;
import org.bouncycastle.crypto.generators.KDFCounterBytesGenerator;
import org.bouncycastle.crypto.macs.CMac;
import org.bouncycastle.crypto.params.KDFCounterParameters;
import org.bouncycastle.crypto.params.KeyParameter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import javax.smartcardio.CommandAPDU;
import javax.smartcardio.ResponseAPDU;
import java.io.ByteArrayOutputStream;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Issue 3, "follow SCP03 closely enough that a GlobalPlatform SCP03 host could authenticate":
 * the PSD applet against a second, independent SCP03 host that does NOT use
 * {@link Scp03}. {@link GpProStyleHost} is written from reading GlobalPlatformPro
 * (martinpaljak/GlobalPlatformPro @ 236a610a, {@code GPSession.openSecureChannel},
 * {@code SCP03Wrapper}, {@code GPCrypto.scp03_kdf}) and sends the same bytes that code sends:
 * INITIALIZE UPDATE as a case-4 APDU with Le 00 and P1 = key version (00 = any), the
 * response-length rule keyed on the i parameter (+3 sequence counter when i has bit 10,
 * S16 when bit 01), the KDF as BouncyCastle's counter-mode generator with an 8-bit counter
 * between {@code 00x11 || constant || 00 || L} and the context, C-MAC over
 * {@code chaining value || header with the MAC-inclusive Lc || data}, C-DECRYPTION ICV =
 * AES(S-ENC, counter), R-MAC over {@code chaining value || data || SW}, R-ENCRYPTION ICV =
 * AES(S-ENC, 80 || counter[1..15]). The same flows were also run with GlobalPlatformPro's own
 * classes through pcscd + vpcd (docs/psd.md, "Interoperability").
 */
@CardTest
class Scp03GpHostInteropTest {
    static final byte[] TRANSPORT_KEY = Hex.parse(PsdKeys.DEV_TRANSPORT_KEY_HEX);
    /** The PSD's MK key set as {@code gp --key-enc … --key-mac … --key-dek …} takes it: three distinct keys. */
    static final byte[] K_ENC = Hex.parse("00112233445566778899AABBCCDDEEFF");
    static final byte[] K_MAC = Hex.parse("102132435465768798A9BACBDCEDFE0F");
    static final byte[] K_DEK = Hex.parse("2031425364758697A8B9CADBECFD0E1F");
    static final byte[][] MK = {K_ENC, K_MAC, K_DEK};
    static final byte[] KRK = Hex.parse("0F1E2D3C4B5A69788796A5B4C3D2E1F0");

    CardSession card;
    byte[] selectResponse;

    @BeforeEach
    void setUp() {
        card = new CardSession(CardUnderTest.fresh());
        selectResponse = card.select(AccessServer.PSD_AID);
        ResponseAPDU r = card.transmit(PsdApdus.injectKeys(1, rfc3394(TRANSPORT_KEY, KRK), 1, wrapSet(TRANSPORT_KEY, MK)));
        assertEquals(0x9000, r.getSW());
    }

    @AfterEach
    void tearDown() {
        card.close();
    }

    // ------------------------------------------------------------------ tests

    /** Issue 12: {@code gp --key-enc E --key-mac M --key-dek D} with three distinct keys, at every level. */
    @ParameterizedTest(name = "security level {0}")
    @ValueSource(ints = {0x01, 0x03, 0x11, 0x13, 0x33})
    void gpHostWithKeyEncMacDekAuthenticatesAtEverySecurityLevel(int level) throws Exception {
        GpProStyleHost h = new GpProStyleHost(MK, 0);
        h.open(card, level);
        assertEquals(1, h.keyVersion);
        assertEquals(0x03, h.scp);
        assertEquals(0x60, h.i);
        // S-MAC (card cryptogram) comes from K-MAC: K-ENC or K-DEK in every role ({@code gp --key K}) is refused
        for (byte[] one : new byte[][] {K_ENC, K_DEK}) {
            GpProStyleHost single = new GpProStyleHost(new byte[][] {one, one, one}, 0);
            assertThrows(CardCryptogramMismatch.class, () -> single.open(card, level));
        }
    }

    /**
     * Issue 12 / GP Amendment D 6.2.5: a wrong KRK proof inside an R-MAC session answers 63Cx with
     * an R-MAC, which the GP host verifies (GPPro's SCP03Wrapper.unwrap aborts on a bare 62xx/63xx).
     */
    @ParameterizedTest(name = "security level {0}")
    @ValueSource(ints = {0x11, 0x13, 0x33})
    void gpHostVerifiesTheRmacOfAWrongProofStatus(int level) throws Exception {
        GpProStyleHost h = new GpProStyleHost(MK, 0);
        h.open(card, level);
        ResponseAPDU r = h.transmit(card, 0x80, PsdProtocol.INS_UNLOCK, 0, 0, new byte[16]);
        assertEquals(0x63C2, r.getSW());
        assertEquals(0, r.getData().length, "the R-MAC verified and was stripped");
        // the chain goes on: the right proof in the same session still unlocks, with its R-MAC
        assertEquals(0x9000, h.transmit(card, 0x80, PsdProtocol.INS_UNLOCK, 0, 0,
                GpProStyleHost.kdf(KRK, PsdProtocol.DC_UNLOCK_PROOF, h.context(), 128)).getSW());
    }

    @Test
    void issue3_gpHostWithExplicitKeyVersion() throws Exception {
        GpProStyleHost h = new GpProStyleHost(MK, 1);
        h.open(card, 0x01);
        // a key version the card does not hold: 6A88 before any cryptography
        GpProStyleHost other = new GpProStyleHost(MK, 2);
        assertEquals(0x6A88, assertThrows(CardSw.class, () -> other.open(card, 0x01)).sw);
    }

    @Test
    void issue3_initializeUpdateResponseHasTheAmendmentDLayout() throws Exception {
        GpProStyleHost h = new GpProStyleHost(MK, 0);
        byte[] resp = h.initializeUpdate(card);
        // kdd (10) | kvn | 03 | i | card challenge (8) | card cryptogram (8): 29 bytes, i = 60 has
        // neither the pseudo-random bit (10, which would add a 3-byte sequence counter) nor S16 (01)
        assertEquals(29, resp.length);
        assertEquals(0x01, resp[10]);
        assertEquals(0x03, resp[11]);
        assertEquals(0x60, resp[12]);
        assertEquals(0, resp[12] & 0x10);
        assertEquals(0, resp[12] & 0x01);
        // key diversification data: the PSD ID's first 10 bytes (status: ... | ID length | ID)
        byte[] id = PsdStatus.fromSelect(selectResponse).id();
        assertArrayEquals(Arrays.copyOf(id, 10), Arrays.copyOf(resp, 10));
    }

    /** C-DECRYPTION with data, C-MAC chaining over three commands, R-MAC and R-ENCRYPTION, GP host side. */
    @ParameterizedTest(name = "security level {0}")
    @ValueSource(ints = {0x03, 0x13, 0x33})
    void issue3_gpHostUnlocksAndReplacesTheMkThroughItsOwnWrapper(int level) throws Exception {
        GpProStyleHost h = new GpProStyleHost(MK, 1);
        h.open(card, level);
        byte[] proof = GpProStyleHost.kdf(KRK, PsdProtocol.DC_UNLOCK_PROOF, h.context(), 128);
        ResponseAPDU u = h.transmit(card, 0x80, PsdProtocol.INS_UNLOCK, 0, 0, proof);
        assertEquals(0x9000, u.getSW());
        assertEquals(0, u.getData().length);

        byte[][] newMk = {Hex.parse("A0A1A2A3A4A5A6A7A8A9AAABACADAEAF"), Hex.parse("B0B1B2B3B4B5B6B7B8B9BABBBCBDBEBF"), Hex.parse("C0C1C2C3C4C5C6C7C8C9CACBCCCDCECF")};
        // the new set travels under the replacement KEK = SP 800-108 (KRK, "cardsmith/psd/RKEK", host || card challenge)
        byte[] data = concat(new byte[] {2}, wrapSet(replacementKek(KRK, h.context()), newMk));
        ResponseAPDU r = h.transmit(card, 0x80, PsdProtocol.INS_REPLACE_MK, 0, 0, data);
        assertEquals(0x9000, r.getSW());
        assertArrayEquals(new byte[] {2}, r.getData(), "new key version after R-MAC check and R-ENC decryption");

        card.select(AccessServer.PSD_AID);
        GpProStyleHost next = new GpProStyleHost(newMk, 2);
        next.open(card, level);
        GpProStyleHost old = new GpProStyleHost(MK, 0);
        assertThrows(CardCryptogramMismatch.class, () -> old.open(card, 0x01));
    }

    @Test
    void issue3_gpHostRejectsACardWithAnotherKey() {
        GpProStyleHost h = new GpProStyleHost(new byte[][] {KRK, KRK, KRK}, 0);
        assertThrows(CardCryptogramMismatch.class, () -> h.open(card, 0x01));
    }

    @Test
    void issue3_wrongHostCryptogramIsRefusedAndEndsTheSession() throws Exception {
        GpProStyleHost h = new GpProStyleHost(MK, 0);
        h.corruptHostCryptogram = true;
        assertEquals(0x6982, assertThrows(CardSw.class, () -> h.open(card, 0x01)).sw);
        // no session: a wrapped command is refused
        GpProStyleHost late = new GpProStyleHost(MK, 0);
        late.initializeUpdate(card);
        assertEquals(0x6982, late.transmit(card, 0x80, PsdProtocol.INS_UNLOCK, 0, 0, new byte[16]).getSW());
    }

    @Test
    void issue3_brokenMacChainIsRefused() throws Exception {
        GpProStyleHost h = new GpProStyleHost(MK, 0);
        h.open(card, 0x33);
        // the host MACs a command the card never sees: its chaining value moves on alone
        h.wrap(0x80, PsdProtocol.INS_UNLOCK, 0, 0, new byte[16]);
        ResponseAPDU r = h.transmit(card, 0x80, PsdProtocol.INS_UNLOCK, 0, 0,
                GpProStyleHost.kdf(KRK, PsdProtocol.DC_UNLOCK_PROOF, h.context(), 128));
        assertEquals(0x6982, r.getSW());
    }

    // ------------------------------------------------------------------ the independent host

    static final class CardSw extends Exception {
        final int sw;
        CardSw(String what, int sw) { super(what + " " + Integer.toHexString(sw)); this.sw = sw; }
    }

    static final class CardCryptogramMismatch extends Exception {
        CardCryptogramMismatch() { super("card cryptogram invalid"); }
    }

    /**
     * An SCP03 host as GlobalPlatformPro implements it (S8 mode, the static keys given as
     * {@code --key-enc/--key-mac/--key-dek}: S-ENC from K-ENC, S-MAC and S-RMAC from K-MAC, as
     * {@code PlaintextKeys.getSessionKey} does; R-MAC required on 9000/62xx/63xx and absent on
     * errors, as {@code SCP03Wrapper.unwrap} does; checked against martinpaljak/GlobalPlatformPro
     * @ 236a610, library/src/main/java/pro/javacard/gp/SCP03Wrapper.java, GPSession.java and
     * keys/PlaintextKeys.java). Hand-written for this test from the GP Amendment D text and
     * GlobalPlatformPro's behaviour; shares no code with {@link Scp03}.
     */
    static final class GpProStyleHost {
        final byte[] kEnc;
        final byte[] kMac;
        final int requestedKvn;
        boolean corruptHostCryptogram;
        int keyVersion, scp, i;
        byte[] hostChallenge, cardChallenge, sEnc, sMac, sRmac;
        final byte[] chain = new byte[16];
        final byte[] counter = new byte[16];
        boolean mac, enc, rmac, renc;

        GpProStyleHost(byte[][] keys, int kvn) {
            this.kEnc = keys[0];
            this.kMac = keys[1]; // keys[2], K-DEK, only wraps keys (PUT KEY); no session key comes from it
            this.requestedKvn = kvn;
        }

        byte[] context() { return concat(hostChallenge, cardChallenge); }

        byte[] initializeUpdate(CardSession card) throws Exception {
            hostChallenge = new byte[8];
            new SecureRandom().nextBytes(hostChallenge);
            // CLA 80, INS 50, P1 = key version, P2 = 00, Lc 08, challenge, Le 00 (case 4, as GPPro sends it)
            byte[] apdu = concat(new byte[] {(byte) 0x80, 0x50, (byte) requestedKvn, 0x00, 0x08}, hostChallenge, new byte[] {0x00});
            ResponseAPDU r = card.transmit(new CommandAPDU(apdu));
            if (r.getSW() != 0x9000) throw new CardSw("INITIALIZE UPDATE", r.getSW());
            byte[] d = r.getData();
            if (d.length < 28) throw new IllegalStateException("INITIALIZE UPDATE response too short");
            int expected;
            if (d[11] == 0x03) {
                expected = 29;
                if ((d[12] & 0x10) != 0) expected += 3;
                if ((d[12] & 0x01) != 0) expected += 16;
            } else {
                throw new IllegalStateException("not SCP03");
            }
            if (d.length != expected) throw new IllegalStateException("INITIALIZE UPDATE response length " + d.length);
            keyVersion = d[10] & 0xFF;
            scp = d[11] & 0xFF;
            i = d[12] & 0xFF;
            if (requestedKvn > 0 && keyVersion != requestedKvn) throw new IllegalStateException("key version mismatch");
            cardChallenge = Arrays.copyOfRange(d, 13, 21);
            byte[] ctx = context();
            sEnc = kdf(kEnc, (byte) 0x04, ctx, 128);
            sMac = kdf(kMac, (byte) 0x06, ctx, 128);
            sRmac = kdf(kMac, (byte) 0x07, ctx, 128);
            if (!Arrays.equals(Arrays.copyOfRange(d, 21, 29), kdf(sMac, (byte) 0x00, ctx, 64))) throw new CardCryptogramMismatch();
            Arrays.fill(chain, (byte) 0);
            Arrays.fill(counter, (byte) 0);
            mac = true;
            enc = rmac = renc = false;
            return d;
        }

        void open(CardSession card, int level) throws Exception {
            initializeUpdate(card);
            byte[] hostCryptogram = kdf(sMac, (byte) 0x01, context(), 64);
            if (corruptHostCryptogram) hostCryptogram[0] ^= 1;
            // EXTERNAL AUTHENTICATE goes through the wrapper in C-MAC-only mode; the level applies afterwards
            ResponseAPDU r = transmit(card, 0x84, 0x82, level, 0, hostCryptogram);
            if (r.getSW() != 0x9000) throw new CardSw("EXTERNAL AUTHENTICATE", r.getSW());
            enc = (level & 0x02) != 0;
            rmac = (level & 0x10) != 0;
            renc = (level & 0x20) != 0;
        }

        CommandAPDU wrap(int cla, int ins, int p1, int p2, byte[] data) throws GeneralSecurityException {
            if (enc) {
                cla |= 0x04;
                increment(counter);
                if (data.length > 0) {
                    byte[] iv = aes(Cipher.ENCRYPT_MODE, "AES/ECB/NoPadding", sEnc, null, counter);
                    data = aes(Cipher.ENCRYPT_MODE, "AES/CBC/NoPadding", sEnc, iv, pad80(data));
                }
            }
            if (mac) {
                cla |= 0x04;
                byte[] header = {(byte) cla, (byte) ins, (byte) p1, (byte) p2, (byte) (data.length + 8)};
                byte[] full = cmac(sMac, concat(chain, header, data));
                System.arraycopy(full, 0, chain, 0, 16);
                data = concat(data, Arrays.copyOf(full, 8));
            }
            return new CommandAPDU(cla, ins, p1, p2, data);
        }

        ResponseAPDU transmit(CardSession card, int cla, int ins, int p1, int p2, byte[] data) throws GeneralSecurityException {
            ResponseAPDU r = card.transmit(wrap(cla, ins, p1, p2, data));
            byte[] d = r.getData();
            if (rmac) {
                if (d.length < 8) {
                    if (r.getSW() == 0x9000 || r.getSW1() == 0x62 || r.getSW1() == 0x63) throw new IllegalStateException("no R-MAC");
                    return r;   // error status words carry no R-MAC
                }
                byte[] body = Arrays.copyOf(d, d.length - 8);
                byte[] expected = Arrays.copyOf(cmac(sRmac, concat(chain, body, new byte[] {(byte) r.getSW1(), (byte) r.getSW2()})), 8);
                if (!Arrays.equals(expected, Arrays.copyOfRange(d, d.length - 8, d.length))) throw new IllegalStateException("R-MAC invalid");
                d = body;
            }
            if (renc && d.length > 0) {
                byte[] c = counter.clone();
                c[0] = (byte) 0x80;
                byte[] iv = aes(Cipher.ENCRYPT_MODE, "AES/ECB/NoPadding", sEnc, null, c);
                d = unpad80(aes(Cipher.DECRYPT_MODE, "AES/CBC/NoPadding", sEnc, iv, d));
            }
            return new ResponseAPDU(concat(d, new byte[] {(byte) r.getSW1(), (byte) r.getSW2()}));
        }

        /** SCP03 KDF: SP 800-108 counter mode, AES-CMAC, 8-bit counter between prefix and context. */
        static byte[] kdf(byte[] key, byte constant, byte[] context, int bits) {
            byte[] prefix = new byte[16];
            prefix[11] = constant;
            prefix[12] = 0x00;
            prefix[13] = (byte) (bits >> 8);
            prefix[14] = (byte) bits;
            KDFCounterBytesGenerator g = new KDFCounterBytesGenerator(new CMac(AESEngine.newInstance()));
            g.init(new KDFCounterParameters(key, Arrays.copyOf(prefix, 15), context, 8));
            byte[] out = new byte[bits / 8];
            g.generateBytes(out, 0, out.length);
            return out;
        }

        static byte[] cmac(byte[] key, byte[] data) {
            CMac m = new CMac(AESEngine.newInstance());
            m.init(new KeyParameter(key));
            m.update(data, 0, data.length);
            byte[] out = new byte[16];
            m.doFinal(out, 0);
            return out;
        }

        static byte[] aes(int mode, String transformation, byte[] key, byte[] iv, byte[] data) throws GeneralSecurityException {
            Cipher c = Cipher.getInstance(transformation);
            if (iv == null) c.init(mode, new SecretKeySpec(key, "AES"));
            else c.init(mode, new SecretKeySpec(key, "AES"), new IvParameterSpec(iv));
            return c.doFinal(data);
        }

        static byte[] pad80(byte[] d) {
            byte[] p = Arrays.copyOf(d, (d.length / 16 + 1) * 16);
            p[d.length] = (byte) 0x80;
            return p;
        }

        static byte[] unpad80(byte[] d) {
            int i = d.length - 1;
            while (i >= 0 && d[i] == 0) i--;
            if (i < 0 || d[i] != (byte) 0x80) throw new IllegalStateException("bad padding");
            return Arrays.copyOf(d, i);
        }

        static void increment(byte[] b) {
            for (int i = b.length - 1; i >= 0; i--) if (++b[i] != 0) break;
        }
    }

    static byte[] wrapSet(byte[] kek, byte[][] keys) {
        return concat(rfc3394(kek, keys[0]), rfc3394(kek, keys[1]), rfc3394(kek, keys[2]));
    }

    /** SP 800-108 counter mode, AES-CMAC, 32-bit counter first: (KRK, "cardsmith/psd/RKEK", context), BouncyCastle's generator. */
    static byte[] replacementKek(byte[] krk, byte[] context) {
        byte[] suffix = concat("cardsmith/psd/RKEK".getBytes(java.nio.charset.StandardCharsets.US_ASCII), new byte[] {0}, context, new byte[] {0, 0, 0, (byte) 0x80});
        KDFCounterBytesGenerator g = new KDFCounterBytesGenerator(new CMac(AESEngine.newInstance()));
        g.init(new KDFCounterParameters(krk, new byte[0], suffix, 32));
        byte[] out = new byte[16];
        g.generateBytes(out, 0, 16);
        return out;
    }

    static byte[] rfc3394(byte[] kek, byte[] key) {
        RFC3394WrapEngine w = new RFC3394WrapEngine(AESEngine.newInstance());
        w.init(true, new KeyParameter(kek));
        return w.wrap(key, 0, key.length);
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        for (byte[] p : parts) o.writeBytes(p);
        return o.toByteArray();
    }
}
