package dev.cardsmith.module;

import dev.cardsmith.crypto.EcP256;
import dev.cardsmith.hsm.Hsm;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.PublicKey;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;

/**
 * The certificate hierarchy of system 002, keys in the HSM port:
 * <ul>
 *   <li>manufacturer (root, self-signed): its public key is the modules' checking key (claim 7);
 *       it certifies perso units and module identity keys (claim 8);</li>
 *   <li>personalization unit: certified by the manufacturer (claim 7); certifies module keys
 *       (claim 1) and the central system's key (claim 5);</li>
 *   <li>central system: certifies the perso unit's key (claim 6).</li>
 * </ul>
 */
public final class CertificateAuthority {

    private static final Logger LOG = LoggerFactory.getLogger(CertificateAuthority.class);

    public static final String MANUFACTURER_LABEL = "module.manufacturer";
    public static final String PERSO_UNIT_LABEL = "module.perso-unit";
    public static final String CENTRAL_LABEL = "module.central";
    /** AES-256 key (never leaves the HSM) under which TANs are stored (TanIssuer). */
    public static final String TAN_KEY_LABEL = "module.tan";
    public static final String MANUFACTURER_CHR = "ZZCSMFR00001";
    public static final String PERSO_UNIT_CHR = "ZZCSPU00001";
    public static final String CENTRAL_CHR = "ZZCSCS00001";

    private final Hsm hsm;
    private final ModuleStore store;

    public CertificateAuthority(Hsm hsm, ModuleStore store) {
        this.hsm = hsm;
        this.store = store;
    }

    /** Creates the three key pairs (if missing) and issues the hierarchy; idempotent. */
    public List<CvCertificate> init(LocalDate today) {
        List<CvCertificate> out = new ArrayList<>();
        for (String label : new String[]{MANUFACTURER_LABEL, PERSO_UNIT_LABEL, CENTRAL_LABEL}) {
            if (!hsm.contains(label)) {
                hsm.generateEcKeyPair(label);
                LOG.info("generated key pair {}", label);
            }
        }
        ensureTanKey();
        out.add(store.latest(CvCertificate.Role.MANUFACTURER, MANUFACTURER_CHR, MANUFACTURER_CHR)
                .orElseGet(() -> issue(MANUFACTURER_LABEL, MANUFACTURER_CHR, MANUFACTURER_LABEL, MANUFACTURER_CHR, CvCertificate.Role.MANUFACTURER, today, today.plusYears(10))));
        out.add(store.latest(CvCertificate.Role.PERSO_UNIT, MANUFACTURER_CHR, PERSO_UNIT_CHR)
                .orElseGet(() -> issuePersoUnit(today, today.plusYears(3))));
        out.add(store.latest(CvCertificate.Role.CENTRAL, PERSO_UNIT_CHR, CENTRAL_CHR)
                .orElseGet(() -> issue(PERSO_UNIT_LABEL, PERSO_UNIT_CHR, CENTRAL_LABEL, CENTRAL_CHR, CvCertificate.Role.CENTRAL, today, today.plusYears(3))));
        out.add(store.latest(CvCertificate.Role.PERSO_UNIT, CENTRAL_CHR, PERSO_UNIT_CHR)
                .orElseGet(() -> issue(CENTRAL_LABEL, CENTRAL_CHR, PERSO_UNIT_LABEL, PERSO_UNIT_CHR, CvCertificate.Role.PERSO_UNIT, today, today.plusYears(3))));
        return out;
    }

    /** Creates the TAN key in the HSM if it is missing (a keystore from before issue 13). */
    void ensureTanKey() {
        if (!hsm.contains(TAN_KEY_LABEL)) {
            hsm.generateAesKey(TAN_KEY_LABEL, 256);
            LOG.info("generated TAN key {}", TAN_KEY_LABEL);
        }
    }

    /** (Re-)issues the perso unit's certificate by the manufacturer with the given validity. */
    public CvCertificate issuePersoUnit(LocalDate effective, LocalDate expiry) {
        return issue(MANUFACTURER_LABEL, MANUFACTURER_CHR, PERSO_UNIT_LABEL, PERSO_UNIT_CHR, CvCertificate.Role.PERSO_UNIT, effective, expiry);
    }

    /** (Re-)issues the central system's certificate by the perso unit (claim 5). */
    public CvCertificate issueCentral(LocalDate effective, LocalDate expiry) {
        return issue(PERSO_UNIT_LABEL, PERSO_UNIT_CHR, CENTRAL_LABEL, CENTRAL_CHR, CvCertificate.Role.CENTRAL, effective, expiry);
    }

    private CvCertificate issue(String issuerLabel, String car, String holderLabel, String chr, CvCertificate.Role role,
                                LocalDate effective, LocalDate expiry) {
        byte[] point = EcP256.encode(hsm.publicKey(holderLabel));
        CvCertificate c = CvCertificate.issue(car, chr, point, role, null, effective, expiry,
                body -> hsm.signSha256WithEcdsa(issuerLabel, body));
        store.saveCertificate(c);
        LOG.info("issued {} certificate {} by {}", role, chr, car);
        return c;
    }

    /** Signs a holder key given as a point (module identity by the manufacturer, module key by the perso unit). */
    public CvCertificate issueFor(String issuerLabel, String car, String chr, byte[] point, CvCertificate.Role role, byte[] nonce,
                                  LocalDate effective, LocalDate expiry) {
        CvCertificate c = CvCertificate.issue(car, chr, point, role, nonce, effective, expiry,
                body -> hsm.signSha256WithEcdsa(issuerLabel, body));
        store.saveCertificate(c);
        return c;
    }

    public PublicKey manufacturerKey() {
        return hsm.publicKey(MANUFACTURER_LABEL);
    }

    public byte[] manufacturerPoint() {
        return EcP256.encode(manufacturerKey());
    }

    public CvCertificate persoUnitByManufacturer() {
        return store.latest(CvCertificate.Role.PERSO_UNIT, MANUFACTURER_CHR, PERSO_UNIT_CHR)
                .orElseThrow(() -> new ModuleException("no perso-unit certificate: run 'cardsmith ca init'"));
    }

    public CvCertificate centralByPersoUnit() {
        return store.latest(CvCertificate.Role.CENTRAL, PERSO_UNIT_CHR, CENTRAL_CHR)
                .orElseThrow(() -> new ModuleException("no central-system certificate: run 'cardsmith ca init'"));
    }

    public CvCertificate persoUnitByCentral() {
        return store.latest(CvCertificate.Role.PERSO_UNIT, CENTRAL_CHR, PERSO_UNIT_CHR)
                .orElseThrow(() -> new ModuleException("no cross certificate of the perso unit: run 'cardsmith ca init'"));
    }

    public Hsm hsm() { return hsm; }

    public ModuleStore store() { return store; }
}
