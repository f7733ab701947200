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
        if (hash.length >= 32) return Arrays.copyOf(hash, 32);
        byte[] out = new byte[32];
        System.arraycopy(hash, 0, out, 32 - hash.length, hash.length);
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
}
