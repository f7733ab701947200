package dev.cardsmith.csp;

import dev.cardsmith.crypto.EcP256;
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
    private final KeyAlgorithm algorithm;
    private int slot = -1;
    private String label;

    CardKeyPairGeneratorSpi(CardsmithProvider provider, KeyAlgorithm algorithm) {
        this.provider = provider;
        this.algorithm = algorithm;
    }

    @Override
    public void initialize(int keysize, SecureRandom random) {
        int want = algorithm == KeyAlgorithm.EC_P256 ? 256 : 2048;
        if (keysize != want) throw new InvalidParameterException("the card generates " + algorithm.jcaName + " keys of " + want + " bits only");
    }

    @Override
    public void initialize(AlgorithmParameterSpec params, SecureRandom random) throws InvalidAlgorithmParameterException {
        if (params instanceof CardKeyGenParameterSpec c) {
            slot = c.slot();
            label = c.label();
        } else if (params instanceof ECGenParameterSpec ec && algorithm == KeyAlgorithm.EC_P256) {
            String n = ec.getName();
            if (!n.equals("secp256r1") && !n.equals("NIST P-256") && !n.equals("P-256") && !n.equals("1.2.840.10045.3.1.7")) {
                throw new InvalidAlgorithmParameterException("the card generates P-256 (secp256r1) keys only");
            }
        } else if (params instanceof ECParameterSpec ec && algorithm == KeyAlgorithm.EC_P256) {
            if (ec.getOrder().bitLength() != 256 || !ec.getOrder().equals(EcP256.PARAMS.getOrder())) {
                throw new InvalidAlgorithmParameterException("the card generates P-256 keys only");
            }
        } else if (params instanceof RSAKeyGenParameterSpec rsa && algorithm == KeyAlgorithm.RSA_2048) {
            if (rsa.getKeysize() != 2048 || !rsa.getPublicExponent().equals(BigInteger.valueOf(65537))) {
                throw new InvalidAlgorithmParameterException("the card generates RSA-2048 keys with e = 65537 only");
            }
        } else {
            throw new InvalidAlgorithmParameterException("unsupported parameters " + params);
        }
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
