package dev.cardsmith.vault;

import org.bouncycastle.asn1.x9.ECNamedCurveTable;
import org.bouncycastle.asn1.x9.X9ECParameters;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.util.Arrays;

/** P-256 keys in the card's raw encodings: private S (32 bytes), public 04 || X || Y (65 bytes). */
public final class EcP256 {
    private static final X9ECParameters CURVE = ECNamedCurveTable.getByName("P-256");

    private EcP256() {}

    public static KeyPair generate() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"));
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("no P-256 on this JVM", e);
        }
    }

    public static byte[] rawPublic(PublicKey key) {
        ECPoint w = ((ECPublicKey) key).getW();
        byte[] out = new byte[65];
        out[0] = 4;
        System.arraycopy(fixed(w.getAffineX()), 0, out, 1, 32);
        System.arraycopy(fixed(w.getAffineY()), 0, out, 33, 32);
        return out;
    }

    public static byte[] rawPrivate(ECPrivateKey key) {
        return fixed(key.getS());
    }

    /** A JCA public key from 04 || X || Y; rejects points not on P-256. */
    public static ECPublicKey publicKey(byte[] w) {
        if (w == null || w.length != 65 || w[0] != 4) throw new IllegalArgumentException("not an uncompressed P-256 point");
        try {
            CURVE.getCurve().decodePoint(w); // throws for points off the curve
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("point is not on P-256");
        }
        try {
            java.security.AlgorithmParameters p = java.security.AlgorithmParameters.getInstance("EC");
            p.init(new ECGenParameterSpec("secp256r1"));
            java.security.spec.ECParameterSpec spec = p.getParameterSpec(java.security.spec.ECParameterSpec.class);
            ECPoint point = new ECPoint(new BigInteger(1, Arrays.copyOfRange(w, 1, 33)), new BigInteger(1, Arrays.copyOfRange(w, 33, 65)));
            return (ECPublicKey) KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(point, spec));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("not a P-256 public key");
        }
    }

    public static boolean verify(PublicKey key, byte[] data, byte[] derSignature) {
        try {
            Signature s = Signature.getInstance("SHA256withECDSA");
            s.initVerify(key);
            s.update(data);
            return s.verify(derSignature);
        } catch (GeneralSecurityException e) {
            return false; // malformed signature encodings count as invalid
        }
    }

    private static byte[] fixed(BigInteger v) {
        byte[] b = v.toByteArray();
        if (b.length == 32) return b;
        byte[] out = new byte[32];
        if (b.length > 32) System.arraycopy(b, b.length - 32, out, 0, 32);
        else System.arraycopy(b, 0, out, 32 - b.length, b.length);
        return out;
    }
}
