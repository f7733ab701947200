package dev.cardsmith.hsm;

import dev.cardsmith.crypto.Cmac;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;
import java.util.Date;

/**
 * The embedded-default HSM: a password-protected PKCS#12 file (AES keys as secret-key
 * entries, EC key pairs with a self-signed placeholder certificate, as PKCS#12 requires).
 * Written atomically after every change. Key values are used in this process only.
 */
public final class SoftwareHsm implements Hsm {

    private final Path file;
    private final char[] password;
    private final KeyStore ks;

    private SoftwareHsm(Path file, char[] password, KeyStore ks) {
        this.file = file;
        this.password = password.clone();
        this.ks = ks;
    }

    /** Opens the keystore file, creating an empty one when it does not exist. */
    public static SoftwareHsm open(Path file, char[] password) {
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            if (Files.exists(file)) {
                try (InputStream in = Files.newInputStream(file)) {
                    ks.load(in, password);
                } catch (IOException e) {
                    if (e.getCause() instanceof java.security.UnrecoverableKeyException || String.valueOf(e.getMessage()).contains("password")) {
                        throw new HsmException("wrong password for keystore " + file);
                    }
                    throw new HsmException("cannot read keystore " + file + ": " + e.getMessage(), e);
                }
            } else {
                ks.load(null, password);
            }
            SoftwareHsm h = new SoftwareHsm(file, password, ks);
            if (!Files.exists(file)) h.save();
            return h;
        } catch (GeneralSecurityException | IOException e) {
            throw new HsmException("cannot open keystore " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String describe() {
        return "pkcs12:" + file;
    }

    @Override
    public synchronized boolean contains(String label) {
        try {
            return ks.containsAlias(label);
        } catch (GeneralSecurityException e) {
            throw new HsmException("keystore not usable", e);
        }
    }

    @Override
    public synchronized void generateAesKey(String label, int bits) {
        requireAbsent(label);
        try {
            KeyGenerator g = KeyGenerator.getInstance("AES");
            g.init(bits, new SecureRandom());
            ks.setEntry(label, new KeyStore.SecretKeyEntry(g.generateKey()), new KeyStore.PasswordProtection(password));
            save();
        } catch (GeneralSecurityException e) {
            throw new HsmException("cannot generate AES key '" + label + "': " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized PublicKey generateEcKeyPair(String label) {
        requireAbsent(label);
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
            KeyPair kp = g.generateKeyPair();
            ks.setKeyEntry(label, kp.getPrivate(), password, new Certificate[] {placeholderCertificate(label, kp)});
            save();
            return kp.getPublic();
        } catch (GeneralSecurityException e) {
            throw new HsmException("cannot generate key pair '" + label + "': " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized PublicKey publicKey(String label) {
        try {
            Certificate c = ks.getCertificate(label);
            if (c == null) throw new HsmException("no key pair '" + label + "' in " + describe());
            return c.getPublicKey();
        } catch (GeneralSecurityException e) {
            throw new HsmException("keystore not usable", e);
        }
    }

    @Override
    public synchronized byte[] signSha256WithEcdsa(String label, byte[] data) {
        try {
            Signature s = Signature.getInstance("SHA256withECDSA");
            s.initSign(privateKey(label));
            s.update(data);
            return s.sign();
        } catch (GeneralSecurityException e) {
            throw new HsmException("cannot sign with '" + label + "': " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized byte[] aesCmac(String label, byte[] data) {
        byte[] key = secretKey(label).getEncoded();
        try {
            return Cmac.aes(key, data);
        } finally {
            Arrays.fill(key, (byte) 0);
        }
    }

    @Override
    public synchronized void delete(String label) {
        try {
            if (ks.containsAlias(label)) {
                ks.deleteEntry(label);
                save();
            }
        } catch (GeneralSecurityException e) {
            throw new HsmException("cannot delete '" + label + "'", e);
        }
    }

    @Override
    public void close() {
        Arrays.fill(password, '\0');
    }

    private PrivateKey privateKey(String label) throws GeneralSecurityException {
        java.security.Key k = ks.getKey(label, password);
        if (!(k instanceof PrivateKey pk)) throw new HsmException("no private key '" + label + "' in " + describe());
        return pk;
    }

    private SecretKey secretKey(String label) {
        try {
            java.security.Key k = ks.getKey(label, password);
            if (!(k instanceof SecretKey sk)) throw new HsmException("no secret key '" + label + "' in " + describe());
            return sk;
        } catch (GeneralSecurityException e) {
            throw new HsmException("cannot use key '" + label + "'", e);
        }
    }

    private void requireAbsent(String label) {
        if (contains(label)) throw new HsmException("key '" + label + "' already exists in " + describe());
    }

    private static X509Certificate placeholderCertificate(String label, KeyPair kp) throws GeneralSecurityException {
        try {
            X500Name name = new X500Name("CN=" + label.replaceAll("[,=+<>#;\"\\\\]", "_") + ",O=cardsmith software HSM");
            Date from = new Date();
            Date to = new Date(from.getTime() + 3650L * 24 * 3600 * 1000);
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, new BigInteger(64, new SecureRandom()), from, to, name, kp.getPublic());
            ContentSigner signer = new JcaContentSignerBuilder("SHA256withECDSA").build(kp.getPrivate());
            return new JcaX509CertificateConverter().getCertificate(b.build(signer));
        } catch (org.bouncycastle.operator.OperatorCreationException e) {
            throw new GeneralSecurityException(e);
        }
    }

    private void save() {
        try {
            Path dir = file.toAbsolutePath().getParent();
            if (dir != null) Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, ".keystore", ".tmp");
            try (OutputStream out = Files.newOutputStream(tmp)) {
                ks.store(out, password);
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (GeneralSecurityException | IOException e) {
            throw new HsmException("cannot write keystore " + file + ": " + e.getMessage(), e);
        }
    }
}
