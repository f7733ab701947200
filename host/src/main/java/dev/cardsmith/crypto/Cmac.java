package dev.cardsmith.crypto;

import org.bouncycastle.crypto.engines.AESEngine;
import org.bouncycastle.crypto.macs.CMac;
import org.bouncycastle.crypto.params.KeyParameter;

import java.security.MessageDigest;

/** AES-CMAC (NIST SP 800-38B, RFC 4493) through BouncyCastle. */
public final class Cmac {
    private Cmac() {}

    /** Full 16-byte AES-CMAC of {@code data} under an AES-128/192/256 key. */
    public static byte[] aes(byte[] key, byte[] data) {
        return aes(key, data, 0, data.length);
    }

    public static byte[] aes(byte[] key, byte[] data, int off, int len) {
        CMac mac = new CMac(AESEngine.newInstance());
        mac.init(new KeyParameter(key));
        mac.update(data, off, len);
        byte[] out = new byte[mac.getMacSize()];
        mac.doFinal(out, 0);
        return out;
    }

    /** Constant-time comparison of a received MAC (possibly truncated) with the expected one. */
    public static boolean verify(byte[] expectedFull, byte[] received) {
        if (received == null || received.length == 0 || received.length > expectedFull.length) return false;
        byte[] truncated = java.util.Arrays.copyOf(expectedFull, received.length);
        return MessageDigest.isEqual(truncated, received);
    }
}
