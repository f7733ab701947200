package dev.cardsmith.csp;

import dev.cardsmith.applet.piv.Constants;

import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.util.List;

/** The key types a PIV slot can hold, with their SP 800-78-4 algorithm identifiers. */
public enum KeyAlgorithm {
    NONE(Constants.ALG_NONE, "-", 0, null),
    EC_P256(Constants.ALG_EC_P256, "EC", 256, "secp256r1"),
    EC_P384(Constants.ALG_EC_P384, "EC", 384, "secp384r1"),
    RSA_2048(Constants.ALG_RSA_2048, "RSA", 2048, null);

    /** The PIV algorithm identifier (SP 800-78-4 Table 6-2): 11 P-256, 14 P-384, 07 RSA-2048. */
    final byte pivCode;
    /** JCA key algorithm name. */
    public final String jcaName;
    /** Key size in bits (the curve's field size for EC). */
    public final int bits;
    /** The curve's JCA name (secp256r1, secp384r1), null for RSA. */
    public final String curve;
    private volatile ECParameterSpec params;

    KeyAlgorithm(byte pivCode, String jcaName, int bits, String curve) {
        this.pivCode = pivCode;
        this.jcaName = jcaName;
        this.bits = bits;
        this.curve = curve;
    }

    public boolean isEc() { return curve != null; }

    /** Bytes of a field element (32 or 48): the length of the hash the card's ECDSA takes. */
    public int fieldBytes() { return (bits + 7) / 8; }

    /** Length of an uncompressed point 04 || X || Y (65 or 97). */
    public int pointLength() { return 1 + 2 * fieldBytes(); }

    /** The curve as JCA parameters. */
    public ECParameterSpec ecParams() {
        if (!isEc()) throw new IllegalStateException(this + " is not an EC algorithm");
        if (params != null) return params;
        try {
            AlgorithmParameters ap = AlgorithmParameters.getInstance("EC");
            ap.init(new ECGenParameterSpec(curve));
            params = ap.getParameterSpec(ECParameterSpec.class);
            return params;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("no " + curve + " on this JVM", e);
        }
    }

    /** The EC algorithm of a curve given by its parameters (P-256 or P-384), else null. */
    public static KeyAlgorithm ofCurve(ECParameterSpec params) {
        for (KeyAlgorithm a : List.of(EC_P256, EC_P384)) {
            if (a.ecParams().getOrder().equals(params.getOrder())) return a;
        }
        return null;
    }

    /** The EC algorithm of a curve given by one of its names (secp384r1, NIST P-384, P-384, its OID), else null. */
    public static KeyAlgorithm ofCurveName(String name) {
        return switch (name) {
            case "secp256r1", "NIST P-256", "P-256", "prime256v1", "1.2.840.10045.3.1.7" -> EC_P256;
            case "secp384r1", "NIST P-384", "P-384", "1.3.132.0.34" -> EC_P384;
            default -> null;
        };
    }

    public static KeyAlgorithm fromPivCode(byte code) {
        for (KeyAlgorithm a : values()) if (a != NONE && a.pivCode == code) return a;
        throw new CspException("unsupported PIV key algorithm " + (code & 0xFF));
    }

    /** "ec" / "p256", "p384" / "ec-p384", "rsa" / "rsa2048" (CLI and KeyPairGenerator names). */
    public static KeyAlgorithm parse(String s) {
        switch (s.toLowerCase(java.util.Locale.ROOT)) {
            case "ec": case "ec-p256": case "p256": case "p-256": case "secp256r1": return EC_P256;
            case "ec-p384": case "p384": case "p-384": case "secp384r1": return EC_P384;
            case "rsa": case "rsa2048": case "rsa-2048": return RSA_2048;
            default: throw new IllegalArgumentException("unknown key algorithm '" + s + "' (ec, p384 or rsa)");
        }
    }
}
