package dev.cardsmith.hsm;

import dev.cardsmith.crypto.Sp800108;

import java.io.ByteArrayOutputStream;

/**
 * NIST SP 800-108 counter-mode KDF with AES-CMAC as PRF where the PRF runs inside the HSM:
 * K_i = CMAC(master, [i]_32 || Label || 0x00 || Context || [L]_32). Only the derived key
 * leaves the HSM; the result is bit-identical to {@link Sp800108#deriveKey}.
 */
public final class HsmKdf {
    private HsmKdf() {}

    public static byte[] deriveKey(Hsm hsm, String masterLabel, byte[] label, byte[] context, int outBytes) {
        byte[] fixed = Sp800108.fixedInput(label, context, outBytes);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 1; out.size() < outBytes; i++) {
            byte[] block = new byte[4 + fixed.length];
            block[0] = (byte) (i >>> 24);
            block[1] = (byte) (i >>> 16);
            block[2] = (byte) (i >>> 8);
            block[3] = (byte) i;
            System.arraycopy(fixed, 0, block, 4, fixed.length);
            out.writeBytes(hsm.aesCmac(masterLabel, block));
        }
        return java.util.Arrays.copyOf(out.toByteArray(), outBytes);
    }
}
