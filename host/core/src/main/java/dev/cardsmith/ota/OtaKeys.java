package dev.cardsmith.ota;

import dev.cardsmith.applet.sim.Constants;

import java.util.Arrays;
import java.util.List;

/**
 * One OTA key set of a SIM (TS 102 225 5.1.2/5.1.3): KIc and KID with their key indexes and the
 * algorithm, the CRC used when a packet asks for a redundancy check instead of a CC, plus the TAR
 * of the addressed application. Algorithms: AES (KIc AES-CBC, KID AES-CMAC), single DES, two-key
 * and three-key triple DES in outer-CBC mode (KID: CBC-MAC). The sim applet implements AES and
 * two-key triple DES; the host codec does all four (legacy SIMs, pySim's sample cards).
 */
public record OtaKeys(Algorithm algorithm, int kicIndex, byte[] kic, int kidIndex, byte[] kid, byte[] tar, Crc crc) {

    /** KIc/KID b1..b4 (TS 102 225 5.1.2 and 5.1.3.1). */
    public enum Algorithm {
        /** b1b2 = 10, b3b4 = 00: AES-CBC / AES-CMAC; 16, 24 or 32 byte keys. */
        AES(Constants.KEY_ALG_AES, 16, 16, 24, 32),
        /** b1b2 = 01, b3b4 = 00: DES in CBC mode / DES CBC-MAC (8-byte keys, legacy only). */
        DES(0x01, 8, 8),
        /** b1b2 = 01, b3b4 = 01: triple DES in outer-CBC mode with two keys (K1 K2 K1). */
        TDES2(Constants.KEY_ALG_3DES2, 8, 16),
        /** b1b2 = 01, b3b4 = 10: triple DES in outer-CBC mode with three keys. */
        TDES3(0x09, 8, 24);

        public final int code;
        public final int blockSize;
        private final int[] keyLengths;

        Algorithm(int code, int blockSize, int... keyLengths) {
            this.code = code;
            this.blockSize = blockSize;
            this.keyLengths = keyLengths;
        }

        boolean keyLengthOk(int n) {
            for (int k : keyLengths) if (k == n) return true;
            return false;
        }

        /** The algorithm a KIc or KID octet names (low nibble), or null when none of the four. */
        public static Algorithm ofCode(int keyOctet) {
            for (Algorithm a : values()) if (a.code == (keyOctet & 0x0F)) return a;
            return null;
        }
    }

    /**
     * Redundancy check named by the KID octet when SPI b1b2 = 01 (TS 102 225 5.1.3.2: b1b2 = 01
     * CRC, b3b4 = 00 CRC-16, 01 CRC-32), computed as ISO/IEC 13239 prescribes (TS 102 225 annex B).
     */
    public enum Crc {
        CRC16(0x01, 2),
        CRC32(0x05, 4);

        public final int code;
        public final int length;

        Crc(int code, int length) {
            this.code = code;
            this.length = length;
        }

        public static Crc ofCode(int kidOctet) {
            for (Crc c : values()) if (c.code == (kidOctet & 0x0F)) return c;
            return null;
        }
    }

    public OtaKeys {
        if (algorithm == null || crc == null) throw new IllegalArgumentException("algorithm and CRC are required");
        if (kicIndex < 0 || kicIndex > 15 || kidIndex < 0 || kidIndex > 15) throw new IllegalArgumentException("key index must be 0..15");
        if (!algorithm.keyLengthOk(kic.length) || !algorithm.keyLengthOk(kid.length)) {
            throw new IllegalArgumentException("KIc and KID lengths do not fit " + algorithm);
        }
        if (tar.length != 3) throw new IllegalArgumentException("TAR must be 3 bytes");
        kic = kic.clone();
        kid = kid.clone();
        tar = tar.clone();
    }

    /** A key set whose redundancy check, when a packet asks for one, is CRC-32. */
    public OtaKeys(Algorithm algorithm, int kicIndex, byte[] kic, int kidIndex, byte[] kid, byte[] tar) {
        this(algorithm, kicIndex, kic, kidIndex, kid, tar, Crc.CRC32);
    }

    public static OtaKeys aes(int kicIndex, byte[] kic, int kidIndex, byte[] kid, byte[] tar) {
        return new OtaKeys(Algorithm.AES, kicIndex, kic, kidIndex, kid, tar);
    }

    /** The same keys with another redundancy check. */
    public OtaKeys withCrc(Crc c) { return new OtaKeys(algorithm, kicIndex, kic, kidIndex, kid, tar, c); }

    /** KIc octet: key index in b5..b8, algorithm in b1..b4. */
    public int kicByte() { return (kicIndex << 4) | algorithm.code; }

    public int kidByte() { return (kidIndex << 4) | algorithm.code; }

    /** KID octet of a packet with a redundancy check: key index and the CRC. */
    public int rcKidByte() { return (kidIndex << 4) | crc.code; }

    @Override public byte[] kic() { return kic.clone(); }
    @Override public byte[] kid() { return kid.clone(); }
    @Override public byte[] tar() { return tar.clone(); }

    /** The sim applet's install parameters (C9 value) with this key set only. */
    public byte[] installParams(int msl) {
        return installParams(msl, List.of(this));
    }

    /**
     * The sim applet's install parameters (C9 value) with several key sets (docs/ota.md 2.4): each
     * set's KIc id, KIc, KID id, KID (high nibble of an id: 0 AES-128, 5 two-key, 9 three-key 3DES;
     * low nibble: the key index), then the TAR (of the first set) and the MSL. The applet refuses
     * single DES and AES keys other than 128 bits.
     */
    public static byte[] installParams(int msl, List<OtaKeys> sets) {
        if (sets.isEmpty() || sets.size() > 3) throw new IllegalArgumentException("the sim applet takes 1 to 3 key sets");
        java.io.ByteArrayOutputStream o = new java.io.ByteArrayOutputStream();
        for (OtaKeys k : sets) {
            int alg = switch (k.algorithm) {
                case AES -> 0x00;
                case TDES2 -> 0x50;
                case TDES3 -> 0x90;
                case DES -> throw new IllegalArgumentException("the sim applet refuses single DES key sets");
            };
            if (k.algorithm == Algorithm.AES && k.kic.length != 16) throw new IllegalArgumentException("the sim applet takes AES-128 keys");
            o.write(alg | k.kicIndex);
            o.writeBytes(k.kic);
            o.write(alg | k.kidIndex);
            o.writeBytes(k.kid);
        }
        o.writeBytes(sets.get(0).tar);
        o.write(msl);
        return o.toByteArray();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof OtaKeys k && k.algorithm == algorithm && k.kicIndex == kicIndex && k.kidIndex == kidIndex
                && k.crc == crc && Arrays.equals(k.kic, kic) && Arrays.equals(k.kid, kid) && Arrays.equals(k.tar, tar);
    }

    @Override
    public int hashCode() { return Arrays.hashCode(tar) * 31 + kicIndex; }

    /** Never prints key material. */
    @Override
    public String toString() {
        return "OtaKeys[" + algorithm + ", KIc#" + kicIndex + ", KID#" + kidIndex + ", TAR " + dev.cardsmith.crypto.Hex.of(tar) + "]";
    }
}
