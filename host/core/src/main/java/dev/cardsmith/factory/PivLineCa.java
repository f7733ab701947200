package dev.cardsmith.factory;

import dev.cardsmith.crypto.Hex;
import dev.cardsmith.hsm.Hsm;
import dev.cardsmith.store.Database;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Optional;

/**
 * The line's PIV certificate authority: an EC P-256 key in the station's HSM, label
 * {@link #LABEL}, used for nothing but signing the 9A certificates of the piv stage (the vault's
 * manufacturer key and the module hierarchy keep their own purposes). Its self-signed CA
 * certificate lives in {@code factory_piv_ca} (V11) under the key's SHA-256, so relying parties
 * and tests chain the device certificates to it, and stations sharing one database each keep
 * their own CA key.
 */
public final class PivLineCa {
    public static final String LABEL = "factory-piv-ca";
    static final String CA_NAME = "CN=cardsmith line PIV CA,O=cardsmith";
    static final Duration CA_VALIDITY = Duration.ofDays(3650 * 2);
    static final Duration DEVICE_VALIDITY = Duration.ofDays(3650);

    private static final SecureRandom SERIALS = new SecureRandom();

    private final Hsm hsm;
    private final Database db;
    /** The CA certificate once read: it does not change while the HSM key stays. */
    private volatile X509Certificate cached;

    public PivLineCa(Hsm hsm, Database db) {
        this.hsm = hsm;
        this.db = db;
    }

    /** Whether the key and its CA certificate exist. */
    public boolean ready() {
        return stored().isPresent();
    }

    /** Creates the key (when missing) and its self-signed CA certificate (when missing). Idempotent. */
    public void init() {
        if (!hsm.contains(LABEL)) hsm.generateEcKeyPair(LABEL);
        if (stored().isPresent()) return;
        PublicKey pub = hsm.publicKey(LABEL);
        X500Name name = new X500Name(CA_NAME);
        try {
            Instant now = Instant.now();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, serial(), Date.from(now.minus(Duration.ofMinutes(5))),
                    Date.from(now.plus(CA_VALIDITY)), name, pub);
            JcaX509ExtensionUtils ids = new JcaX509ExtensionUtils();
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            b.addExtension(Extension.subjectKeyIdentifier, false, ids.createSubjectKeyIdentifier(pub));
            X509Certificate cert = sign(b);
            FactoryStore.update(db, "INSERT INTO factory_piv_ca (key_sha256, label, certificate, created_at) VALUES (?,?,?,?) "
                    + "ON CONFLICT (key_sha256) DO NOTHING", keyId(pub), LABEL, Hex.of(cert.getEncoded()), FactoryStore.now());
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new FactoryException(FactoryException.Kind.FAILURE, "cannot create the line's PIV CA certificate: " + e.getMessage(), e);
        }
    }

    /** The CA certificate. */
    public X509Certificate certificate() {
        X509Certificate c = cached;
        if (c != null) return c;
        return cached = stored().orElseThrow(() -> new FactoryException(FactoryException.Kind.MISSING_KEY, "no line PIV CA certificate: run with --dev or create it"));
    }

    /** The CA certificate of this station's HSM key (none when the HSM has no such key or the store no certificate for it). */
    private Optional<X509Certificate> stored() {
        if (!hsm.contains(LABEL)) return Optional.empty();
        return FactoryStore.first(db, "SELECT certificate FROM factory_piv_ca WHERE key_sha256 = ?", keyId(hsm.publicKey(LABEL)))
                .map(h -> parse(Hex.parse(h)));
    }

    static String keyId(PublicKey key) {
        try {
            return Hex.of(java.security.MessageDigest.getInstance("SHA-256").digest(key.getEncoded()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A 9A certificate for {@code key}: subject CN = the device, O = cardsmith, client authentication. */
    public X509Certificate issue(PublicKey key, String device) {
        X509Certificate ca = certificate();
        X500Name subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, "cardsmith").addRDN(BCStyle.OU, "PIV")
                .addRDN(BCStyle.CN, device).build();
        try {
            Instant now = Instant.now();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(X500Name.getInstance(ca.getSubjectX500Principal().getEncoded()), serial(),
                    Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(DEVICE_VALIDITY)), subject, key);
            JcaX509ExtensionUtils ids = new JcaX509ExtensionUtils();
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement));
            b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth));
            b.addExtension(Extension.subjectKeyIdentifier, false, ids.createSubjectKeyIdentifier(key));
            b.addExtension(Extension.authorityKeyIdentifier, false, ids.createAuthorityKeyIdentifier(ca.getPublicKey()));
            X509Certificate cert = sign(b);
            cert.verify(ca.getPublicKey());
            return cert;
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new FactoryException(FactoryException.Kind.FAILURE, "cannot issue the 9A certificate: " + e.getMessage(), e);
        }
    }

    private X509Certificate sign(X509v3CertificateBuilder b) throws GeneralSecurityException {
        return new JcaX509CertificateConverter().getCertificate(b.build(new HsmSigner()));
    }

    /** ECDSA-with-SHA256 by the HSM key {@link #LABEL} (the HSM returns DER, as X.509 wants it). */
    private final class HsmSigner implements ContentSigner {
        private final ByteArrayOutputStream tbs = new ByteArrayOutputStream();

        @Override public AlgorithmIdentifier getAlgorithmIdentifier() { return new AlgorithmIdentifier(X9ObjectIdentifiers.ecdsa_with_SHA256); }

        @Override public OutputStream getOutputStream() { return tbs; }

        @Override public byte[] getSignature() { return hsm.signSha256WithEcdsa(LABEL, tbs.toByteArray()); }
    }

    private static BigInteger serial() {
        byte[] s = new byte[16];
        SERIALS.nextBytes(s);
        s[0] &= 0x7F;
        return new BigInteger(1, s).max(BigInteger.ONE);
    }

    static X509Certificate parse(byte[] der) {
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
        } catch (GeneralSecurityException e) {
            throw new FactoryException(FactoryException.Kind.FAILURE, "stored certificate does not parse: " + e.getMessage(), e);
        }
    }
}
