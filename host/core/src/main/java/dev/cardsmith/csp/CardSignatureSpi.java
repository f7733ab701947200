package dev.cardsmith.csp;

import dev.cardsmith.transport.CardStatusException;

import java.io.ByteArrayOutputStream;
import java.security.InvalidKeyException;
import java.security.InvalidParameterException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.SignatureException;
import java.security.SignatureSpi;
import java.security.spec.AlgorithmParameterSpec;

/**
 * Signature with a card key: the host hashes (and for RSA builds the DigestInfo), the card does
 * the private-key step in one APDU (claims 24, 42, 47-48). Verification with an ordinary public
 * key never touches the card: the host does it with the JDK's providers.
 */
final class CardSignatureSpi extends SignatureSpi {

    private final AlgorithmTable.Entry entry;
    private MessageDigest digest;
    private ByteArrayOutputStream raw;
    private CardPrivateKey key;
    private Signature verifier;

    CardSignatureSpi(AlgorithmTable.Entry entry) {
        this.entry = entry;
    }

    @Override
    protected void engineInitSign(PrivateKey privateKey) throws InvalidKeyException {
        if (!(privateKey instanceof CardPrivateKey k)) {
            throw new InvalidKeyException("Cardsmith signs only with card keys; use the JDK for software keys");
        }
        if (!k.getAlgorithm().equals(entry.key().jcaName)) {
            throw new InvalidKeyException(entry.algorithm() + " needs an " + entry.key().jcaName + " key, got " + k.getAlgorithm());
        }
        key = k;
        verifier = null;
        reset();
    }

    @Override
    protected void engineInitVerify(PublicKey publicKey) throws InvalidKeyException {
        // Claim 42: a public-key operation the provider can do itself.
        try {
            verifier = JdkProviders.signature(entry.algorithm());
        } catch (NoSuchAlgorithmException e) {
            throw new InvalidKeyException(e.getMessage(), e);
        }
        verifier.initVerify(publicKey);
        key = null;
    }

    private void reset() throws InvalidKeyException {
        if (entry.digest() == null) {
            raw = new ByteArrayOutputStream();
            digest = null;
        } else {
            try {
                digest = MessageDigest.getInstance(entry.digest());
            } catch (NoSuchAlgorithmException e) {
                throw new InvalidKeyException("host cannot compute " + entry.digest(), e);
            }
        }
    }

    @Override
    protected void engineUpdate(byte b) throws SignatureException {
        engineUpdate(new byte[] {b}, 0, 1);
    }

    @Override
    protected void engineUpdate(byte[] b, int off, int len) throws SignatureException {
        if (verifier != null) {
            verifier.update(b, off, len);
        } else if (key == null) {
            throw new SignatureException("not initialized");
        } else if (digest != null) {
            digest.update(b, off, len);
        } else {
            raw.write(b, off, len);
        }
    }

    @Override
    protected byte[] engineSign() throws SignatureException {
        if (key == null) throw new SignatureException("not initialized for signing");
        byte[] hash = digest != null ? digest.digest() : raw.toByteArray();
        if (digest == null) raw.reset();
        try {
            if (key instanceof CardPrivateKey.Ec ec) {
                return key.card().signEcdsa(key.slot(), HostCrypto.fitEcdsaHash(hash, ec.curve().fieldBytes()));
            }
            return key.card().signRsaPkcs1(key.slot(), HostCrypto.digestInfo(entry.digest(), hash));
        } catch (CardStatusException e) {
            throw new SignatureException("card refused to sign with slot " + key.slot() + ": " + e.getMessage()
                    + (e.sw() == 0x6982 ? " (PIN not verified: load the KeyStore with the PIN)" : ""), e);
        }
    }

    @Override
    protected boolean engineVerify(byte[] sigBytes) throws SignatureException {
        if (verifier == null) throw new SignatureException("not initialized for verification");
        return verifier.verify(sigBytes);
    }

    @Override
    protected void engineSetParameter(AlgorithmParameterSpec params) {
        if (params != null) throw new InvalidParameterException(entry.algorithm() + " takes no parameters");
    }

    @Override
    @Deprecated
    protected void engineSetParameter(String param, Object value) {
        throw new InvalidParameterException("no parameters");
    }

    @Override
    @Deprecated
    protected Object engineGetParameter(String param) {
        return null;
    }
}
