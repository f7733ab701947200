package dev.cardsmith.module;

import dev.cardsmith.crypto.Rng;
import dev.cardsmith.applet.module.Constants;
import dev.cardsmith.applet.platform.Sw;
import dev.cardsmith.store.OperationJournal;
import dev.cardsmith.transport.ApduRelay;
import dev.cardsmith.transport.CardStatusException;
import dev.cardsmith.transport.TransportException;
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
    private final OperationJournal journal;
    static final String JOURNAL_SYSTEM = "module";

    public PersonalizationUnit(CertificateAuthority ca) {
        this.ca = ca;
        this.store = ca.store();
        this.journal = new OperationJournal(store.database());
    }

    /**
     * The module refused INITIATE because it is operating. The module's certificate decides what
     * happened: one this perso unit issued for this module means a personalization completed on
     * the card, whatever the host recorded (the host stopped, or the response of PERSO STORE
     * CERTIFICATES was lost), so the registry and the journal catch up from the card. Returns
     * null when there is nothing to reconcile (the store already records the card's certificate,
     * or the certificate is not ours).
     */
    Result reconcile(ModuleCard card, String appliance) {
        CvCertificate identity = card.identityCertificate();
        String moduleId = Manufacturing.moduleIdOf(identity);
        java.util.List<OperationJournal.Entry> pending = journal.pending(JOURNAL_SYSTEM, moduleId);
        CvCertificate onCard = card.moduleCertificate();
        boolean ours = issuedHere(onCard, moduleId);
        for (OperationJournal.Entry e : pending) {
            boolean match = ours && onCard.chr().equals(e.detail());
            journal.finish(e.id(), match ? OperationJournal.State.DONE : OperationJournal.State.FAILED, match ? "reconciled" : "not on the module");
        }
        if (!ours) return null;
        boolean recorded = store.module(moduleId)
                .map(r -> "PERSONALIZED".equals(r.state()) && onCard.chr().equals(r.moduleChr())).orElse(false);
        if (recorded && pending.isEmpty()) return null;
        store.personalized(moduleId, onCard, appliance);
        store.recordSession(moduleId, "PERSONALIZE", true, appliance, "reconciled " + onCard.chr());
        LOG.info("reconciled interrupted personalization of module {}", moduleId);
        return new Result(moduleId, onCard);
    }

    /** A module certificate this perso unit issued (it is in the certificate table) for this module. */
    private boolean issuedHere(CvCertificate onCard, String moduleId) {
        return onCard.car().equals(CertificateAuthority.PERSO_UNIT_CHR)
                && onCard.chr().startsWith(chrPrefix(moduleId))
                && store.certificate(onCard.encoded()).isPresent();
    }

    private static String chrPrefix(String moduleId) {
        return "ZZ" + moduleId;
    }

    /** The module is still in personalization: no earlier attempt committed, so none is still open. */
    private void closeStale(String moduleId) {
        for (OperationJournal.Entry e : journal.pending(JOURNAL_SYSTEM, moduleId)) {
            journal.finish(e.id(), OperationJournal.State.FAILED, "not on the module");
        }
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

    /** What {@link #personalizeOrResume} did (no secret): the module, its certificate's holder reference, and how. */
    public record Resumed(String moduleId, String moduleChr, String action) {}

    /**
     * The flow's one resume entry (the factory line calls it): enrolls the module when it has no
     * identity certificate yet, then personalizes it with a fresh TAN; or, when the module is
     * already operating, reconciles a personalization it committed that the registry did not
     * record, or reports one that is recorded as done (nothing written).
     */
    public Resumed personalizeOrResume(dev.cardsmith.transport.CardSession session, LocalDate today, String appliance) {
        Manufacturing.Enrolled e = new Manufacturing(ca).enroll(session, today);
        LocalModule module = new LocalModule(session).select();
        if (module.status().operating()) {
            java.util.Optional<ModuleStore.ModuleRecord> r = store.module(e.moduleId());
            if (r.isPresent() && "PERSONALIZED".equals(r.get().state())) return new Resumed(e.moduleId(), r.get().moduleChr(), "already personalized");
            Result res = personalize(module.card(true), today, appliance); // reconciles from the card
            return new Resumed(res.moduleId(), res.moduleCertificate().chr(), "personalized (reconciled)");
        }
        String tan = new TanIssuer(ca).issue(e.moduleId(), 1).get(0);
        Map<String, Object> m = module.personalize(this, tan, true, today);
        return new Resumed(e.moduleId(), String.valueOf(m.get("moduleCertificate")), "personalized");
    }

    /** Runs a personalization on a selected module whose TAN has been entered. */
    public Result personalize(ModuleCard card, LocalDate today, String appliance) {
        String moduleId = null;
        try {
            PersoSession s = new PersoSession(card, body -> ca.hsm().signSha256WithEcdsa(CertificateAuthority.PERSO_UNIT_LABEL, body));
            PersoSession.Initiated init;
            try {
                init = s.initiate(ca.persoUnitByManufacturer().encoded());
            } catch (CardStatusException e) {
                if (e.sw() != (Sw.CONDITIONS_NOT_SATISFIED & 0xFFFF)) throw e;
                Result done = reconcile(card, appliance);
                if (done == null) throw e;
                return done;
            }
            CvCertificate identity = init.identity();
            identity.check(ca.manufacturerKey(), CertificateAuthority.MANUFACTURER_CHR, CvCertificate.Role.IDENTITY, today);
            if (!init.identityProved()) throw new ModuleException("module failed the identity challenge");
            moduleId = Manufacturing.moduleIdOf(identity);
            if (!moduleId.equals(Manufacturing.moduleId(identity.publicPoint()))) throw new ModuleException("identity holder does not match its key");
            closeStale(moduleId);

            PersoSession.Authenticated auth = s.authenticate(Rng.bytes(16));
            String id = moduleId;
            ModuleStore.TanCheck tan = store.useTan(moduleId, salt -> TanIssuer.hash(ca.hsm(), id, salt, auth.tan()));
            if (tan != ModuleStore.TanCheck.ACCEPTED) {
                throw new ModuleException(tan == ModuleStore.TanCheck.BLOCKED
                        ? "TANs of module " + moduleId + " are blocked after " + ModuleStore.MAX_TAN_FAILURES + " wrong entries"
                        : "wrong TAN for module " + moduleId);
            }
            int n = store.module(moduleId).map(ModuleStore.ModuleRecord::personalizations).orElse(0) + 1;
            String chr = chrPrefix(moduleId) + String.format("%05d", n % 100000);
            CvCertificate moduleCert = ca.issueFor(CertificateAuthority.PERSO_UNIT_LABEL, CertificateAuthority.PERSO_UNIT_CHR, chr,
                    auth.modulePoint(), CvCertificate.Role.MODULE, auth.nonce(), today, today.plusYears(2));
            // intent before the module commits, completion after (a re-run reconciles, see reconcile())
            String op = journal.begin(JOURNAL_SYSTEM, moduleId, "personalize", moduleCert.chr());
            // a card that refused the command did not commit: FAILED. Any other failure (transport
            // error, lost or unreadable response) leaves the outcome unknown, so the entry stays
            // PENDING and the re-run reconciles from the card's state (reconcile()).
            try {
                s.storeCertificates(moduleCert.encoded(), ca.centralByPersoUnit().encoded(), ca.persoUnitByCentral().encoded());
            } catch (CardStatusException e) {
                journal.finish(op, OperationJournal.State.FAILED, String.valueOf(e.getMessage()));
                throw e;
            }
            store.personalized(moduleId, moduleCert, appliance);
            journal.finish(op, OperationJournal.State.DONE, moduleCert.chr());
            store.recordSession(moduleId, "PERSONALIZE", true, appliance, moduleCert.chr());
            LOG.info("personalized module {} with certificate {}", moduleId, chr);
            return new Result(moduleId, moduleCert);
        } catch (ModuleException | CardStatusException | TransportException e) {
            store.recordSession(moduleId, "PERSONALIZE", false, appliance, e.getMessage());
            throw e;
        }
    }

    /**
     * The perso unit as a network service (claim 14): the appliance proves its registered key in
     * a signed HELLO ({@link ApplianceIdentity}); with a non-empty allow list only listed
     * appliances are served. The module itself is identified through its identity certificate
     * inside the relayed, end-to-end protected protocol.
     */
    public ApduRelay.Handler relayHandler(java.util.Set<String> allowedAppliances, java.util.function.Supplier<LocalDate> today) {
        return (hello, card) -> {
            String appliance = ApplianceIdentity.verify(store, "perso", hello, java.time.Instant.now());
            if (!allowedAppliances.isEmpty() && !allowedAppliances.contains(appliance)) {
                throw new ModuleException("appliance " + appliance + " is not allowed by this perso unit");
            }
            Map<String, Object> m = personalize(new ModuleCard(card), today.get(), appliance).toMap();
            m.put("appliance", appliance);
            return m;
        };
    }
}
