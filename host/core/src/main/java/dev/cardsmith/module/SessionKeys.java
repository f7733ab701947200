package dev.cardsmith.module;

import dev.cardsmith.codec.Tlv;
import dev.cardsmith.applet.module.Constants;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.KDF2BytesGenerator;
import org.bouncycastle.crypto.params.KDFParameters;

import java.util.Arrays;

/**
 * Session-key derivation shared by the perso channel and the central-system key agreement:
 * ANSI X9.63 KDF with SHA-256 (BouncyCastle's KDF2 generator: H(Z || counter32 from 1 || info)),
 * as GP SCP11 uses it, with shared info = 3C (key usage) || 88 (AES) || 10 (16 bytes) || context.
 */
public final class SessionKeys {

    private SessionKeys() {}

    /** ANSI X9.63 KDF with SHA-256. */
    public static byte[] x963(byte[] z, byte[] sharedInfo, int length) {
        KDF2BytesGenerator kdf = new KDF2BytesGenerator(new SHA256Digest());
        kdf.init(new KDFParameters(z, sharedInfo));
        byte[] out = new byte[length];
        kdf.generateBytes(out, 0, length);
        return out;
    }

    static byte[] sharedInfo(byte context) {
        return new byte[]{Constants.KDF_USAGE, Constants.KDF_KEY_TYPE_AES, (byte) Constants.KEY_LENGTH, context};
    }

    /** Perso channel: Z = ECDH(ephemeral, ephemeral). */
    public record Perso(byte[] enc, byte[] mac, byte[] rmac) {}

    public static Perso perso(byte[] z) {
        byte[] k = x963(z, sharedInfo(Constants.KDF_CONTEXT_PERSO), 64);
        return new Perso(Arrays.copyOfRange(k, 0, 16), Arrays.copyOfRange(k, 16, 32), Arrays.copyOfRange(k, 32, 48));
    }

    /** Central system: Z = ECDH(eph.cs, eph.module) || ECDH(eph.cs, module key). */
    public record Central(byte[] receipt, byte[] transaction) {}

    public static Central central(byte[] zEphemeral, byte[] zStatic) {
        byte[] k = x963(Tlv.concat(zEphemeral, zStatic), sharedInfo(Constants.KDF_CONTEXT_CENTRAL), 64);
        return new Central(Arrays.copyOfRange(k, 0, 16), Arrays.copyOfRange(k, 16, 32));
    }
}
