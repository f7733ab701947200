package dev.cardsmith.tear;

/** Throw-away self-signed certificates for the certificate tear sweeps: only their DER shape and size matter to a card. */
final class SelfSigned {

    private SelfSigned() {}

    /** A certificate for a fresh key of {@code alg} ("EC" or "RSA") and {@code bits}, subject CN={@code cn}. */
    static byte[] certificate(String alg, int bits, String cn) {
        try {
            java.security.KeyPairGenerator g = java.security.KeyPairGenerator.getInstance(alg);
            g.initialize(bits);
            java.security.KeyPair kp = g.generateKeyPair();
            org.bouncycastle.asn1.x500.X500Name name = new org.bouncycastle.asn1.x500.X500Name("CN=" + cn);
            return new org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder(name, java.math.BigInteger.ONE,
                    new java.util.Date(0), new java.util.Date(4_102_444_800_000L), name, kp.getPublic())
                    .build(new org.bouncycastle.operator.jcajce.JcaContentSignerBuilder(alg.equals("EC") ? "SHA256withECDSA" : "SHA256withRSA")
                            .build(kp.getPrivate())).getEncoded();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
