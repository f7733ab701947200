package dev.cardsmith.csp;

import dev.cardsmith.crypto.EcP256;
import dev.cardsmith.transport.CardStatusException;

import javax.crypto.KeyAgreementSpi;
import javax.crypto.SecretKey;
import javax.crypto.ShortBufferException;
import javax.crypto.spec.SecretKeySpec;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import java.security.Key;
import java.security.SecureRandom;
import java.security.interfaces.ECPublicKey;
import java.security.spec.AlgorithmParameterSpec;
import java.util.Arrays;

/** ECDH with a card key: the host checks the peer point, the card multiplies (the X coordinate comes back). */
final class CardKeyAgreementSpi extends KeyAgreementSpi {

    private CardPrivateKey.Ec key;
    private byte[] secret;

    @Override
    protected void engineInit(Key k, SecureRandom random) throws InvalidKeyException {
        if (!(k instanceof CardPrivateKey.Ec ec)) throw new InvalidKeyException("ECDH needs an EC card key");
        // the card validates incoming points on P-256 only (GENERAL AUTHENTICATE 85), so it agrees keys on P-256 only
        if (ec.curve() != KeyAlgorithm.EC_P256) throw new InvalidKeyException("the card does ECDH with P-256 keys only, not " + ec.curve().curve);
        key = ec;
        secret = null;
    }

    @Override
    protected void engineInit(Key k, AlgorithmParameterSpec params, SecureRandom random)
            throws InvalidKeyException, InvalidAlgorithmParameterException {
        if (params != null) throw new InvalidAlgorithmParameterException("ECDH takes no parameters");
        engineInit(k, random);
    }

    @Override
    protected Key engineDoPhase(Key k, boolean lastPhase) throws InvalidKeyException {
        if (key == null) throw new IllegalStateException("not initialized");
        if (!lastPhase) throw new IllegalStateException("ECDH has one phase");
        if (!(k instanceof ECPublicKey pub)) throw new InvalidKeyException("peer key must be an EC public key");
        byte[] point = EcP256.encode(pub);
        HostCrypto.checkOnCurve(point);
        try {
            secret = key.card().ecdh(key.slot(), point);
        } catch (CardStatusException e) {
            throw new InvalidKeyException("card refused ECDH with slot " + key.slot() + ": " + e.getMessage(), e);
        }
        return null;
    }

    @Override
    protected byte[] engineGenerateSecret() {
        if (secret == null) throw new IllegalStateException("doPhase first");
        byte[] s = secret;
        secret = null;
        return s;
    }

    @Override
    protected int engineGenerateSecret(byte[] out, int off) throws ShortBufferException {
        if (secret == null) throw new IllegalStateException("doPhase first");
        if (out.length - off < secret.length) throw new ShortBufferException("need " + secret.length + " bytes");
        System.arraycopy(secret, 0, out, off, secret.length);
        int n = secret.length;
        Arrays.fill(secret, (byte) 0);
        secret = null;
        return n;
    }

    @Override
    protected SecretKey engineGenerateSecret(String algorithm) {
        byte[] s = engineGenerateSecret();
        try {
            return new SecretKeySpec(s, algorithm);
        } finally {
            Arrays.fill(s, (byte) 0);
        }
    }
}
