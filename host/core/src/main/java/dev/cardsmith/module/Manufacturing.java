package dev.cardsmith.module;

import dev.cardsmith.applet.module.Constants;
import dev.cardsmith.transport.CardSession;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.LocalDate;
import java.util.HexFormat;

/**
 * Manufacturing step (claim 8): installs the checking key when the applet came without install
 * parameters, has the module form its permanent identity key once, certifies it with the
 * manufacturer key and stores the certificate on the module; registers the module.
 */
public final class Manufacturing {

    private final CertificateAuthority ca;

    public Manufacturing(CertificateAuthority ca) {
        this.ca = ca;
    }

    public record Enrolled(String moduleId, CvCertificate identity, boolean alreadyEnrolled) {}

    public Enrolled enroll(CardSession session, LocalDate today) {
        ModuleCard card = ModuleCard.local(session, false).select();
        ModuleApdus.Status st = card.status();
        if (st.has(Constants.FLAG_IDENTITY_CERT)) {
            CvCertificate id = card.identityCertificate();
            ca.store().enroll(moduleId(id.publicPoint()), id);
            return new Enrolled(moduleId(id.publicPoint()), id, true);
        }
        if (!st.has(Constants.FLAG_CHECKING_KEY)) {
            card.setCheckingKey(ca.manufacturerPoint());
        }
        byte[] point = card.generateIdentity();
        String id = moduleId(point);
        CvCertificate cert = ca.issueFor(CertificateAuthority.MANUFACTURER_LABEL, CertificateAuthority.MANUFACTURER_CHR,
                "ZZ" + id + "00001", point, CvCertificate.Role.IDENTITY, null, today, today.plusYears(20));
        card.storeIdentityCertificate(cert.encoded());
        ca.store().enroll(id, cert);
        return new Enrolled(id, cert, false);
    }

    /** Module id: "M" + the first 8 hex digits of SHA-256 of the identity public key. */
    public static String moduleId(byte[] identityPoint) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(identityPoint);
            return "M" + HexFormat.of().withUpperCase().formatHex(h, 0, 4);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Module id from an identity certificate's CHR ("ZZ" + id + sequence). */
    public static String moduleIdOf(CvCertificate identity) {
        String chr = identity.chr();
        if (chr.length() != 16 || !chr.startsWith("ZZM")) throw new ModuleException("identity certificate holder " + chr + " is not a module");
        return chr.substring(2, 11);
    }
}
