package dev.cardsmith.ota;

import dev.cardsmith.applet.sim.Constants;

import java.util.Arrays;

/**
 * One OTA key set of a SIM: KIc and KID with their key indexes (TS 102 225 5.1.2/5.1.3) and the
 * algorithm, plus the TAR of the addressed application: AES-128 (KIc AES-CBC, KID AES-CMAC) or,
 * for legacy SIMs, two-key triple DES (outer-CBC, CBC-MAC). The sim applet implements both.
 */
public record OtaKeys(Algorithm algorithm, int kicIndex, byte[] kic, int kidIndex, byte[] kid, byte[] tar) {

    public enum Algorithm {
        /** KIc/KID b1b2 = 10, b3b4 = 00: AES-CBC / AES-CMAC. */
        AES(Constants.KEY_ALG_AES, 16),
        /** b1b2 = 01, b3b4 = 01: triple DES in outer-CBC mode with two keys. */
        TDES2(Constants.KEY_ALG_3DES2, 8);

        public final int code;
        public final int blockSize;

        Algorithm(int code, int blockSize) { this.code = code; this.blockSize = blockSize; }
    }

    public OtaKeys {
        if (kicIndex < 0 || kicIndex > 15 || kidIndex < 0 || kidIndex > 15) throw new IllegalArgumentException("key index must be 0..15");
        if (kic.length != 16 || kid.length != 16) throw new IllegalArgumentException("KIc and KID must be 16 bytes");
        if (tar.length != 3) throw new IllegalArgumentException("TAR must be 3 bytes");
        kic = kic.clone();
        kid = kid.clone();
        tar = tar.clone();
    }

    public static OtaKeys aes(int kicIndex, byte[] kic, int kidIndex, byte[] kid, byte[] tar) {
        return new OtaKeys(Algorithm.AES, kicIndex, kic, kidIndex, kid, tar);
    }

    /** KIc octet: key index in b5..b8, algorithm in b1..b4. */
    public int kicByte() { return (kicIndex << 4) | algorithm.code; }

    public int kidByte() { return (kidIndex << 4) | algorithm.code; }

    @Override public byte[] kic() { return kic.clone(); }
    @Override public byte[] kid() { return kid.clone(); }
    @Override public byte[] tar() { return tar.clone(); }

    /** The sim applet's install parameters (C9 value) for this key set. */
    public byte[] installParams(int msl) {
        byte[] p = new byte[Constants.INSTALL_PARAMS_LEN];
        int alg = algorithm == Algorithm.TDES2 ? 0x50 : 0x00; // high nibble: algorithm (0 = AES)
        p[0] = (byte) (alg | kicIndex);
        System.arraycopy(kic, 0, p, 1, 16);
        p[17] = (byte) (alg | kidIndex);
        System.arraycopy(kid, 0, p, 18, 16);
        System.arraycopy(tar, 0, p, 34, 3);
        p[37] = (byte) msl;
        return p;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof OtaKeys k && k.algorithm == algorithm && k.kicIndex == kicIndex && k.kidIndex == kidIndex
                && Arrays.equals(k.kic, kic) && Arrays.equals(k.kid, kid) && Arrays.equals(k.tar, tar);
    }

    @Override
    public int hashCode() { return Arrays.hashCode(tar) * 31 + kicIndex; }

    /** Never prints key material. */
    @Override
    public String toString() {
        return "OtaKeys[" + algorithm + ", KIc#" + kicIndex + ", KID#" + kidIndex + ", TAR " + dev.cardsmith.crypto.Hex.of(tar) + "]";
    }
}
