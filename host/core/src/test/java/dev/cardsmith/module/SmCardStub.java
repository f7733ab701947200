package dev.cardsmith.module;

import dev.cardsmith.crypto.Cmac;
import dev.cardsmith.transport.CardTransport;

import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import javax.smartcardio.CommandAPDU;
import java.io.ByteArrayOutputStream;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * The card side of the perso channel's secure messaging, written again from docs/module.md
 * with JDK primitives (as the applet's Crypto.unwrapCommand / wrapResponse do it), so the host
 * wrapper is checked against an independent reading of the format: the C-MAC is verified over
 * the header bytes this stub <i>received</i>. Accepts CLA 80 only (90 for chained parts); answers 6988 when the MAC
 * or padding is wrong; echoes the plain command data back, protected.
 */
final class SmCardStub implements CardTransport {

    private final SessionKeys.Perso keys;
    private final byte[] ssc = new byte[16];
    private final ByteArrayOutputStream chained = new ByteArrayOutputStream();
    int accepted;
    byte[] lastPlain;

    SmCardStub(SessionKeys.Perso keys) {
        this.keys = keys;
    }

    @Override
    public byte[] transmit(byte[] apdu) {
        CommandAPDU c = new CommandAPDU(apdu);
        if (c.getCLA() == 0x90) { // ISO command chaining: collect, answer 9000
            chained.writeBytes(c.getData());
            return new byte[] {(byte) 0x90, 0x00};
        }
        if (c.getCLA() != 0x80) return new byte[] {0x6E, 0x00};
        increment();
        chained.writeBytes(c.getData());
        byte[] d = chained.toByteArray();
        chained.reset();
        if (d.length < 16 || d.length % 16 != 0) return new byte[] {0x69, (byte) 0x88};
        byte[] ct = Arrays.copyOf(d, d.length - 16);
        ByteArrayOutputStream in = new ByteArrayOutputStream();
        in.writeBytes(ssc);
        in.write(c.getINS());
        in.write(c.getP1());
        in.write(c.getP2());
        in.writeBytes(ct);
        byte[] expected = Cmac.aes(keys.mac(), in.toByteArray());
        if (!MessageDigest.isEqual(expected, Arrays.copyOfRange(d, d.length - 16, d.length))) return new byte[] {0x69, (byte) 0x88};
        byte[] plain = new byte[0];
        if (ct.length > 0) {
            byte[] p = cbc(Cipher.DECRYPT_MODE, ct);
            int i = p.length - 1;
            while (i > 0 && p[i] == 0) i--;
            if (p[i] != (byte) 0x80) return new byte[] {0x69, (byte) 0x88};
            plain = Arrays.copyOf(p, i);
        }
        accepted++;
        lastPlain = plain;
        increment();
        byte[] rct = new byte[0];
        if (plain.length > 0) {
            byte[] padded = Arrays.copyOf(plain, (plain.length / 16 + 1) * 16);
            padded[plain.length] = (byte) 0x80;
            rct = cbc(Cipher.ENCRYPT_MODE, padded);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(rct);
        ByteArrayOutputStream macIn = new ByteArrayOutputStream();
        macIn.writeBytes(ssc);
        macIn.writeBytes(rct);
        out.writeBytes(Cmac.aes(keys.rmac(), macIn.toByteArray()));
        out.write(0x90);
        out.write(0x00);
        return out.toByteArray();
    }

    private byte[] cbc(int mode, byte[] data) {
        try {
            Cipher ecb = Cipher.getInstance("AES/ECB/NoPadding");
            ecb.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(keys.enc(), "AES"));
            Cipher c = Cipher.getInstance("AES/CBC/NoPadding");
            c.init(mode, new SecretKeySpec(keys.enc(), "AES"), new IvParameterSpec(ecb.doFinal(ssc)));
            return c.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private void increment() {
        for (int i = 15; i >= 0; i--) if (++ssc[i] != 0) return;
    }

    @Override public byte[] atr() { return new byte[] {0x3B, 0x00}; }
    @Override public String name() { return "secure-messaging stub"; }
    @Override public void reset() { Arrays.fill(ssc, (byte) 0); }
    @Override public void close() {}
}
