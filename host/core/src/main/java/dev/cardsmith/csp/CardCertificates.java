package dev.cardsmith.csp;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import javax.security.auth.x500.X500Principal;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;

/** X.509 certificates for card keys, built with BouncyCastle and signed THROUGH the provider by the card. */
public final class CardCertificates {

    private static final java.security.SecureRandom SERIALS = new java.security.SecureRandom();

    private CardCertificates() {}

    /** The signature algorithm the provider uses for a key: SHA256withECDSA (SHA384withECDSA on P-384) or SHA256withRSA. */
    public static String defaultSignatureAlgorithm(CardPrivateKey key) {
        if (key instanceof CardPrivateKey.Ec ec) return ec.curve() == KeyAlgorithm.EC_P384 ? "SHA384withECDSA" : "SHA256withECDSA";
        return "SHA256withRSA";
    }

    /**
     * The DN in the order the user wrote it, encoded the way the JDK (keytool -dname, X500Principal)
     * and OpenSSL read it back: RFC 4514 strings list the most specific RDN first, the DER
     * sequence holds it last. (BouncyCastle's {@code new X500Name(String)} keeps the string's order
     * in the DER, so every other tool showed the name reversed.)
     */
    static X500Name name(String dn) {
        try {
            return X500Name.getInstance(new X500Principal(dn).getEncoded());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a distinguished name: " + dn);
        }
    }

    /**
     * A self-signed certificate for the card key (subject = issuer = {@code dn}), with digital
     * signature + key encipherment/agreement usage, the client-auth and code-signing purposes, and the
     * subject (= authority) key identifier, RFC 5280 method 1 (SHA-1 of the public key bits).
     */
    public static X509Certificate selfSigned(CardsmithProvider provider, CardPrivateKey key, String dn, Duration validity) {
        try {
            Instant now = Instant.now();
            X500Name name = name(dn);
            byte[] serial = new byte[16];
            SERIALS.nextBytes(serial); // host randomness: a card RNG request would disarm a "PIN always" slot (9C)
            serial[0] &= 0x7F;
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, new BigInteger(1, serial).max(BigInteger.ONE),
                    Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(validity)), name, key.publicKey());
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            JcaX509ExtensionUtils ids = new JcaX509ExtensionUtils();
            b.addExtension(Extension.subjectKeyIdentifier, false, ids.createSubjectKeyIdentifier(key.publicKey()));
            b.addExtension(Extension.authorityKeyIdentifier, false, ids.createAuthorityKeyIdentifier(key.publicKey()));
            int usage = KeyUsage.digitalSignature | (key instanceof CardPrivateKey.Ec ? KeyUsage.keyAgreement : KeyUsage.keyEncipherment);
            b.addExtension(Extension.keyUsage, true, new KeyUsage(usage));
            b.addExtension(Extension.extendedKeyUsage, false,
                    new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_clientAuth, KeyPurposeId.id_kp_codeSigning}));
            var signer = new JcaContentSignerBuilder(defaultSignatureAlgorithm(key)).setProvider(provider).build(key);
            X509Certificate cert = new JcaX509CertificateConverter().getCertificate(b.build(signer));
            cert.verify(key.publicKey()); // by the JDK: proves the card signed with the slot's key
            return cert;
        } catch (OperatorCreationException | CertificateException | java.io.IOException e) {
            throw new CspException("cannot build a certificate for slot " + key.slot() + ": " + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new CspException("the card's certificate signature does not verify: " + e.getMessage(), e);
        }
    }
}
