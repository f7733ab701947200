package dev.cardsmith.csp;

import java.util.List;

/**
 * Claims 24, 42 and 47-48: for every service the provider offers, which part the computer does
 * itself and which part (if any) it asks the card for. The provider registers its services from
 * this table and docs/csp.md prints it; {@link #decide} is the per-request decision.
 */
public final class AlgorithmTable {

    private AlgorithmTable() {}

    /** Who does a request. */
    public enum Worker { HOST, CARD, HOST_THEN_CARD }

    /** One row: JCA type and algorithm, the digest the host computes (signatures), the key type, and the split. */
    public record Entry(String type, String algorithm, String digest, KeyAlgorithm key, String hostPart, String cardPart) {}

    public static final List<Entry> ENTRIES = List.of(
            sig("SHA256withECDSA", "SHA-256", KeyAlgorithm.EC_P256),
            sig("SHA384withECDSA", "SHA-384", KeyAlgorithm.EC_P256),
            sig("SHA512withECDSA", "SHA-512", KeyAlgorithm.EC_P256),
            sig("SHA224withECDSA", "SHA-224", KeyAlgorithm.EC_P256),
            new Entry("Signature", "NONEwithECDSA", null, KeyAlgorithm.EC_P256,
                    "caller's hash fitted to 32 / 48 bytes (P-256 / P-384, FIPS 186-4 6.4); verify with the JDK",
                    "GENERAL AUTHENTICATE 11 (14 for P-384) { 81 hash } (9A, 9C, 9E)"),
            sig("SHA256withRSA", "SHA-256", KeyAlgorithm.RSA_2048),
            sig("SHA384withRSA", "SHA-384", KeyAlgorithm.RSA_2048),
            sig("SHA512withRSA", "SHA-512", KeyAlgorithm.RSA_2048),
            sig("SHA224withRSA", "SHA-224", KeyAlgorithm.RSA_2048),
            new Entry("Cipher", "RSA/ECB/PKCS1Padding", null, KeyAlgorithm.RSA_2048,
                    "encrypt/wrap with a public key (JDK); ciphertext left-padded to 256 bytes",
                    "GENERAL AUTHENTICATE 07 { 81 ciphertext } with 9D: a valid block, or a synthetic one (implicit rejection); the host removes the padding"),
            new Entry("KeyAgreement", "ECDH", null, KeyAlgorithm.EC_P256,
                    "peer point checked on P-256, sent uncompressed (04, X, Y)",
                    "GENERAL AUTHENTICATE 11 { 85 point } with 9D (point checked on P-256 on the card): the X coordinate"),
            new Entry("KeyPairGenerator", "EC", null, KeyAlgorithm.EC_P256,
                    "chooses the slot, builds the JDK public key",
                    "GENERATE ASYMMETRIC KEY PAIR 11, or 14 for P-384 (after 9B authentication)"),
            new Entry("KeyPairGenerator", "RSA", null, KeyAlgorithm.RSA_2048,
                    "chooses the slot, builds the JDK public key",
                    "GENERATE ASYMMETRIC KEY PAIR 07 (after 9B authentication; e = 65537)"),
            new Entry("KeyStore", "CARDSMITH", null, null,
                    "aliases = key references 9a, 9c, 9d, 9e; load password = user PIN",
                    "GET METADATA (algorithm, public key), GET/PUT DATA of the certificate objects, VERIFY"),
            new Entry("SecureRandom", "CardRNG", null, null,
                    "nothing (setSeed is ignored: the card's generator takes no seed)",
                    "9B challenges: GENERAL AUTHENTICATE 7C { 81 00 }, 8 random bytes each, no authentication needed"));

    private static Entry sig(String name, String digest, KeyAlgorithm key) {
        return new Entry("Signature", name, digest, key,
                "hash the data (" + digest + ")" + (key == KeyAlgorithm.RSA_2048 ? ", build the DigestInfo" : ", fit to 32 / 48 bytes (P-256 / P-384)")
                        + "; verify with the JDK",
                key == KeyAlgorithm.RSA_2048 ? "GENERAL AUTHENTICATE 07 { 81 EMSA-PKCS1-v1_5 block built on the host } (9A, 9C, 9E); the card signs only a well-formed DigestInfo block" : "GENERAL AUTHENTICATE 11 (14 for P-384) { 81 hash } (9A, 9C, 9E)");
    }

    /**
     * The per-request decision of claim 42: a request with a card key needs the card (after the
     * host's part); a request with an ordinary public key the provider does itself.
     */
    public static Worker decide(Entry e, Object key) {
        if (key instanceof CardPrivateKey) return e.hostPart().startsWith("nothing") ? Worker.CARD : Worker.HOST_THEN_CARD;
        return Worker.HOST;
    }

    /** The table as Markdown (docs/csp.md). */
    public static String markdown() {
        StringBuilder sb = new StringBuilder("| JCA type | algorithm | host (computer) part | card part |\n|---|---|---|---|\n");
        for (Entry e : ENTRIES) {
            sb.append("| ").append(e.type()).append(" | ").append(e.algorithm()).append(" | ").append(e.hostPart())
                    .append(" | ").append(e.cardPart()).append(" |\n");
        }
        return sb.toString();
    }
}
