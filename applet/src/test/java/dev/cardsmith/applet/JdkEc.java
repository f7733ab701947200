package dev.cardsmith.applet;

import javacard.security.ECPrivateKey;
import javacard.security.ECPublicKey;
import javacard.security.KeyAgreement;
import javacard.security.KeyPair;

import java.math.BigInteger;
import java.security.AlgorithmParameters;
import java.security.KeyFactory;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.util.Arrays;

/** P-256 on the JDK side of applet tests: point encoding, decoding and cross-checks. */
public final class JdkEc {
    private JdkEc() {}

    public static ECParameterSpec p256() throws Exception {
        AlgorithmParameters ap = AlgorithmParameters.getInstance("EC");
        ap.init(new ECGenParameterSpec("secp256r1"));
        return ap.getParameterSpec(ECParameterSpec.class);
    }

    public static java.security.KeyPair generate() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    /** Uncompressed point 04 || X || Y, coordinates left-padded to 32 bytes. */
    public static byte[] point(PublicKey key) {
        java.security.interfaces.ECPublicKey k = (java.security.interfaces.ECPublicKey) key;
        byte[] out = new byte[65];
        out[0] = 4;
        put32(k.getW().getAffineX(), out, 1);
        put32(k.getW().getAffineY(), out, 33);
        return out;
    }

    /** A fresh random P-256 point. */
    public static byte[] randomPoint() throws Exception {
        return point(generate().getPublic());
    }

    public static PublicKey publicKey(byte[] w) throws Exception {
        ECPoint p = new ECPoint(new BigInteger(1, Arrays.copyOfRange(w, 1, 33)), new BigInteger(1, Arrays.copyOfRange(w, 33, 65)));
        return KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(p, p256()));
    }

    public static byte[] ecdh(java.security.PrivateKey own, PublicKey peer) throws Exception {
        javax.crypto.KeyAgreement ka = javax.crypto.KeyAgreement.getInstance("ECDH");
        ka.init(own);
        ka.doPhase(peer, true);
        return ka.generateSecret();
    }

    private static void put32(BigInteger v, byte[] out, int off) {
        byte[] b = v.toByteArray();
        int n = Math.min(b.length, 32);
        System.arraycopy(b, b.length - n, out, off + 32 - n, n);
    }

    /** An applet's key-generation routine on a re-used key pair object. */
    public interface Generator {
        void generate(KeyPair pair, byte[] scratch, short off);
    }

    /**
     * Generates {@code rounds} keys into the same KeyPair object and counts those whose private
     * value is not reported with 32 bytes or (on every 25th and every short-valued key) whose
     * private key does not agree by ECDH with its own public key as the JDK sees it.
     */
    public static int reuseMismatches(KeyPair pair, Generator gen, int rounds) throws Exception {
        KeyAgreement ecdh = KeyAgreement.getInstance(KeyAgreement.ALG_EC_SVDP_DH_PLAIN, false);
        java.security.KeyPair host = generate();
        byte[] hostPoint = point(host.getPublic());
        byte[] scratch = new byte[64];
        int bad = 0;
        for (int i = 0; i < rounds; i++) {
            gen.generate(pair, scratch, (short) 0);
            // the flaw's trigger: a private value shorter than 32 bytes in a re-used object
            if (((ECPrivateKey) pair.getPrivate()).getS(scratch, (short) 0) != 32) bad++;
            boolean shortValue = scratch[0] == 0;
            if (i % 25 != 0 && !shortValue) continue; // the full ECDH cross-check on a sample (speed)
            byte[] card = new byte[32];
            ecdh.init((ECPrivateKey) pair.getPrivate());
            ecdh.generateSecret(hostPoint, (short) 0, (short) 65, card, (short) 0);
            byte[] w = new byte[65];
            ((ECPublicKey) pair.getPublic()).getW(w, (short) 0);
            if (!Arrays.equals(card, ecdh(host.getPrivate(), publicKey(w)))) bad++;
        }
        return bad;
    }
}
