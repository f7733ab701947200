package dev.cardsmith.psd;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * HSM labels and diversification parameters. Diversification is NIST SP 800-108 counter mode
 * with AES-CMAC (section 5.1 layout: [1]_32 || Label || 00 || Context || [128]_32):
 * the MK of claim 11 is the SCP03 key set K-ENC/K-MAC/K-DEK = KDF(MK block,
 * "cardsmith/psd/K-ENC" | "…/K-MAC" | "…/K-DEK", PSD ID), three distinct keys; KRK = KDF(KRK
 * block, "cardsmith/psd/KRK", random) (claim 4); the replacement KEK of one session =
 * KDF(KRK, "cardsmith/psd/RKEK", host challenge || card challenge).
 */
public final class PsdKeys {
    private PsdKeys() {}

    public static final byte[] K_ENC_LABEL = "cardsmith/psd/K-ENC".getBytes(StandardCharsets.US_ASCII);
    public static final byte[] K_MAC_LABEL = "cardsmith/psd/K-MAC".getBytes(StandardCharsets.US_ASCII);
    public static final byte[] K_DEK_LABEL = "cardsmith/psd/K-DEK".getBytes(StandardCharsets.US_ASCII);
    /** The MK key set's labels in wire order (K-ENC, K-MAC, K-DEK). */
    public static final List<byte[]> STATIC_KEY_LABELS = List.of(K_ENC_LABEL, K_MAC_LABEL, K_DEK_LABEL);
    /** The replacement key-encryption key (the applet's Crypto.RKEK_LABEL). */
    public static final byte[] REPLACE_KEK_LABEL = "cardsmith/psd/RKEK".getBytes(StandardCharsets.US_ASCII);
    public static final byte[] KRK_LABEL = "cardsmith/psd/KRK".getBytes(StandardCharsets.US_ASCII);
    /** Bytes of the per-PSD random number (claim 3). */
    public static final int RANDOM_LEN = 32;
    public static final int RSA_BITS = 2048;

    // ---- key management server (second HSM)
    public static String kmsMkBlock(int version) { return "psd-kms-mk-block-v" + version; }
    public static String kmsKrkBlock(int version) { return "psd-kms-krk-block-v" + version; }
    public static final String KMS_RSA = "psd-kms-rsa";
    public static final String KMS_PEER = "psd-kms-access-server-import";
    /** EC P-256 pair signing key-transfer files (the access server pins its public half). */
    public static final String KMS_TRANSFER_SIGNING = "psd-kms-transfer-signing";

    // ---- access server (first HSM)
    public static String mkBlock(int version) { return "psd-mk-block-v" + version; }
    public static String krkBlock(int version) { return "psd-krk-block-v" + version; }
    /** The KMS public key (issuance: encrypts the random). */
    public static final String RSA_PUBLIC = "psd-rsa-public";
    /** The KMS key pair, private half transferred for post-issuance replacement (claim 16). */
    public static final String RSA_PAIR = "psd-rsa";
    /** RSA pair receiving key-transfer keys. */
    public static final String KTK_IMPORT = "psd-ktk-import";
    /** Transport key of {@code version} shared with the card issuer (install parameter of the applet); v1 keeps its first label. */
    public static String transportKey(int version) { return version == 1 ? "psd-transport-key" : "psd-transport-key-v" + version; }

    /** The highest version {@code v} (1..127) with every label 1..v present in {@code hsm}; 0 when none. */
    public static int latestVersion(dev.cardsmith.hsm.Hsm hsm, java.util.function.IntFunction<String> label) {
        int v = 0;
        while (v < 0x7F && hsm.contains(label.apply(v + 1))) v++;
        return v;
    }
    /** The development transport key every simulated PSD is installed with (docs/psd.md). Not for production. */
    public static final String DEV_TRANSPORT_KEY_HEX = "404142434445464748494A4B4C4D4E4F";
}
