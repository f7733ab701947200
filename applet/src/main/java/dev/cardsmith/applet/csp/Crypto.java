package dev.cardsmith.applet.csp;

import javacard.security.CryptoException;
import javacard.security.KeyAgreement;
import javacard.security.RandomData;
import javacard.security.Signature;
import javacardx.crypto.Cipher;

/** The crypto engines, created once at install. RSA engines are null on a chip without RSA. */
final class Crypto {

    final Signature ecdsa;
    final KeyAgreement ecdh;
    final RandomData random;
    final Cipher rsaPkcs1;

    Crypto(boolean rsa) {
        ecdsa = Signature.getInstance(Signature.ALG_ECDSA_SHA_256, false);
        ecdh = KeyAgreement.getInstance(KeyAgreement.ALG_EC_SVDP_DH_PLAIN, false);
        random = RandomData.getInstance(RandomData.ALG_SECURE_RANDOM);
        Cipher c = null;
        if (rsa) {
            try {
                c = Cipher.getInstance(Cipher.ALG_RSA_PKCS1, false);
            } catch (CryptoException e) {
                c = null;
            }
        }
        rsaPkcs1 = c;
    }
}
