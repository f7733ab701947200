package dev.cardsmith.csp;

import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.RSAESOAEPparams;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.cms.CMSAlgorithm;
import org.bouncycastle.cms.CMSEnvelopedData;
import org.bouncycastle.cms.CMSEnvelopedDataGenerator;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.RecipientInformation;
import org.bouncycastle.cms.jcajce.JceCMSContentEncryptorBuilder;
import org.bouncycastle.cms.jcajce.JceKeyAgreeEnvelopedRecipient;
import org.bouncycastle.cms.jcajce.JceKeyAgreeRecipientInfoGenerator;
import org.bouncycastle.cms.jcajce.JceKeyTransEnvelopedRecipient;
import org.bouncycastle.cms.jcajce.JceKeyTransRecipientInfoGenerator;
import org.bouncycastle.jce.provider.BouncyCastleProvider;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.HexFormat;

/**
 * The operator's "PIN mailer": per-device secrets (PIN, PUK, card management key) are sealed to
 * the mailer's public key as a CMS EnvelopedData (RFC 5652, AES-256-CBC content) the moment they
 * are chosen, so the line never stores or logs them in clear and only the holder of the mailer's
 * private key can open them. EC P-256 keys: ECDH (ephemeral-static, RFC 5753 with the SHA-256
 * KDF) and AES-256 key wrap; RSA keys (2048 bits or more): RSA-OAEP with SHA-256.
 */
public final class PinMailer {

    private static final BouncyCastleProvider BC = new BouncyCastleProvider();

    private final PublicKey key;

    private PinMailer(PublicKey key) {
        this.key = key;
    }

    /** A mailer for a public key: EC P-256 or RSA of at least 2048 bits. */
    public static PinMailer of(PublicKey key) {
        if (key instanceof ECPublicKey ec) {
            if (ec.getParams().getCurve().getField().getFieldSize() != 256) throw new IllegalArgumentException("PIN mailer key: EC keys must be P-256");
        } else if (key instanceof RSAPublicKey rsa) {
            if (rsa.getModulus().bitLength() < 2048) throw new IllegalArgumentException("PIN mailer key: RSA keys must have at least 2048 bits");
        } else {
            throw new IllegalArgumentException("PIN mailer key: an EC P-256 or RSA public key is needed");
        }
        return new PinMailer(key);
    }

    /** Reads a PEM {@code PUBLIC KEY} (SubjectPublicKeyInfo) file; anything else is refused with one line. */
    public static PinMailer read(Path pem) {
        String text;
        try {
            text = Files.readString(pem);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("PIN mailer key " + pem + ": cannot read it (" + e.getClass().getSimpleName() + ")");
        }
        String begin = "-----BEGIN PUBLIC KEY-----", end = "-----END PUBLIC KEY-----";
        int b = text.indexOf(begin), e = text.indexOf(end);
        if (text.contains("PRIVATE KEY")) throw new IllegalArgumentException("PIN mailer key " + pem + ": holds a private key; give the public key only");
        if (b < 0 || e < b) throw new IllegalArgumentException("PIN mailer key " + pem + ": not a PEM public key (-----BEGIN PUBLIC KEY-----)");
        byte[] der;
        try {
            der = Base64.getMimeDecoder().decode(text.substring(b + begin.length(), e));
        } catch (IllegalArgumentException x) {
            throw new IllegalArgumentException("PIN mailer key " + pem + ": the PEM body is not base64");
        }
        for (String alg : new String[] {"EC", "RSA"}) {
            try {
                return of(KeyFactory.getInstance(alg).generatePublic(new X509EncodedKeySpec(der)));
            } catch (GeneralSecurityException ignored) {
                // try the next algorithm
            }
        }
        throw new IllegalArgumentException("PIN mailer key " + pem + ": not an EC or RSA public key");
    }

    public PublicKey publicKey() { return key; }

    /** Hex SHA-256 of the key's SubjectPublicKeyInfo: recorded beside each sealed blob, so the operator knows which key opens it. */
    public String fingerprint() {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getEncoded()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The subject key identifier the recipient info names the mailer by: the first 20 bytes of the fingerprint. */
    private byte[] keyId() {
        return java.util.Arrays.copyOf(HexFormat.of().parseHex(fingerprint()), 20);
    }

    /** Seals {@code secret} to the mailer (DER CMS EnvelopedData). The caller wipes {@code secret}. */
    public byte[] seal(byte[] secret) {
        try {
            CMSEnvelopedDataGenerator g = new CMSEnvelopedDataGenerator();
            if (key instanceof ECPublicKey) {
                KeyPairGenerator kpg = KeyPairGenerator.getInstance("EC");
                kpg.initialize(new ECGenParameterSpec("secp256r1"));
                KeyPair eph = kpg.generateKeyPair();
                g.addRecipientInfoGenerator(new JceKeyAgreeRecipientInfoGenerator(CMSAlgorithm.ECDH_SHA256KDF, eph.getPrivate(), eph.getPublic(),
                        CMSAlgorithm.AES256_WRAP).addRecipient(keyId(), key).setProvider(BC));
            } else {
                g.addRecipientInfoGenerator(new JceKeyTransRecipientInfoGenerator(keyId(), oaep(), key).setProvider(BC));
            }
            CMSEnvelopedData d = g.generate(new CMSProcessableByteArray(secret),
                    new JceCMSContentEncryptorBuilder(CMSAlgorithm.AES256_CBC).setProvider(BC).build());
            return d.getEncoded();
        } catch (GeneralSecurityException | CMSException | IOException e) {
            throw new CspException("cannot seal to the PIN mailer key: " + e.getClass().getSimpleName(), e);
        }
    }

    /** Opens a sealed blob with the mailer's private key (the operator's side). */
    public static byte[] open(byte[] sealed, PrivateKey mailerPrivate) {
        try {
            CMSEnvelopedData d = new CMSEnvelopedData(sealed);
            for (RecipientInformation r : d.getRecipientInfos().getRecipients()) {
                return mailerPrivate.getAlgorithm().equals("RSA")
                        ? r.getContent(new JceKeyTransEnvelopedRecipient(mailerPrivate).setProvider(BC))
                        : r.getContent(new JceKeyAgreeEnvelopedRecipient(mailerPrivate).setProvider(BC));
            }
            throw new CspException("the sealed blob has no recipient");
        } catch (CMSException e) {
            throw new CspException("cannot open the sealed blob with this key: " + e.getMessage(), e);
        } catch (CspException e) {
            throw e;
        } catch (RuntimeException e) {
            // A wrong RSA key whose modulus is below the wrapped key (BouncyCastle's DataLengthException),
            // a malformed blob (IllegalArgumentException from the ASN.1 parser): the same one line as a
            // wrong key, and no library text that could echo blob bytes.
            throw new CspException("cannot open the sealed blob with this key (" + e.getClass().getSimpleName() + ")", e);
        }
    }

    private static AlgorithmIdentifier oaep() {
        AlgorithmIdentifier sha256 = new AlgorithmIdentifier(NISTObjectIdentifiers.id_sha256, DERNull.INSTANCE);
        return new AlgorithmIdentifier(PKCSObjectIdentifiers.id_RSAES_OAEP, new RSAESOAEPparams(sha256,
                new AlgorithmIdentifier(PKCSObjectIdentifiers.id_mgf1, sha256), RSAESOAEPparams.DEFAULT_P_SOURCE_ALGORITHM));
    }
}
