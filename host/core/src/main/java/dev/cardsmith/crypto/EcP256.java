package dev.cardsmith.crypto;

import org.bouncycastle.asn1.x9.ECNamedCurveTable;
import org.bouncycastle.crypto.signers.DSAEncoding;
import org.bouncycastle.crypto.signers.PlainDSAEncoding;
import org.bouncycastle.crypto.signers.StandardDSAEncoding;

import javax.crypto.KeyAgreement;
import java.io.IOException;
import java.math.BigInteger;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.util.Arrays;

/**
 * NIST P-256 on the host, once for every system, in the cards' raw encodings: public points
 * 04 || X || Y (65 bytes), private scalars S (32 bytes), ECDH as the x-coordinate (the card's
 * ALG_EC_SVDP_DH_PLAIN), ECDSA-SHA-256 in DER and in the plain r || s form of BSI TR-03110.
 * Keys and signatures come from the JDK provider; BouncyCastle checks that a decoded point lies
 * on the curve (an invalid-curve point fed to a card's ECDH leaks bits of its private key) and
 * converts between the signature encodings. Malformed input is an {@link IllegalArgumentException}
 * whose message names the problem and never the bytes.
 */
public final class EcP256 {

    public static final int POINT_LENGTH = 65;
    public static final int SCALAR_LENGTH = 32;
    /** The curve as JCA parameters (secp256r1). */
    public static final ECParameterSpec PARAMS;
    private static final BigInteger ORDER;
    private static final org.bouncycastle.math.ec.ECCurve CURVE = ECNamedCurveTable.getByName("P-256").getCurve();
    private static final SecureRandom RANDOM = new SecureRandom();

    static {
        try {
            AlgorithmParameters ap = AlgorithmParameters.getInstance("EC");
            ap.init(new ECGenParameterSpec("secp256r1"));
            PARAMS = ap.getParameterSpec(ECParameterSpec.class);
            ORDER = PARAMS.getOrder();
        } catch (GeneralSecurityException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private EcP256() {}

    public static KeyPair generate() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(PARAMS, RANDOM);
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("no P-256 on this JVM", e);
        }
    }

    /** 04 || X || Y of a P-256 public key. */
    public static byte[] encode(PublicKey key) {
        ECPoint w = ((ECPublicKey) key).getW();
        byte[] out = new byte[POINT_LENGTH];
        out[0] = 0x04;
        fixed(w.getAffineX(), out, 1);
        fixed(w.getAffineY(), out, 33);
        return out;
    }

    /** The private scalar S, 32 bytes big-endian. */
    public static byte[] encodePrivate(ECPrivateKey key) {
        byte[] out = new byte[SCALAR_LENGTH];
        fixed(key.getS(), out, 0);
        return out;
    }

    /** Throws unless {@code point} is 04 || X || Y of a point on P-256 (not infinity). */
    public static void checkPoint(byte[] point) {
        if (point == null || point.length != POINT_LENGTH || point[0] != 0x04) {
            throw new IllegalArgumentException("not an uncompressed P-256 point");
        }
        try {
            org.bouncycastle.math.ec.ECPoint p = CURVE.decodePoint(point); // rejects coordinates off the curve
            if (p.isInfinity() || !p.isValid()) throw new IllegalArgumentException("point is not on P-256");
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("point is not on P-256");
        }
    }

    /** A JCA public key from 04 || X || Y; rejects encodings and points not on P-256. */
    public static ECPublicKey decode(byte[] point) {
        checkPoint(point);
        try {
            ECPoint w = new ECPoint(new BigInteger(1, Arrays.copyOfRange(point, 1, 33)), new BigInteger(1, Arrays.copyOfRange(point, 33, 65)));
            return (ECPublicKey) KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(w, PARAMS));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("not a P-256 public key");
        }
    }

    /** ECDH shared secret: the x-coordinate (32 bytes). */
    public static byte[] agree(PrivateKey own, PublicKey peer) {
        try {
            KeyAgreement ka = KeyAgreement.getInstance("ECDH");
            ka.init(own);
            ka.doPhase(peer, true);
            return ka.generateSecret();
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("ECDH failed");
        }
    }

    /** ECDH with a peer point (decoded and checked on the curve first). */
    public static byte[] agree(PrivateKey own, byte[] peerPoint) {
        return agree(own, decode(peerPoint));
    }

    /** ECDSA-SHA-256, DER. */
    public static byte[] signDer(PrivateKey key, byte[] data) {
        try {
            Signature s = Signature.getInstance("SHA256withECDSA");
            s.initSign(key);
            s.update(data);
            return s.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("ECDSA unavailable", e);
        }
    }

    /** ECDSA-SHA-256 over {@code data}, DER signature; malformed encodings count as invalid. */
    public static boolean verifyDer(PublicKey key, byte[] data, byte[] der) {
        try {
            Signature s = Signature.getInstance("SHA256withECDSA");
            s.initVerify(key);
            s.update(data);
            return s.verify(der);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    /** DER ECDSA signature to plain r || s (64 bytes, BSI TR-03110). */
    public static byte[] derToPlain(byte[] der) {
        return reencode(StandardDSAEncoding.INSTANCE, PlainDSAEncoding.INSTANCE, der, "malformed DER signature");
    }

    /** Plain r || s to a DER ECDSA signature. */
    public static byte[] plainToDer(byte[] plain) {
        return reencode(PlainDSAEncoding.INSTANCE, StandardDSAEncoding.INSTANCE, plain, "malformed plain signature");
    }

    private static byte[] reencode(DSAEncoding from, DSAEncoding to, byte[] signature, String error) {
        try {
            BigInteger[] rs = from.decode(ORDER, signature);
            return to.encode(ORDER, rs[0], rs[1]);
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalArgumentException(error);
        }
    }

    /** v as exactly 32 big-endian bytes at out[off]. */
    private static void fixed(BigInteger v, byte[] out, int off) {
        byte[] b = v.toByteArray();
        int n = Math.min(b.length, 32);
        if (b.length > 33 || (b.length == 33 && b[0] != 0)) throw new IllegalArgumentException("coordinate too large for P-256");
        System.arraycopy(b, b.length - n, out, off + 32 - n, n);
    }
}
