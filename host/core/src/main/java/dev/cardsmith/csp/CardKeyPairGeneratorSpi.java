package dev.cardsmith.csp;

import dev.cardsmith.transport.CardStatusException;

import java.math.BigInteger;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidParameterException;
import java.security.KeyPair;
import java.security.KeyPairGeneratorSpi;
import java.security.ProviderException;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.spec.AlgorithmParameterSpec;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.RSAKeyGenParameterSpec;

/**
 * Generates the key pair on the card (GENERATE ASYMMETRIC KEY PAIR): the private half stays in
 * the slot, the caller gets the public key and a {@link CardPrivateKey} handle. Needs the PIN.
 */
final class CardKeyPairGeneratorSpi extends KeyPairGeneratorSpi {

    private final CardsmithProvider provider;
    /** EC_P256 or RSA_2048 (the service); {@code EC_P384} after initialize(384) or secp384r1. */
    private KeyAlgorithm algorithm;
    private int slot = -1;
    private String label;

    CardKeyPairGeneratorSpi(CardsmithProvider provider, KeyAlgorithm algorithm) {
        this.provider = provider;
        this.algorithm = algorithm;
    }

    @Override
    public void initialize(int keysize, SecureRandom random) {
        if (algorithm.isEc()) {
            if (keysize == 256) algorithm = KeyAlgorithm.EC_P256;
            else if (keysize == 384) algorithm = KeyAlgorithm.EC_P384;
            else throw new InvalidParameterException("the card generates EC keys on P-256 and P-384 only, not " + keysize + " bits");
        } else if (keysize != 2048) {
            throw new InvalidParameterException("the card generates RSA keys of 2048 bits only");
        }
    }

    @Override
    public void initialize(AlgorithmParameterSpec params, SecureRandom random) throws InvalidAlgorithmParameterException {
        if (params instanceof CardKeyGenParameterSpec c) {
            slot = c.slot();
            label = c.label();
        } else if (params instanceof ECGenParameterSpec ec && algorithm.isEc()) {
            algorithm = curve(KeyAlgorithm.ofCurveName(ec.getName()));
        } else if (params instanceof ECParameterSpec ec && algorithm.isEc()) {
            algorithm = curve(KeyAlgorithm.ofCurve(ec));
        } else if (params instanceof RSAKeyGenParameterSpec rsa && algorithm == KeyAlgorithm.RSA_2048) {
            if (rsa.getKeysize() != 2048 || !rsa.getPublicExponent().equals(BigInteger.valueOf(65537))) {
                throw new InvalidAlgorithmParameterException("the card generates RSA-2048 keys with e = 65537 only");
            }
        } else {
            throw new InvalidAlgorithmParameterException("unsupported parameters " + params);
        }
    }

    private static KeyAlgorithm curve(KeyAlgorithm c) throws InvalidAlgorithmParameterException {
        if (c == null) throw new InvalidAlgorithmParameterException("the card generates P-256 (secp256r1) and P-384 (secp384r1) keys only");
        return c;
    }

    @Override
    public KeyPair generateKeyPair() {
        PivCard card = provider.card();
        int s = slot >= 0 ? slot : card.freeSlot();
        if (s < 0) throw new ProviderException("no free key slot on the card");
        try {
            PublicKey pub = card.generate(s, algorithm, label);
            return new KeyPair(pub, CardPrivateKey.of(card, s, PivSlot.of(s).alias(), pub));
        } catch (CardStatusException e) {
            throw new ProviderException("card refused key generation in slot " + s + ": " + e.getMessage()
                    + (e.sw() == 0x6982 ? " (management key not authenticated: CardsmithProvider.authenticateManagement)" : ""), e);
        }
    }
}
