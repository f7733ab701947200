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

    /** Shortest truncated MAC accepted (SCP03 and TS 102 225 use 8 bytes). */
    public static final int MIN_MAC_LENGTH = 8;

    /**
     * Constant-time comparison of a received MAC, possibly truncated but never below
     * {@link #MIN_MAC_LENGTH} bytes, with the expected one. Callers that expect a fixed length
     * must slice or check it themselves: this method cannot know which truncation the protocol uses.
     */
    public static boolean verify(byte[] expectedFull, byte[] received) {
        if (received == null || received.length < MIN_MAC_LENGTH || received.length > expectedFull.length) return false;
        byte[] truncated = java.util.Arrays.copyOf(expectedFull, received.length);
        return MessageDigest.isEqual(truncated, received);
    }
}
