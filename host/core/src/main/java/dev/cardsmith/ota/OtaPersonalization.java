package dev.cardsmith.ota;

import dev.cardsmith.applet.sim.Constants;
import dev.cardsmith.crypto.Cmac;

import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import javax.smartcardio.CommandAPDU;
import java.security.GeneralSecurityException;
import java.util.Arrays;

/**
 * The personalization unit's side of the sim applet's PERSONALIZE (docs/ota.md "On the card"):
 * the key set (the 38-byte install-parameter format) under the transport key the SIM was installed
 * with: ENC(K_enc, key set || 80 00..) || CMAC8(K_mac, ciphertext), K_enc / K_mac = CMAC(KT, 'P' 01 / 02).
 */
public final class OtaPersonalization {

    /** The development SIM transport key, 7A x 16 (TEST KEY ONLY: published in the docs). */
    public static final byte[] DEV_TRANSPORT_KEY = filled(0x7A);

    private OtaPersonalization() {}

    /** The PERSONALIZE APDU (INS 30) carrying {@code keys} and {@code msl} under {@code transportKey}. */
    public static CommandAPDU command(byte[] transportKey, OtaKeys keys, int msl) {
        if (transportKey.length != 16) throw new IllegalArgumentException("the SIM transport key is AES-128 (16 bytes)");
        byte[] plain = Arrays.copyOf(keys.installParams(msl), 48);
        byte[] kEnc = Cmac.aes(transportKey, new byte[] {Constants.LABEL_PERSONALIZE, 1});
        byte[] kMac = Cmac.aes(transportKey, new byte[] {Constants.LABEL_PERSONALIZE, 2});
        try {
            plain[Constants.INSTALL_PARAMS_LEN] = (byte) 0x80;
            byte[] ct = cbc(kEnc, plain);
            byte[] data = Arrays.copyOf(ct, ct.length + 8);
            System.arraycopy(Cmac.aes(kMac, ct), 0, data, ct.length, 8);
            return new CommandAPDU(Constants.CLA_PROPRIETARY, Constants.INS_PERSONALIZE, 0, 0, data);
        } finally {
            Arrays.fill(plain, (byte) 0);
            Arrays.fill(kEnc, (byte) 0);
            Arrays.fill(kMac, (byte) 0);
        }
    }

    private static byte[] cbc(byte[] key, byte[] data) {
        try {
            Cipher c = Cipher.getInstance("AES/CBC/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new IvParameterSpec(new byte[16]));
            return c.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-CBC unavailable", e);
        }
    }

    static byte[] filled(int b) {
        byte[] k = new byte[16];
        Arrays.fill(k, (byte) b);
        return k;
    }
}
