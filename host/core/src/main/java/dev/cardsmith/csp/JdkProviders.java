package dev.cardsmith.csp;

import javax.crypto.Cipher;
import java.security.GeneralSecurityException;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.security.Security;
import java.security.Signature;

/** The host's own software implementations for public-key work: any installed provider but Cardsmith. */
final class JdkProviders {

    private JdkProviders() {}

    static Signature signature(String algorithm) throws NoSuchAlgorithmException {
        for (Provider p : Security.getProviders()) {
            if (p instanceof CardsmithProvider) continue;
            try {
                return Signature.getInstance(algorithm, p);
            } catch (NoSuchAlgorithmException e) {
                // next provider
            }
        }
        throw new NoSuchAlgorithmException("no software provider for " + algorithm);
    }

    static Cipher cipher(String transformation) throws GeneralSecurityException {
        for (Provider p : Security.getProviders()) {
            if (p instanceof CardsmithProvider) continue;
            try {
                return Cipher.getInstance(transformation, p);
            } catch (GeneralSecurityException e) {
                // next provider
            }
        }
        throw new NoSuchAlgorithmException("no software provider for " + transformation);
    }
}
