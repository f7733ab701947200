package dev.cardsmith.crypto;

import org.bouncycastle.crypto.engines.AESEngine;
import org.bouncycastle.crypto.generators.KDFCounterBytesGenerator;
import org.bouncycastle.crypto.macs.CMac;
import org.bouncycastle.crypto.params.KDFCounterParameters;

import java.io.ByteArrayOutputStream;

/**
 * NIST SP 800-108 key derivation in counter mode with AES-CMAC as PRF, through BouncyCastle's
 * {@link KDFCounterBytesGenerator}. The counter sits between {@code prefix} and {@code suffix}
 * (the layouts of NIST CAVP "BEFORE_FIXED"/"MIDDLE_FIXED"/"AFTER_FIXED"; GlobalPlatform SCP03
 * puts an 8-bit counter in the middle).
 */
public final class Sp800108 {
    private Sp800108() {}

    public static byte[] counterModeCmac(byte[] key, byte[] prefix, byte[] suffix, int counterBits, int outBytes) {
        KDFCounterBytesGenerator g = new KDFCounterBytesGenerator(new CMac(AESEngine.newInstance()));
        g.init(new KDFCounterParameters(key, prefix, suffix, counterBits));
        byte[] out = new byte[outBytes];
        g.generateBytes(out, 0, outBytes);
        return out;
    }

    /**
     * The SP 800-108 section 5.1 layout: [i]_32 || Label || 0x00 || Context || [L]_32, with L the
     * output length in bits.
     */
    public static byte[] deriveKey(byte[] key, byte[] label, byte[] context, int outBytes) {
        return counterModeCmac(key, new byte[0], fixedInput(label, context, outBytes), 32, outBytes);
    }

    /** Label || 0x00 || Context || [L]_32 */
    public static byte[] fixedInput(byte[] label, byte[] context, int outBytes) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(label);
        b.write(0);
        b.writeBytes(context);
        int l = outBytes * 8;
        b.write(l >>> 24);
        b.write(l >>> 16);
        b.write(l >>> 8);
        b.write(l);
        return b.toByteArray();
    }
}
