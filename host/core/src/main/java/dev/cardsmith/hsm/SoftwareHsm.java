package dev.cardsmith.hsm;

import dev.cardsmith.crypto.Cmac;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import dev.cardsmith.crypto.Sp800108;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.Wrapper;
import org.bouncycastle.crypto.engines.AESWrapEngine;
import org.bouncycastle.crypto.engines.AESWrapPadEngine;
import org.bouncycastle.crypto.params.KeyParameter;

import javax.crypto.Cipher;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
import javax.crypto.spec.SecretKeySpec;
import java.security.Key;
import java.security.KeyFactory;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.util.HashMap;
import java.util.Map;
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
    /** Session keys (derived/unwrapped per operation): memory only, wiped on delete/close. */
    private final Map<String, Key> session = new HashMap<>();
    private final Map<String, PublicKey> sessionPublic = new HashMap<>();
    private final SecureRandom random = new SecureRandom();

    static final OAEPParameterSpec OAEP_SHA1 = new OAEPParameterSpec("SHA-1", "MGF1", MGF1ParameterSpec.SHA1, PSource.PSpecified.DEFAULT);

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
        if (session.containsKey(label)) return true;
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
        return generateEcdhKeyPair(label, true); // a JCE EC key serves ECDSA and ECDH alike
    }

    @Override
    public synchronized PublicKey publicKey(String label) {
        if (sessionPublic.containsKey(label)) return sessionPublic.get(label);
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
    public synchronized PublicKey generateEcdhKeyPair(String label, boolean persistent) {
        requireAbsent(label);
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
            KeyPair kp = g.generateKeyPair();
            if (persistent) {
                ks.setKeyEntry(label, kp.getPrivate(), password, new Certificate[] {placeholderCertificate(label, kp)});
                save();
            } else {
                session.put(label, kp.getPrivate());
                sessionPublic.put(label, kp.getPublic());
            }
            return kp.getPublic();
        } catch (GeneralSecurityException e) {
            throw new HsmException("cannot generate key pair '" + label + "': " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized byte[] ecdh(String label, byte[] peerPoint) {
        PublicKey peer;
        try {
            peer = dev.cardsmith.crypto.EcP256.decode(peerPoint);
        } catch (IllegalArgumentException e) {
            throw new HsmException("ECDH with '" + label + "': " + e.getMessage());
        }
        try {
            javax.crypto.KeyAgreement ka = javax.crypto.KeyAgreement.getInstance("ECDH");
            ka.init(privateKey(label));
            ka.doPhase(peer, true);
            return ka.generateSecret();
        } catch (GeneralSecurityException e) {
            throw new HsmException("cannot run ECDH with '" + label + "': " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void delete(String label) {
        if (session.containsKey(label)) {
            wipe(session.remove(label));
            sessionPublic.remove(label);
            return;
        }
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
    public synchronized void close() {
        for (Key k : session.values()) wipe(k);
        session.clear();
        sessionPublic.clear();
        Arrays.fill(password, '\0');
    }

    @Override
    public synchronized void generateAesKey(String label, int bits, boolean wrappable) {
        // a PKCS#12 file cannot enforce non-extractability: the flag is a PKCS#11 attribute
        generateAesKey(label, bits);
    }

    @Override
    public synchronized PublicKey generateRsaKeyPair(String label, int bits, boolean wrappable) {
        requireAbsent(label);
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(bits, random);
            KeyPair kp = g.generateKeyPair();
            ks.setKeyEntry(label, kp.getPrivate(), password, new Certificate[] {placeholderCertificate(label, kp)});
            save();
            return kp.getPublic();
        } catch (GeneralSecurityException e) {
            throw new HsmException("cannot generate RSA key pair '" + label + "': " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void importPublicKey(String label, PublicKey key) {
        requireAbsent(label);
        try {
            // PKCS#12 stores public keys only inside certificates: a placeholder certificate
            // for the peer's key, signed by a throw-away key (it is never verified).
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"), random);
            KeyPair signer = g.generateKeyPair();
            ks.setCertificateEntry(label, placeholderCertificate(label, key, signer.getPrivate()));
            save();
        } catch (GeneralSecurityException e) {
            throw new HsmException("cannot import public key '" + label + "': " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void importAesKey(String label, byte[] value) {
        requireAbsent(label);
        if (value.length != 16 && value.length != 24 && value.length != 32) throw new HsmException("AES key '" + label + "' must be 16, 24 or 32 bytes");
        try {
            ks.setEntry(label, new KeyStore.SecretKeyEntry(new SecretKeySpec(value, "AES")), new KeyStore.PasswordProtection(password));
            save();
        } catch (GeneralSecurityException e) {
            throw new HsmException("cannot import AES key '" + label + "': " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized byte[] generateRandom(int bytes) {
        byte[] b = new byte[bytes];
        random.nextBytes(b);
        return b;
    }

    @Override
    public synchronized byte[] rsaOaepEncrypt(String label, byte[] data) {
        try {
            Cipher c = Cipher.getInstance("RSA/ECB/OAEPPadding");
            c.init(Cipher.ENCRYPT_MODE, publicKey(label), OAEP_SHA1, random);
            return c.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new HsmException("cannot RSA-OAEP encrypt under '" + label + "'", e);
        }
    }

    @Override
    public synchronized byte[] rsaOaepDecrypt(String label, byte[] cryptogram) {
        try {
            Cipher c = Cipher.getInstance("RSA/ECB/OAEPPadding");
            c.init(Cipher.DECRYPT_MODE, privateKey(label), OAEP_SHA1);
            return c.doFinal(cryptogram);
        } catch (GeneralSecurityException e) {
            throw new HsmException("cannot RSA-OAEP decrypt with '" + label + "' (wrong key or corrupt cryptogram)");
        }
    }

    @Override
    public synchronized void deriveAesKey(String masterLabel, byte[] label, byte[] context, String targetLabel) {
        requireAbsent(targetLabel);
        byte[] master = secretKey(masterLabel).getEncoded();
        byte[] derived = Sp800108.deriveKey(master, label, context, 16);
        try {
            session.put(targetLabel, new SecretKeySpec(derived, "AES"));
        } finally {
            Arrays.fill(master, (byte) 0);
            Arrays.fill(derived, (byte) 0);
        }
    }

    @Override
    public synchronized byte[] wrapKey(String wrappingLabel, String keyLabel) {
        Key kek = anyKey(wrappingLabel);
        Key key = anyKey(keyLabel);
        if (kek instanceof SecretKey) {
            byte[] k = kek.getEncoded();
            byte[] v = key.getEncoded();
            try {
                Wrapper w = key instanceof SecretKey ? new AESWrapEngine() : new AESWrapPadEngine();
                w.init(true, new KeyParameter(k));
                return w.wrap(v, 0, v.length);
            } finally {
                Arrays.fill(k, (byte) 0);
                Arrays.fill(v, (byte) 0);
            }
        }
        if (kek instanceof PublicKey pub && key instanceof SecretKey) {
            byte[] v = key.getEncoded();
            try {
                Cipher c = Cipher.getInstance("RSA/ECB/OAEPPadding");
                c.init(Cipher.ENCRYPT_MODE, pub, OAEP_SHA1, random);
                return c.doFinal(v);
            } catch (GeneralSecurityException e) {
                throw new HsmException("cannot wrap '" + keyLabel + "' under '" + wrappingLabel + "'", e);
            } finally {
                Arrays.fill(v, (byte) 0);
            }
        }
        throw new HsmException("cannot wrap '" + keyLabel + "' under '" + wrappingLabel + "': unsupported key types");
    }

    @Override
    public synchronized void unwrapKey(String unwrappingLabel, byte[] wrapped, String targetLabel, KeyKind kind, boolean persistent) {
        requireAbsent(targetLabel);
        Key kek = anyKey(unwrappingLabel);
        byte[] value = null;
        try {
            if (kek instanceof SecretKey) {
                byte[] k = kek.getEncoded();
                try {
                    Wrapper w = kind == KeyKind.AES ? new AESWrapEngine() : new AESWrapPadEngine();
                    w.init(false, new KeyParameter(k));
                    value = w.unwrap(wrapped, 0, wrapped.length);
                } finally {
                    Arrays.fill(k, (byte) 0);
                }
            } else if (kek instanceof PrivateKey priv && kind == KeyKind.AES) {
                Cipher c = Cipher.getInstance("RSA/ECB/OAEPPadding");
                c.init(Cipher.DECRYPT_MODE, priv, OAEP_SHA1);
                value = c.doFinal(wrapped);
            } else {
                throw new HsmException("cannot unwrap into '" + targetLabel + "' with '" + unwrappingLabel + "': unsupported key types");
            }
            if (kind == KeyKind.AES) {
                if (value.length != 16 && value.length != 24 && value.length != 32) throw new HsmException("unwrapped value for '" + targetLabel + "' is not an AES key");
                SecretKey sk = new SecretKeySpec(value, "AES");
                if (persistent) {
                    ks.setEntry(targetLabel, new KeyStore.SecretKeyEntry(sk), new KeyStore.PasswordProtection(password));
                    save();
                } else {
                    session.put(targetLabel, sk);
                }
            } else {
                PrivateKey pk = KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(value));
                if (!(pk instanceof RSAPrivateCrtKey crt)) throw new HsmException("unwrapped value for '" + targetLabel + "' is not an RSA CRT key");
                PublicKey pub = KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(crt.getModulus(), crt.getPublicExponent()));
                if (persistent) {
                    ks.setKeyEntry(targetLabel, pk, password, new Certificate[] {placeholderCertificate(targetLabel, new KeyPair(pub, pk))});
                    save();
                } else {
                    session.put(targetLabel, pk);
                    sessionPublic.put(targetLabel, pub);
                }
            }
        } catch (InvalidCipherTextException | GeneralSecurityException e) {
            throw new HsmException("cannot unwrap into '" + targetLabel + "' with '" + unwrappingLabel + "' (wrong key or corrupt data)");
        } finally {
            if (value != null) Arrays.fill(value, (byte) 0);
        }
    }

    private Key anyKey(String label) {
        Key k = session.get(label);
        if (k != null) return k;
        try {
            if (!ks.containsAlias(label)) throw new HsmException("no key '" + label + "' in " + describe());
            if (ks.isCertificateEntry(label)) return ks.getCertificate(label).getPublicKey();
            return ks.getKey(label, password);
        } catch (GeneralSecurityException e) {
            throw new HsmException("cannot use key '" + label + "'", e);
        }
    }

    private static void wipe(Key k) {
        if (k instanceof javax.security.auth.Destroyable d) {
            try {
                d.destroy();
            } catch (javax.security.auth.DestroyFailedException ignored) {
                // SecretKeySpec/JDK keys cannot always be destroyed; dropping the reference is all we can do
            }
        }
    }

    private PrivateKey privateKey(String label) throws GeneralSecurityException {
        java.security.Key k = session.containsKey(label) ? session.get(label) : ks.getKey(label, password);
        if (!(k instanceof PrivateKey pk)) throw new HsmException("no private key '" + label + "' in " + describe());
        return pk;
    }

    private SecretKey secretKey(String label) {
        try {
            java.security.Key k = session.containsKey(label) ? session.get(label) : ks.getKey(label, password);
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
        return placeholderCertificate(label, kp.getPublic(), kp.getPrivate());
    }

    private static X509Certificate placeholderCertificate(String label, PublicKey subjectKey, PrivateKey signerKey) throws GeneralSecurityException {
        try {
            X500Name name = new X500Name("CN=" + label.replaceAll("[,=+<>#;\"\\\\]", "_") + ",O=cardsmith software HSM");
            Date from = new Date();
            Date to = new Date(from.getTime() + 3650L * 24 * 3600 * 1000);
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, new BigInteger(64, new SecureRandom()), from, to, name, subjectKey);
            ContentSigner signer = new JcaContentSignerBuilder(signerKey.getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA").build(signerKey);
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
