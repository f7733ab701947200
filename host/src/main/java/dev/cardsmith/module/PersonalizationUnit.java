package dev.cardsmith.module;

import dev.cardsmith.transport.CardStatusException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The personalization unit (claims 1, 3, 5-10, 13, 16-18, 20): checks the module's identity
 * (manufacturer certificate + challenge-response), checks the TAN the module forwarded, issues
 * the module certificate over the fresh module key and the module's nonce, and hands over the
 * central system's certificate and its own cross certificate. Runs over a local reader or the
 * network relay (claims 12, 14, 15) unchanged.
 */
public final class PersonalizationUnit {

    private static final Logger LOG = LoggerFactory.getLogger(PersonalizationUnit.class);

    private final CertificateAuthority ca;
    private final ModuleStore store;

    public PersonalizationUnit(CertificateAuthority ca) {
        this.ca = ca;
        this.store = ca.store();
    }

    public record Result(String moduleId, CvCertificate moduleCertificate) {
        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("module", moduleId);
            m.put("state", "operating");
            m.put("moduleCertificate", moduleCertificate.chr());
            m.put("issuer", moduleCertificate.car());
            m.put("expires", moduleCertificate.expiry().toString());
            return m;
        }
    }

    /** Runs a personalization on a selected module whose TAN has been entered. */
    public Result personalize(ModuleCard card, LocalDate today, String appliance) {
        String moduleId = null;
        try {
            PersoSession s = new PersoSession(card, body -> ca.hsm().signSha256WithEcdsa(CertificateAuthority.PERSO_UNIT_LABEL, body));
            PersoSession.Initiated init = s.initiate(ca.persoUnitByManufacturer().encoded());
            CvCertificate identity = init.identity();
            identity.check(ca.manufacturerKey(), CertificateAuthority.MANUFACTURER_CHR, CvCertificate.Role.IDENTITY, today);
            if (!init.identityProved()) throw new ModuleException("module failed the identity challenge");
            moduleId = Manufacturing.moduleIdOf(identity);
            if (!moduleId.equals(Manufacturing.moduleId(identity.publicPoint()))) throw new ModuleException("identity holder does not match its key");

            PersoSession.Authenticated auth = s.authenticate(EcP256.random(16));
            ModuleStore.TanCheck tan = store.useTan(moduleId, auth.tan());
            if (tan != ModuleStore.TanCheck.ACCEPTED) {
                throw new ModuleException(tan == ModuleStore.TanCheck.BLOCKED
                        ? "TANs of module " + moduleId + " are blocked after " + ModuleStore.MAX_TAN_FAILURES + " wrong entries"
                        : "wrong TAN for module " + moduleId);
            }
            int n = store.module(moduleId).map(ModuleStore.ModuleRecord::personalizations).orElse(0) + 1;
            String chr = "ZZ" + moduleId + String.format("%05d", n % 100000);
            CvCertificate moduleCert = ca.issueFor(CertificateAuthority.PERSO_UNIT_LABEL, CertificateAuthority.PERSO_UNIT_CHR, chr,
                    auth.modulePoint(), CvCertificate.Role.MODULE, auth.nonce(), today, today.plusYears(2));
            s.storeCertificates(moduleCert.encoded(), ca.centralByPersoUnit().encoded(), ca.persoUnitByCentral().encoded());
            store.personalized(moduleId, moduleCert, appliance);
            store.recordSession(moduleId, "PERSONALIZE", true, appliance, moduleCert.chr());
            LOG.info("personalized module {} with certificate {}", moduleId, chr);
            return new Result(moduleId, moduleCert);
        } catch (ModuleException | CardStatusException e) {
            store.recordSession(moduleId, "PERSONALIZE", false, appliance, e.getMessage());
            throw e;
        }
    }

    /**
     * The perso unit as a network service (claim 14): the appliance identifies itself in its
     * HELLO; with a non-empty allow list only listed appliances are served. The module itself is
     * identified through its identity certificate inside the relayed, end-to-end protected protocol.
     */
    public ApduRelay.Handler relayHandler(java.util.Set<String> allowedAppliances, java.util.function.Supplier<LocalDate> today) {
        return (hello, card) -> {
            Object a = hello.get("appliance");
            String appliance = a == null ? null : a.toString();
            if (!allowedAppliances.isEmpty() && (appliance == null || !allowedAppliances.contains(appliance))) {
                throw new ModuleException("appliance " + appliance + " is not registered with this perso unit");
            }
            Map<String, Object> m = personalize(card, today.get(), appliance).toMap();
            m.put("appliance", appliance);
            return m;
        };
    }
}
