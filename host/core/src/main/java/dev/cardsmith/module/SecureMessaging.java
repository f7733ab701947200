package dev.cardsmith.module;

import dev.cardsmith.crypto.Cmac;

import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.security.GeneralSecurityException;
import java.util.Arrays;

/**
 * Host side of the perso channel's secure messaging (claim 3): AES-128-CBC with IV =
 * E(K_enc, SSC), ISO/IEC 9797-1 padding method 2, C-MAC = AES-CMAC(K_mac, SSC || INS P1 P2 ||
 * C), R-MAC = AES-CMAC(K_rmac, SSC || C); the 16-byte SSC counts every command and response.
 * Matches the applet's Crypto.wrapResponse / unwrapCommand.
 */
public final class SecureMessaging {

    private final SessionKeys.Perso keys;
    private final byte[] ssc = new byte[16];

    public SecureMessaging(SessionKeys.Perso keys) {
        this.keys = keys;
    }

    public byte[] wrapCommand(int ins, int p1, int p2, byte[] plain) {
        increment();
        byte[] ct = plain.length == 0 ? new byte[0] : cbc(Cipher.ENCRYPT_MODE, pad(plain));
        byte[] mac = Cmac.aes(keys.mac(), Tlv.concat(ssc, new byte[]{(byte) ins, (byte) p1, (byte) p2}, ct));
        return Tlv.concat(ct, mac);
    }

    public byte[] unwrapResponse(byte[] data) {
        increment();
        if (data.length < 16 || (data.length - 16) % 16 != 0) throw new ModuleException("protected response has a wrong length");
        byte[] ct = Arrays.copyOf(data, data.length - 16);
        byte[] mac = Arrays.copyOfRange(data, data.length - 16, data.length);
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
