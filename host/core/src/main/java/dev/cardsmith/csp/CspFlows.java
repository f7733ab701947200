package dev.cardsmith.csp;

import dev.cardsmith.transport.CardSession;

import java.io.ByteArrayInputStream;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.HexFormat;

/** The host flows behind {@code cardsmith csp ...} and {@code cardsmith bench csp-sign}, all through the provider. */
public final class CspFlows {

    private CspFlows() {}

    public record KeygenResult(int slot, String alias, KeyAlgorithm algorithm, PublicKey publicKey, X509Certificate certificate, int apdus) {}

    /** Generates a key pair on the card; with {@code selfSignedDn}, also a self-signed certificate signed by the card and stored in the slot. */
    public static KeygenResult keygen(CardsmithProvider provider, int slot, String label, KeyAlgorithm alg, String selfSignedDn, Duration validity) {
        CardSession s = provider.card().session();
        var before = s.stats().snapshot();
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance(alg.jcaName, provider);
            g.initialize(alg.bits); // the curve (P-256 / P-384) or the RSA size; the slot and label next
            g.initialize(new CardKeyGenParameterSpec(slot, label));
            KeyPair kp = g.generateKeyPair();
            CardPrivateKey k = (CardPrivateKey) kp.getPrivate();
            X509Certificate cert = null;
            if (selfSignedDn != null) {
                cert = CardCertificates.selfSigned(provider, k, selfSignedDn, validity);
                provider.card().putCertificate(k.slot(), cert.getEncoded());
            }
            return new KeygenResult(k.slot(), k.alias(), alg, kp.getPublic(), cert, s.stats().since(before).apdus());
        } catch (GeneralSecurityException e) {
            throw new CspException("key generation failed: " + e.getMessage(), e);
        }
    }

    /** Finds the key by alias (label) or slot number. */
    public static CardPrivateKey key(CardsmithProvider provider, String aliasOrSlot) {
        SlotInfo s = provider.card().slot(aliasOrSlot);
        if (s == null || !s.hasKey()) throw new IllegalArgumentException("no key '" + aliasOrSlot + "' on the card");
        return provider.key(s);
    }

    /** Signs through the JCA (host hashes, card signs) and verifies with the JDK before returning. */
    public static byte[] sign(CardsmithProvider provider, CardPrivateKey key, String algorithm, byte[] data) {
        try {
            Signature sig = Signature.getInstance(algorithm, provider);
            sig.initSign(key);
            sig.update(data);
            byte[] out = sig.sign();
            Signature v = JdkProviders.signature(algorithm);
            v.initVerify(key.publicKey());
            v.update(data);
            if (!v.verify(out)) throw new CspException("the card's signature does not verify");
            return out;
        } catch (GeneralSecurityException e) {
            throw new CspException("signing failed: " + e.getMessage(), e);
        }
    }

    /** Parses a PEM or DER certificate, checks it certifies the slot's key, stores it on the card. */
    public static X509Certificate importCertificate(CardsmithProvider provider, CardPrivateKey key, byte[] pemOrDer) {
        X509Certificate cert;
        try {
            cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(pemOrDer));
        } catch (CertificateException e) {
            throw new IllegalArgumentException("not an X.509 certificate: " + e.getMessage());
        }
        if (!cert.getPublicKey().equals(key.publicKey())) {
            throw new IllegalArgumentException("the certificate is for another key than '" + key.alias() + "' (slot " + key.slot() + ")");
        }
        try {
            provider.card().putCertificate(key.slot(), cert.getEncoded());
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new IllegalArgumentException(e.getMessage());
        }
        return cert;
    }

    public static String sha256Fingerprint(byte[] der) {
        try {
            return HexFormat.ofDelimiter(":").withUpperCase().formatHex(MessageDigest.getInstance("SHA-256").digest(der));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    public record BenchResult(String algorithm, int signatures, long nanos, int apdus, long bytesSent, long bytesReceived) {
        public double perSecond() { return signatures / (nanos / 1e9); }
        public double apdusPerSignature() { return apdus / (double) signatures; }
        public double millisPerSignature() { return nanos / 1e6 / signatures; }
    }

    /**
     * Signatures per second through the provider: one warm-up signature, then {@code count}
     * signatures of a 1 kB message each (the host hashes it), counting the APDUs on the wire.
     */
    public static BenchResult benchSign(CardsmithProvider provider, CardPrivateKey key, String algorithm, int count) {
        try {
            byte[] msg = new byte[1024];
            Signature sig = Signature.getInstance(algorithm, provider);
            sig.initSign(key);
            sig.update(msg);
            sig.sign();
            CardSession s = provider.card().session();
            var before = s.stats().snapshot();
            long t0 = System.nanoTime();
            for (int i = 0; i < count; i++) {
                msg[0] = (byte) i;
                sig.update(msg);
                sig.sign();
            }
            long t = System.nanoTime() - t0;
            var d = s.stats().since(before);
            return new BenchResult(algorithm, count, t, d.apdus(), d.bytesSent(), d.bytesReceived());
        } catch (GeneralSecurityException e) {
            throw new CspException("benchmark failed: " + e.getMessage(), e);
        }
    }
}
