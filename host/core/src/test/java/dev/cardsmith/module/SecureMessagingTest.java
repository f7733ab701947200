package dev.cardsmith.module;

import dev.cardsmith.codec.Tlv;
import dev.cardsmith.crypto.Cmac;
import dev.cardsmith.transport.ApduChannel;
import dev.cardsmith.transport.CardSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import javax.smartcardio.CommandAPDU;
import javax.smartcardio.ResponseAPDU;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Perso-channel secure messaging as a channel wrapper, checked against the format written out
 * with JDK primitives and against an independent card-side implementation ({@link SmCardStub}).
 */
class SecureMessagingTest {

    static final SessionKeys.Perso KEYS = new SessionKeys.Perso(
            HexFormat.of().parseHex("000102030405060708090a0b0c0d0e0f"),
            HexFormat.of().parseHex("101112131415161718191a1b1c1d1e1f"),
            HexFormat.of().parseHex("202122232425262728292a2b2c2d2e2f"));

    static byte[] ssc(int n) {
        byte[] s = new byte[16];
        s[15] = (byte) n;
        return s;
    }

    /** A channel in front of the stub that records what it is asked to send. */
    private static final class Recording implements ApduChannel {
        final List<byte[]> sent = new ArrayList<>();
        final ApduChannel next;
        Recording(ApduChannel next) { this.next = next; }
        @Override public ResponseAPDU transmit(CommandAPDU c) {
            sent.add(c.getBytes());
            return next.transmit(c);
        }
    }

