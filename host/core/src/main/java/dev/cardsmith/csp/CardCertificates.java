package dev.cardsmith.csp;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;

/** X.509 certificates for card keys, built with BouncyCastle and signed THROUGH the provider by the card. */
public final class CardCertificates {

    private CardCertificates() {}

    /** The signature algorithm the provider uses for a key: SHA256withECDSA or SHA256withRSA. */
    public static String defaultSignatureAlgorithm(CardPrivateKey key) {
        return key instanceof CardPrivateKey.Ec ? "SHA256withECDSA" : "SHA256withRSA";
    }

    /**
     * A self-signed certificate for the card key (subject = issuer = {@code dn}), with digital
     * signature + key encipherment/agreement usage and the client-auth and code-signing purposes.
     */
    public static X509Certificate selfSigned(CardsmithProvider provider, CardPrivateKey key, String dn, Duration validity) {
        try {
            Instant now = Instant.now();
            X500Name name = new X500Name(dn);
            byte[] serial = provider.card().random(16);
            serial[0] &= 0x7F;
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, new BigInteger(1, serial).max(BigInteger.ONE),
                    Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(validity)), name, key.publicKey());
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
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
