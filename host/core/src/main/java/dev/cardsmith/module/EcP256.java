package dev.cardsmith.module;

import org.bouncycastle.crypto.signers.PlainDSAEncoding;
import org.bouncycastle.crypto.signers.StandardDSAEncoding;

import javax.crypto.KeyAgreement;
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
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.util.Arrays;

/**
 * NIST P-256 on the host with the JDK provider: uncompressed points, ephemeral keys, ECDH
 * (x-coordinate, as the card's ALG_EC_SVDP_DH_PLAIN) and ECDSA-SHA-256 in DER and in the plain
 * r||s form of BSI TR-03110 (conversion through BouncyCastle's DSA encodings).
 */
public final class EcP256 {

    public static final int POINT_LENGTH = 65;
    private static final ECParameterSpec PARAMS;
    private static final BigInteger ORDER;
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

    public static byte[] encode(PublicKey key) {
        ECPoint w = ((ECPublicKey) key).getW();
        byte[] out = new byte[POINT_LENGTH];
        out[0] = 0x04;
        put32(w.getAffineX(), out, 1);
        put32(w.getAffineY(), out, 33);
        return out;
    }

    private static void put32(BigInteger v, byte[] out, int off) {
        byte[] b = v.toByteArray();
        int n = Math.min(b.length, 32);
        System.arraycopy(b, b.length - n, out, off + 32 - n, n);
    }

    public static PublicKey decode(byte[] point) {
        if (point == null || point.length != POINT_LENGTH || point[0] != 0x04) {
            throw new ModuleException("not an uncompressed P-256 point");
        }
        try {
            ECPoint w = new ECPoint(new BigInteger(1, Arrays.copyOfRange(point, 1, 33)), new BigInteger(1, Arrays.copyOfRange(point, 33, 65)));
            return KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(w, PARAMS));
        } catch (GeneralSecurityException e) {
            throw new ModuleException("invalid P-256 point");
        }
    }

    public static KeyPair generate() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(PARAMS, RANDOM);
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
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
            throw new ModuleException("ECDH failed");
        }
    }

    public static byte[] signDer(PrivateKey key, byte[] data) {
        try {
            Signature s = Signature.getInstance("SHA256withECDSA");
            s.initSign(key);
            s.update(data);
            return s.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

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

    public static byte[] derToPlain(byte[] der) {
        try {
            BigInteger[] rs = StandardDSAEncoding.INSTANCE.decode(ORDER, der);
            return PlainDSAEncoding.INSTANCE.encode(ORDER, rs[0], rs[1]);
        } catch (java.io.IOException e) {
            throw new ModuleException("malformed DER signature");
        }
    }

    public static byte[] plainToDer(byte[] plain) {
        try {
            BigInteger[] rs = PlainDSAEncoding.INSTANCE.decode(ORDER, plain);
            return StandardDSAEncoding.INSTANCE.encode(ORDER, rs[0], rs[1]);
        } catch (java.io.IOException | IllegalArgumentException e) {
            throw new ModuleException("malformed plain signature");
        }
    }

    public static byte[] random(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }
}
