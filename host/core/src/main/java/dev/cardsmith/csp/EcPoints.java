package dev.cardsmith.csp;

import org.bouncycastle.asn1.x9.ECNamedCurveTable;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;

/**
 * P-256 and P-384 public points in the PIV form {@code 04 || X || Y} (65 or 97 bytes; the length
 * names the curve). A decoded point must lie on its curve: BouncyCastle checks it, since an
 * invalid-curve point sent to the card's ECDH would leak bits of its private key. Malformed input
 * is an {@link IllegalArgumentException} whose message names the problem and never the bytes.
 */
public final class EcPoints {

    private EcPoints() {}

    /** The curve an encoded point of this length belongs to, or null. */
    public static KeyAlgorithm curveOf(byte[] point) {
        if (point.length == KeyAlgorithm.EC_P256.pointLength()) return KeyAlgorithm.EC_P256;
        if (point.length == KeyAlgorithm.EC_P384.pointLength()) return KeyAlgorithm.EC_P384;
        return null;
    }

    /** Throws unless {@code point} is an uncompressed point on {@code curve} (not the point at infinity). */
    public static void check(byte[] point, KeyAlgorithm curve) {
        if (point.length != curve.pointLength() || point[0] != 0x04) {
            throw new IllegalArgumentException("not an uncompressed " + curve.curve + " point");
        }
        org.bouncycastle.math.ec.ECPoint p;
        try {
            p = ECNamedCurveTable.getByName(curve.curve).getCurve().decodePoint(point);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("point is not on " + curve.curve);
        }
        if (p.isInfinity() || !p.isValid()) throw new IllegalArgumentException("point is not on " + curve.curve);
    }

    /** The JCA public key of an encoded P-256 or P-384 point, checked on its curve. */
    public static ECPublicKey decode(byte[] point) {
        KeyAlgorithm curve = curveOf(point);
        if (curve == null) throw new IllegalArgumentException("an EC point of " + point.length + " bytes is neither P-256 nor P-384");
        check(point, curve);
        int n = curve.fieldBytes();
        BigInteger x = new BigInteger(1, java.util.Arrays.copyOfRange(point, 1, 1 + n));
        BigInteger y = new BigInteger(1, java.util.Arrays.copyOfRange(point, 1 + n, 1 + 2 * n));
        try {
            return (ECPublicKey) KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(new ECPoint(x, y), curve.ecParams()));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("unusable " + curve.curve + " point: " + e.getMessage(), e);
        }
    }

    /** {@code 04 || X || Y} of a P-256 or P-384 public key. */
    public static byte[] encode(ECPublicKey key) {
        KeyAlgorithm curve = KeyAlgorithm.ofCurve(key.getParams());
        if (curve == null) throw new IllegalArgumentException("the card knows P-256 and P-384 only");
        int n = curve.fieldBytes();
        byte[] out = new byte[curve.pointLength()];
        out[0] = 0x04;
        fixed(key.getW().getAffineX(), out, 1, n);
        fixed(key.getW().getAffineY(), out, 1 + n, n);
        return out;
    }

    private static void fixed(BigInteger v, byte[] out, int off, int n) {
        byte[] b = v.toByteArray();
        int skip = b.length > n ? b.length - n : 0;
        System.arraycopy(b, skip, out, off + n - (b.length - skip), b.length - skip);
    }
}
