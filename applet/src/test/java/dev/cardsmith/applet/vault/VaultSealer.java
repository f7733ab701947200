package dev.cardsmith.applet.vault;

import dev.cardsmith.applet.JdkEc;

import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;

/**
 * The host side of a sealed STORE PACKAGE for applet tests, written from docs/vault.md with the
 * JDK only (the host library's PackageSeal is not on the applet module's path): ECDH with the
 * chip agreement key, the SP 800-108 / AES-CMAC KDF, AES-CBC and AES-CMAC (RFC 4493).
 */
final class VaultSealer {
    private VaultSealer() {}

    /** The STORE PACKAGE command data sealing {@code plain} to this chip and challenge. */
    static byte[] seal(byte[] chipId, byte[] agreementPoint, byte[] challenge, byte[] plain) throws Exception {
        java.security.KeyPair eph = JdkEc.generate();
        byte[] z = JdkEc.ecdh(eph.getPrivate(), JdkEc.publicKey(agreementPoint));
        byte[] enc = derive(z, Constants.KDF_LABEL_SEAL_ENC, chipId, challenge);
        byte[] mac = derive(z, Constants.KDF_LABEL_SEAL_MAC, chipId, challenge);
        int padded = (plain.length / 16 + 1) * 16;
        byte[] p = Arrays.copyOf(plain, padded);
        p[plain.length] = (byte) 0x80;
        Cipher c = Cipher.getInstance("AES/CBC/NoPadding");
        c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(enc, "AES"), new IvParameterSpec(new byte[16]));
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.write(Constants.SEALED_FORMAT);
        o.writeBytes(JdkEc.point(eph.getPublic()));
        o.writeBytes(c.doFinal(p));
        o.writeBytes(cmac(mac, o.toByteArray()));
        return o.toByteArray();
    }

    static byte[] derive(byte[] key, byte label, byte[] chipId, byte[] challenge) throws Exception {
        ByteArrayOutputStream in = new ByteArrayOutputStream();
        in.write(1);
        in.write(label);
        in.write(0);
        in.writeBytes(chipId);
        in.writeBytes(challenge);
        in.write(0);
        in.write(0x80);
        return cmac(key, in.toByteArray());
    }

    /** AES-CMAC (RFC 4493). */
    static byte[] cmac(byte[] key, byte[] m) throws Exception {
        Cipher ecb = Cipher.getInstance("AES/ECB/NoPadding");
        ecb.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"));
        byte[] k1 = dbl(ecb.doFinal(new byte[16]));
        byte[] k2 = dbl(k1);
        int n = Math.max(1, (m.length + 15) / 16);
        boolean complete = m.length > 0 && m.length % 16 == 0;
        byte[] last = new byte[16];
        int lastOff = (n - 1) * 16;
        for (int i = 0; i < 16; i++) {
            int j = lastOff + i;
            byte b = j < m.length ? m[j] : (j == m.length ? (byte) 0x80 : 0);
            last[i] = (byte) (b ^ (complete ? k1[i] : k2[i]));
        }
        byte[] x = new byte[16];
        for (int blk = 0; blk < n - 1; blk++) {
            for (int i = 0; i < 16; i++) x[i] ^= m[blk * 16 + i];
            x = ecb.doFinal(x);
        }
        for (int i = 0; i < 16; i++) x[i] ^= last[i];
        return ecb.doFinal(x);
    }

    private static byte[] dbl(byte[] l) {
        byte[] o = new byte[16];
        for (int i = 0; i < 15; i++) o[i] = (byte) ((l[i] << 1) | ((l[i + 1] & 0xFF) >>> 7));
        o[15] = (byte) (l[15] << 1);
        if ((l[0] & 0x80) != 0) o[15] ^= (byte) 0x87;
        return o;
    }
}
