package dev.cardsmith.module;

import dev.cardsmith.codec.Tlv;
import dev.cardsmith.crypto.Cmac;
import dev.cardsmith.transport.ApduChannel;

import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import javax.smartcardio.CommandAPDU;
import javax.smartcardio.ResponseAPDU;
import java.security.GeneralSecurityException;
import java.util.Arrays;

/**
 * The perso channel's secure messaging (claim 3) as a wrapper around another {@link ApduChannel}
 * (a local reader or the untrusted relay): a caller sends a plain command and gets the verified,
 * decrypted answer. AES-128-CBC with IV = E(K_enc, SSC), ISO/IEC 9797-1 padding method 2,
 * C-MAC = AES-CMAC(K_mac, SSC || INS P1 P2 || C), R-MAC = AES-CMAC(K_rmac, SSC || C); the
 * 16-byte SSC counts every command and response. Matches the applet's Crypto.unwrapCommand /
 * wrapResponse.
 *
 * <p>The C-MAC is computed over the header bytes of the very APDU that is sent ({@link
 * #protect}: the command is encoded first, the MAC is then written into its data field), so
 * the header the card checks and the header the host MACed cannot drift apart. Responses other
 * than 9000 carry no protected data and are passed up unchanged (the caller sees the status word).
 */
public final class SecureMessaging implements ApduChannel {

    private static final int MAC_LEN = 16;

    private final SessionKeys.Perso keys;
    private final ApduChannel inner;
    private final byte[] ssc = new byte[16];

    public SecureMessaging(SessionKeys.Perso keys, ApduChannel inner) {
        this.keys = keys;
        this.inner = inner;
    }

    @Override
    public boolean extendedLength() { return inner.extendedLength(); }

    @Override
    public ResponseAPDU transmit(CommandAPDU plain) {
        ResponseAPDU r = inner.transmit(protect(plain));
        if (r.getSW() != 0x9000) return r;
        return ApduChannel.withData(r, unprotect(r.getData()));
    }

    /**
     * The protected form of {@code plain}: same CLA INS P1 P2 and Ne, data = C || C-MAC, with the
     * MAC taken over the header bytes of the encoded APDU itself.
     */
    CommandAPDU protect(CommandAPDU plain) {
        increment();
        byte[] p = plain.getData();
        byte[] ct = p.length == 0 ? new byte[0] : cbc(Cipher.ENCRYPT_MODE, pad(p));
        byte[] body = Arrays.copyOf(ct, ct.length + MAC_LEN);
        CommandAPDU unmaced = plain.getNe() > 0
                ? new CommandAPDU(plain.getCLA(), plain.getINS(), plain.getP1(), plain.getP2(), body, plain.getNe())
                : new CommandAPDU(plain.getCLA(), plain.getINS(), plain.getP1(), plain.getP2(), body);
        byte[] apdu = unmaced.getBytes();
        int off = dataOffset(apdu);
        byte[] mac = Cmac.aes(keys.mac(), macInput(ssc, apdu, off, ct.length));
        System.arraycopy(mac, 0, apdu, off + ct.length, MAC_LEN);
        return new CommandAPDU(apdu);
    }

    /** SSC || INS P1 P2 || C, read from the encoded command {@code apdu} whose data starts at {@code off}. */
    static byte[] macInput(byte[] ssc, byte[] apdu, int off, int ctLen) {
        byte[] in = new byte[16 + 3 + ctLen];
        System.arraycopy(ssc, 0, in, 0, 16);
        System.arraycopy(apdu, 1, in, 16, 3);
        System.arraycopy(apdu, off, in, 19, ctLen);
        return in;
    }

    /** Where the data field of an encoded command with data starts: 5 (short Lc) or 7 (extended Lc). */
    static int dataOffset(byte[] apdu) {
        return apdu[4] == 0 ? 7 : 5;
    }

    /** Checks the R-MAC of a 9000 response and decrypts it. */
    byte[] unprotect(byte[] data) {
        increment();
        if (data.length < MAC_LEN || (data.length - MAC_LEN) % 16 != 0) throw new ModuleException("protected response has a wrong length");
        byte[] ct = Arrays.copyOf(data, data.length - MAC_LEN);
        byte[] mac = Arrays.copyOfRange(data, data.length - MAC_LEN, data.length);
        if (!Cmac.verify(Cmac.aes(keys.rmac(), Tlv.concat(ssc, ct)), mac)) throw new ModuleException("response MAC from the module is wrong");
        if (ct.length == 0) return ct;
        byte[] p = cbc(Cipher.DECRYPT_MODE, ct);
        int i = p.length - 1;
        while (i > 0 && p[i] == 0) i--;
        if (p[i] != (byte) 0x80) throw new ModuleException("bad padding in protected response");
        return Arrays.copyOf(p, i);
    }

    private byte[] cbc(int mode, byte[] in) {
        try {
            Cipher ecb = Cipher.getInstance("AES/ECB/NoPadding");
            ecb.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(keys.enc(), "AES"));
            byte[] iv = ecb.doFinal(ssc);
            Cipher c = Cipher.getInstance("AES/CBC/NoPadding");
            c.init(mode, new SecretKeySpec(keys.enc(), "AES"), new IvParameterSpec(iv));
            return c.doFinal(in);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] pad(byte[] plain) {
        int n = (plain.length / 16 + 1) * 16;
        byte[] out = Arrays.copyOf(plain, n);
        out[plain.length] = (byte) 0x80;
        return out;
    }

    private void increment() {
        for (int i = 15; i >= 0; i--) if (++ssc[i] != 0) return;
    }
}
