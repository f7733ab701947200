package dev.cardsmith.csp;

import dev.cardsmith.crypto.EcP256;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.oiw.OIWObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.DigestInfo;

import java.io.IOException;
import java.util.Arrays;
import java.util.Locale;

/**
 * The computer's part of the split (claims 24, 42, 47-48): what the provider computes itself
 * before it sends only the private-key step to the card.
 */
public final class HostCrypto {

    private HostCrypto() {}

    /**
     * Fits any hash to the 32 bytes the card's ECDSA P-256 takes: FIPS 186-4 6.4 uses the
     * leftmost min(N, outlen) bits of the hash with N = 256, so longer hashes (SHA-384, SHA-512)
     * are cut to their leftmost 32 bytes, and shorter inputs (NONEwithECDSA) are left-padded with
     * zeros, which leaves their integer value unchanged.
     */
    public static byte[] fitEcdsaHash(byte[] hash) {
        return fitEcdsaHash(hash, 32);
    }

    /** The same for a curve of {@code n}-byte field elements (48 for P-384: SHA-512 is cut, SHA-256 left-padded). */
    public static byte[] fitEcdsaHash(byte[] hash, int n) {
        if (hash.length >= n) return Arrays.copyOf(hash, n);
        byte[] out = new byte[n];
        System.arraycopy(hash, 0, out, n - hash.length, hash.length);
        return out;
    }

    /** DER DigestInfo (RFC 8017 9.2) for a JCA digest name and a host-computed hash. */
    public static byte[] digestInfo(String digest, byte[] hash) {
        ASN1ObjectIdentifier oid = switch (digest.toUpperCase(Locale.ROOT).replace("-", "")) {
            case "SHA1" -> OIWObjectIdentifiers.idSHA1;
            case "SHA224" -> NISTObjectIdentifiers.id_sha224;
            case "SHA256" -> NISTObjectIdentifiers.id_sha256;
            case "SHA384" -> NISTObjectIdentifiers.id_sha384;
            case "SHA512" -> NISTObjectIdentifiers.id_sha512;
            default -> throw new IllegalArgumentException("no DigestInfo for " + digest);
        };
        try {
            return new DigestInfo(new AlgorithmIdentifier(oid, DERNull.INSTANCE), hash).getEncoded(ASN1Encoding.DER);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Refuses a peer point that is not on P-256 (invalid-curve attack): the card's ECDH output
     * for such a point would leak bits of the private key. Checked by {@link EcP256#checkPoint}.
     */
    public static void checkOnCurve(byte[] point) throws java.security.InvalidKeyException {
        try {
            EcP256.checkPoint(point);
        } catch (IllegalArgumentException e) {
            throw new java.security.InvalidKeyException("peer key is not a P-256 point");
        }
    }

    /**
     * EMSA-PKCS1-v1_5 (RFC 8017 9.2): {@code 00 01 FF..FF 00 DigestInfo}, the block a PIV card
     * raises to the private exponent. At least 8 bytes of FF, as the standard requires.
     */
    public static byte[] pkcs1SignatureBlock(byte[] digestInfo, int k) {
        if (digestInfo.length == 0 || digestInfo.length > k - 11) throw new IllegalArgumentException("DigestInfo must be 1.." + (k - 11) + " bytes");
        byte[] em = new byte[k];
        em[1] = 0x01;
        Arrays.fill(em, 2, k - digestInfo.length - 1, (byte) 0xFF);
        System.arraycopy(digestInfo, 0, em, k - digestInfo.length, digestInfo.length);
        return em;
    }

    /**
     * RSAES-PKCS1-v1_5 decoding (RFC 8017 7.2.2) of the raw block the card returns. Every
     * malformed block gives the same exception after the same work (no early exit), so the
     * caller cannot tell which check failed (Bleichenbacher).
     */
    public static byte[] pkcs1DecryptionUnpad(byte[] em) throws javax.crypto.BadPaddingException {
        int bad = (em[0] & 0xFF) | ((em[1] & 0xFF) ^ 0x02);
        int sep = 0;
        for (int i = 2; i < em.length; i++) {
            int isZero = ((em[i] & 0xFF) - 1) >>> 31;          // 1 when em[i] == 0
            int first = isZero & (sep == 0 ? 1 : 0);
            sep = first == 1 ? i : sep;
        }
        bad |= sep == 0 ? 1 : 0;
        bad |= sep < 10 ? 1 : 0;                                 // at least 8 bytes of non-zero padding
        if (bad != 0) throw new javax.crypto.BadPaddingException("decryption failed");
        return Arrays.copyOfRange(em, sep + 1, em.length);
    }
}
