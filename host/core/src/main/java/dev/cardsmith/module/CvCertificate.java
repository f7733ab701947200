package dev.cardsmith.module;

import dev.cardsmith.codec.Tlv;
import dev.cardsmith.crypto.EcP256;
import dev.cardsmith.applet.module.Constants;
import org.bouncycastle.asn1.eac.CVCertificate;

import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.time.LocalDate;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.function.Function;

/**
 * A card-verifiable certificate of system 002 (BSI TR-03110-3 / ISO 7816-8 profile, ECDSA
 * P-256 with SHA-256, docs/module.md):
 * <pre>
 * 7F21 { 7F4E { 5F29 00 | 42 CAR | 7F49 { 06 id-TA-ECDSA-SHA-256 | 86 point } | 5F20 CHR |
 *               7F4C { 06 cardsmith-role OID | 53 role [|| nonce16] } | 5F25 YYMMDD | 5F24 YYMMDD }
 *        5F37 r||s }
 * </pre>
 * The role byte and, in module certificates, the module's nonce (claim 9) are the CHAT's
 * discretionary data, so the nonce is inside the signed body.
 */
public record CvCertificate(byte[] encoded, byte[] body, String car, String chr, byte[] publicPoint,
                            Role role, byte[] nonce, LocalDate effective, LocalDate expiry, byte[] signature) {

    /** Certificate roles (first CHAT discretionary byte); values from the applet's Constants. */
    public enum Role {
        MANUFACTURER(Constants.ROLE_MANUFACTURER), PERSO_UNIT(Constants.ROLE_PERSO_UNIT), CENTRAL(Constants.ROLE_CENTRAL),
        IDENTITY(Constants.ROLE_IDENTITY), MODULE(Constants.ROLE_MODULE);

        public final byte code;

        Role(byte code) { this.code = code; }

        static Role of(byte code) {
            for (Role r : values()) if (r.code == code) return r;
            throw new ModuleException("unknown certificate role " + code);
        }
    }

    /** Builds the body and signs it; {@code signer} returns a DER ECDSA-SHA-256 signature (HSM or test key). */
    public static CvCertificate issue(String car, String chr, byte[] publicPoint, Role role, byte[] nonce,
                                      LocalDate effective, LocalDate expiry, Function<byte[], byte[]> signer) {
        if (nonce != null && nonce.length != Constants.NONCE_LENGTH) throw new IllegalArgumentException("nonce must be 16 bytes");
        checkReference(car);
        checkReference(chr);
        byte[] discretionary = nonce == null ? new byte[]{role.code} : Tlv.concat(new byte[]{role.code}, nonce);
        byte[] body = Tlv.of(Constants.TAG_CERTIFICATE_BODY,
                Tlv.of(Constants.TAG_CPI, new byte[]{0}),
                Tlv.of(Constants.TAG_CAR, ascii(car)),
                Tlv.of(Constants.TAG_PUBLIC_KEY, Tlv.of(Constants.TAG_OID, Constants.OID_TA_ECDSA_SHA_256), Tlv.of(Constants.TAG_EC_POINT, publicPoint)),
                Tlv.of(Constants.TAG_CHR, ascii(chr)),
                Tlv.of(Constants.TAG_CHAT, Tlv.of(Constants.TAG_OID, Constants.OID_CARDSMITH_ROLE), Tlv.of(Constants.TAG_DISCRETIONARY, discretionary)),
                Tlv.of(Constants.TAG_EFFECTIVE_DATE, date(effective)),
                Tlv.of(Constants.TAG_EXPIRY_DATE, date(expiry)));
        byte[] sig = EcP256.derToPlain(signer.apply(body));
        return parse(Tlv.of(Constants.TAG_CV_CERTIFICATE, body, Tlv.of(Constants.TAG_SIGNATURE, sig)));
    }

    /** Parses strictly in profile order, and also through BouncyCastle's {@link CVCertificate}. */
    public static CvCertificate parse(byte[] encoded) {
        try {
            CVCertificate.getInstance(encoded);
        } catch (RuntimeException e) {
            throw new ModuleException("BouncyCastle rejects the certificate: " + e.getMessage(), e);
        }
        Tlv.Reader outer = new Tlv.Reader(encoded, ModuleException::new);
        Tlv.Element cert = outer.expect(Constants.TAG_CV_CERTIFICATE);
        outer.expectEnd();
        Tlv.Reader c = new Tlv.Reader(cert.value(), ModuleException::new);
        Tlv.Element bodyEl = c.expect(Constants.TAG_CERTIFICATE_BODY);
        byte[] body = Arrays.copyOfRange(cert.value(), bodyEl.start(), bodyEl.end());
        byte[] sig = c.expect(Constants.TAG_SIGNATURE).value();
        c.expectEnd();
        if (sig.length != 64) throw new ModuleException("signature is not 64 bytes r||s");
        Tlv.Reader b = new Tlv.Reader(bodyEl.value(), ModuleException::new);
        byte[] cpi = b.expect(Constants.TAG_CPI).value();
        if (cpi.length != 1 || cpi[0] != 0) throw new ModuleException("unsupported certificate profile identifier");
        String car = new String(b.expect(Constants.TAG_CAR).value(), StandardCharsets.ISO_8859_1);
        Tlv.Reader k = new Tlv.Reader(b.expect(Constants.TAG_PUBLIC_KEY).value(), ModuleException::new);
        if (!Arrays.equals(k.expect(Constants.TAG_OID).value(), Constants.OID_TA_ECDSA_SHA_256)) throw new ModuleException("public key is not id-TA-ECDSA-SHA-256");
        byte[] point = k.expect(Constants.TAG_EC_POINT).value();
        k.expectEnd();
        if (point.length != EcP256.POINT_LENGTH || point[0] != 4) throw new ModuleException("public key is not an uncompressed P-256 point");
        String chr = new String(b.expect(Constants.TAG_CHR).value(), StandardCharsets.ISO_8859_1);
        Tlv.Reader chat = new Tlv.Reader(b.expect(Constants.TAG_CHAT).value(), ModuleException::new);
        if (!Arrays.equals(chat.expect(Constants.TAG_OID).value(), Constants.OID_CARDSMITH_ROLE)) throw new ModuleException("CHAT is not a cardsmith role");
        byte[] d = chat.expect(Constants.TAG_DISCRETIONARY).value();
        chat.expectEnd();
        if (d.length != 1 && d.length != 1 + Constants.NONCE_LENGTH) throw new ModuleException("CHAT discretionary data has a wrong length");
        Role role = Role.of(d[0]);
        byte[] nonce = d.length == 1 ? null : Arrays.copyOfRange(d, 1, d.length);
        LocalDate eff = date(b.expect(Constants.TAG_EFFECTIVE_DATE).value());
        LocalDate exp = date(b.expect(Constants.TAG_EXPIRY_DATE).value());
        b.expectEnd();
        return new CvCertificate(encoded, body, car, chr, point, role, nonce, eff, exp, sig);
    }

    public PublicKey publicKey() {
        return point(publicPoint);
    }

    /** A P-256 point received from a module or a certificate, checked on the curve. */
    static PublicKey point(byte[] encoded) {
        try {
            return EcP256.decode(encoded);
        } catch (IllegalArgumentException e) {
            throw new ModuleException(e.getMessage(), e);
        }
    }

    /** Checks the signature over the encoded body with the issuer's key. */
    public boolean verifiedBy(PublicKey issuer) {
        try {
            return EcP256.verifyDer(issuer, body, EcP256.plainToDer(signature));
        } catch (IllegalArgumentException e) {
            return false; // r or s out of range: not a signature
        }
    }

    /** Verified by {@code issuer}, issued by {@code issuerChr}, of {@code role}, valid on {@code today}. */
    public void check(PublicKey issuer, String issuerChr, Role expectedRole, LocalDate today) {
        if (role != expectedRole) throw new ModuleException("certificate " + chr + " has role " + role + ", expected " + expectedRole);
        if (!car.equals(issuerChr)) throw new ModuleException("certificate " + chr + " is issued by " + car + ", expected " + issuerChr);
        if (!verifiedBy(issuer)) throw new ModuleException("signature of certificate " + chr + " does not verify");
        if (today.isBefore(effective)) throw new ModuleException("certificate " + chr + " is not yet valid");
        if (today.isAfter(expiry)) throw new ModuleException("certificate " + chr + " expired on " + expiry);
    }

    public String hex() {
        return HexFormat.of().formatHex(encoded);
    }

    static byte[] date(LocalDate d) {
        int y = d.getYear() % 100, m = d.getMonthValue(), day = d.getDayOfMonth();
        if (d.getYear() < 2000 || d.getYear() > 2099) throw new IllegalArgumentException("date outside 2000-2099");
        return new byte[]{(byte) (y / 10), (byte) (y % 10), (byte) (m / 10), (byte) (m % 10), (byte) (day / 10), (byte) (day % 10)};
    }

    static LocalDate date(byte[] d) {
        if (d.length != 6) throw new ModuleException("date is not 6 digits");
        for (byte x : d) if (x < 0 || x > 9) throw new ModuleException("date digit out of range");
        try {
            return LocalDate.of(2000 + d[0] * 10 + d[1], d[2] * 10 + d[3], d[4] * 10 + d[5]);
        } catch (java.time.DateTimeException e) {
            throw new ModuleException("invalid date in certificate");
        }
    }

    private static void checkReference(String ref) {
        if (ref == null || ref.isEmpty() || ref.length() > Constants.MAX_REFERENCE_LENGTH) throw new IllegalArgumentException("reference must be 1-16 characters");
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }
}
