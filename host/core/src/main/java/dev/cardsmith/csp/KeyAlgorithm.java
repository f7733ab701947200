package dev.cardsmith.csp;

import dev.cardsmith.applet.piv.Constants;

/** The key types a PIV slot can hold, with their SP 800-78-4 algorithm identifiers. */
public enum KeyAlgorithm {
    NONE(Constants.ALG_NONE, "-"),
    EC_P256(Constants.ALG_EC_P256, "EC"),
    RSA_2048(Constants.ALG_RSA_2048, "RSA");

    /** The PIV algorithm identifier (SP 800-78-4 Table 6-2): 11 P-256, 07 RSA-2048. */
    final byte pivCode;
    /** JCA key algorithm name. */
    public final String jcaName;

    KeyAlgorithm(byte pivCode, String jcaName) {
        this.pivCode = pivCode;
        this.jcaName = jcaName;
    }

    public static KeyAlgorithm fromPivCode(byte code) {
        for (KeyAlgorithm a : values()) if (a != NONE && a.pivCode == code) return a;
        throw new CspException("unsupported PIV key algorithm " + (code & 0xFF));
    }

    /** "ec", "ec-p256", "p256", "rsa", "rsa2048" (CLI and KeyPairGenerator names). */
    public static KeyAlgorithm parse(String s) {
        switch (s.toLowerCase(java.util.Locale.ROOT)) {
            case "ec": case "ec-p256": case "p256": case "p-256": case "secp256r1": return EC_P256;
            case "rsa": case "rsa2048": case "rsa-2048": return RSA_2048;
            default: throw new IllegalArgumentException("unknown key algorithm '" + s + "' (ec or rsa)");
        }
    }
}