    @Test
    void commandFormatAndTheMacCoversTheHeaderThatIsSent() throws Exception {
        Recording wire = new Recording(new CardSession(new SmCardStub(KEYS)));
        SecureMessaging sm = new SecureMessaging(KEYS, wire);
        byte[] plain = "hello module".getBytes();
        ResponseAPDU r = sm.transmit(new CommandAPDU(0x80, 0x22, 0x5A, 0xA5, plain, 256));
        assertEquals(0x9000, r.getSW());
        assertArrayEquals(plain, r.getData(), "one verified, decrypted answer");

        CommandAPDU sent = new CommandAPDU(wire.sent.get(0));
        assertEquals(0x80, sent.getCLA());
        assertEquals(0x22, sent.getINS());
        assertEquals(0x5A, sent.getP1());
        assertEquals(0xA5, sent.getP2());
        assertEquals(256, sent.getNe());
        byte[] w = sent.getData();
        assertEquals(32, w.length);
        byte[] ct = Arrays.copyOf(w, 16);
        Cipher ecb = Cipher.getInstance("AES/ECB/NoPadding");
        ecb.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(KEYS.enc(), "AES"));
        byte[] iv = ecb.doFinal(ssc(1));
        Cipher cbc = Cipher.getInstance("AES/CBC/NoPadding");
        cbc.init(Cipher.DECRYPT_MODE, new SecretKeySpec(KEYS.enc(), "AES"), new IvParameterSpec(iv));
        byte[] p = cbc.doFinal(ct);
        assertArrayEquals(plain, Arrays.copyOf(p, plain.length));
        assertEquals((byte) 0x80, p[plain.length]);
        // the C-MAC covers INS P1 P2 exactly as they stand in the bytes on the wire
        byte[] header = Arrays.copyOfRange(wire.sent.get(0), 1, 4);
        assertArrayEquals(Cmac.aes(KEYS.mac(), Tlv.concat(ssc(1), header, ct)), Arrays.copyOfRange(w, 16, 32));
    }

    @Test
    void extendedLengthCommandsAreMacedWhereTheirDataStands() {
        SmCardStub card = new SmCardStub(KEYS);
        SecureMessaging sm = new SecureMessaging(KEYS, new CardSession(card).extendedLength(true));
        byte[] plain = new byte[600];
        Arrays.fill(plain, (byte) 0x11);
        assertArrayEquals(plain, sm.transmitOk("STORE", new CommandAPDU(0x80, 0x26, 0, 0, plain, 65536)).getData());
        assertEquals(1, card.accepted);
    }

    @Test
    void longCommandsChainedByTheSessionStillVerify() {
        SmCardStub card = new SmCardStub(KEYS);
        Recording wire = new Recording(new CardSession(card));
        SecureMessaging sm = new SecureMessaging(KEYS, wire);
        byte[] plain = new byte[300];
        assertArrayEquals(plain, sm.transmitOk("SHORT", new CommandAPDU(0x80, 0x24, 0, 0, plain, 256)).getData());
        assertEquals(1, card.accepted);
        assertEquals(1, wire.sent.size(), "the wrapper sends one logical command; the session chains it");
    }

    /** Flipping any header byte of the protected command after wrapping: the card refuses it. */
    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 3})
    void tamperingAnyHeaderByteAfterWrappingIsDetectedByTheCard(int offset) {
        SmCardStub card = new SmCardStub(KEYS);
        CardSession wire = new CardSession(card);
        ApduChannel tampering = c -> {
            byte[] b = c.getBytes();
            b[offset] ^= 0x01;
            return wire.transmit(new CommandAPDU(b));
        };
        ResponseAPDU r = new SecureMessaging(KEYS, tampering).transmit(new CommandAPDU(0x80, 0x24, 0x00, 0x00, new byte[] {1, 2, 3}, 256));
        assertEquals(offset == 0 ? 0x6E00 : 0x6988, r.getSW());
        assertEquals(0, card.accepted);
    }

    /** The same pipe without tampering is accepted, so the test above cannot pass for another reason. */
    @Test
    void untamperedCommandIsAccepted() {
        SmCardStub card = new SmCardStub(KEYS);
        CardSession wire = new CardSession(card);
        ApduChannel passThrough = c -> wire.transmit(new CommandAPDU(c.getBytes()));
        new SecureMessaging(KEYS, passThrough).transmitOk("X", new CommandAPDU(0x80, 0x24, 0x00, 0x00, new byte[] {1, 2, 3}, 256));
        assertEquals(1, card.accepted);
        assertArrayEquals(new byte[] {1, 2, 3}, card.lastPlain);
    }

    @Test
    void tamperedResponseIsCaughtByTheUnwrap() {
        CardSession wire = new CardSession(new SmCardStub(KEYS));
        ApduChannel flipping = c -> {
            byte[] r = wire.transmit(c).getBytes();
            r[0] ^= 0x01;
            return new ResponseAPDU(r);
        };
        SecureMessaging sm = new SecureMessaging(KEYS, flipping);
        ModuleException e = assertThrows(ModuleException.class, () -> sm.transmit(new CommandAPDU(0x80, 0x24, 0, 0, new byte[] {7}, 256)));
        assertEquals("response MAC from the module is wrong", e.getMessage());
    }

    @Test
    void responseMacIsCheckedAndSscAdvances() {
        // what the card sends for an empty plaintext after command SSC 1: R-MAC over SSC 2 only
        byte[] rmac = Cmac.aes(KEYS.rmac(), ssc(2));
        byte[] ok = Arrays.copyOf(rmac, 18);
        ok[16] = (byte) 0x90;
        assertEquals(0, new SecureMessaging(KEYS, c -> new ResponseAPDU(ok)).transmitOk("X", new CommandAPDU(0x80, 0x26, 0, 0)).getData().length);
        byte[] bad = ok.clone();
        bad[0] ^= 1;
        assertThrows(ModuleException.class, () -> new SecureMessaging(KEYS, c -> new ResponseAPDU(bad)).transmit(new CommandAPDU(0x80, 0x26, 0, 0)));
        assertThrows(ModuleException.class, () -> new SecureMessaging(KEYS, c -> new ResponseAPDU(new byte[] {1, 2, 3, 4, 5, (byte) 0x90, 0}))
                .transmit(new CommandAPDU(0x80, 0x26, 0, 0)));
    }

    @Test
    void errorStatusWordsArePassedUpUnwrapped() {
        ResponseAPDU r = new SecureMessaging(KEYS, c -> new ResponseAPDU(new byte[] {0x69, (byte) 0x88})).transmit(new CommandAPDU(0x80, 0x26, 0, 0));
        assertEquals(0x6988, r.getSW());
    }

    @Test
    void paddingIsIso9797Method2() {
        assertEquals(16, SecureMessaging.pad(new byte[15]).length);
        assertEquals(32, SecureMessaging.pad(new byte[16]).length);
        assertEquals((byte) 0x80, SecureMessaging.pad(new byte[16])[16]);
    }
}
