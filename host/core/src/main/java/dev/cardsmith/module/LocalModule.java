package dev.cardsmith.module;

import dev.cardsmith.applet.module.Constants;
import dev.cardsmith.hsm.Hsm;
import dev.cardsmith.transport.ApduRelay;
import dev.cardsmith.transport.CardSession;
import dev.cardsmith.transport.TransportException;

import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The appliance with a module in its local reader (or the simulator): the identification unit's
 * TAN entry (claims 13, 16), status, the changeover back to personalization (claim 2), a local
 * personalization, and the connection of the module to a remote service through the untrusted
 * {@link ApduRelay}. The card itself is a {@link ModuleCard} over the reader's session.
 */
public final class LocalModule {

    private final CardSession session;

    public LocalModule(CardSession session) {
        this.session = session;
    }

    public LocalModule select() {
        session.select(ModuleApdus.INSTANCE_AID);
        return this;
    }

    public ModuleCard card(boolean extended) {
        return ModuleCard.local(session, extended);
    }

    /** The identification unit hands the TAN to the module; the module forwards it protected later. */
    public void enterTan(String tan) {
        card(false).enterTan(tan);
    }

    public ModuleApdus.Status status() {
        return card(false).status();
    }

    public Map<String, Object> describe() {
        ModuleCard card = card(false);
        ModuleApdus.Status st = card.status();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("state", st.stateName());
        m.put("checkingKey", st.has(Constants.FLAG_CHECKING_KEY));
        m.put("identityCertificate", st.has(Constants.FLAG_IDENTITY_CERT));
        m.put("moduleKey", st.has(Constants.FLAG_MODULE_KEY));
        m.put("transactionKey", st.has(Constants.FLAG_TRANSACTION_KEY));
        m.put("certificateDate", st.certificateDate());
        m.put("transactionCounter", st.transactionCounter());
        if (st.has(Constants.FLAG_IDENTITY_CERT)) {
            m.put("module", Manufacturing.moduleIdOf(card.identityCertificate()));
        }
        if (st.operating()) {
            CvCertificate mc = card.moduleCertificate();
            m.put("moduleCertificate", mc.chr());
            m.put("moduleCertificateExpiry", mc.expiry().toString());
        }
        return m;
    }

    /**
     * Claim 2: back to the personalization state; the module erases its key, certificate and
     * transaction key. An operating module needs the central system's release authorization
     * ({@link CentralSystem#release}, one more round trip); from the personalization state the
     * changeover needs none. Returns the module id (null for a module not yet enrolled).
     */
    public String reset(CentralSystem central) {
        ModuleCard card = card(true);
        if (card.status().operating()) return central.release(card);
        String id = card.status().has(Constants.FLAG_IDENTITY_CERT) ? Manufacturing.moduleIdOf(card.identityCertificate()) : null;
        card.enterPersonalization();
        return id;
    }

    /** Local personalization: TAN entry, then the perso unit's protocol; APDU counts for the report. */
    public Map<String, Object> personalize(PersonalizationUnit unit, String tan, boolean extended, LocalDate today) {
        CardSession.Stats before = session.stats().snapshot();
        try {
            enterTan(tan);
        } catch (dev.cardsmith.transport.CardStatusException e) {
            // an operating module refuses the TAN; the unit then settles an interrupted personalization from the card, or refuses
            if (e.sw() != (dev.cardsmith.applet.platform.Sw.CONDITIONS_NOT_SATISFIED & 0xFFFF)) throw e;
        }
        PersonalizationUnit.Result r = unit.personalize(card(extended), today, null);
        CardSession.Stats used = session.stats().since(before);
        Map<String, Object> m = r.toMap();
        m.put("apdus", used.apdus());
        m.put("bytesSent", used.bytesSent());
        m.put("bytesReceived", used.bytesReceived());
        return m;
    }

    /**
     * Remote personalization (claims 12, 14, 15): this appliance enters the TAN locally, then
     * connects the module to the perso service with a HELLO signed by its key in
     * {@code applianceKeys} ({@link ApplianceIdentity}) and relays; the service's result comes back.
     */
    public Map<String, Object> personalizeRemote(String host, int port, Hsm applianceKeys, String appliance, String tan, boolean extended) {
        CardSession.Stats before = session.stats().snapshot();
        enterTan(tan);
        Map<String, Object> hello = ApplianceIdentity.sign(applianceKeys, "perso", appliance, java.time.Instant.now());
        Map<String, Object> r = new LinkedHashMap<>(relay(host, port, hello, extended));
        r.put("apdus", session.stats().since(before).apdus());
        return r;
    }

    /** Connects the module to a central-system service for authentication and one transaction. */
    public Map<String, Object> connectCentral(String host, int port, String appliance, String message, boolean extended) {
        Map<String, Object> hello = new LinkedHashMap<>();
        hello.put("appliance", appliance);
        hello.put("message", message);
        return relay(host, port, hello, extended);
    }

    private Map<String, Object> relay(String host, int port, Map<String, Object> hello, boolean extended) {
        try {
            return ApduRelay.connect(host, port, hello, session, extended);
        } catch (TransportException e) {
            throw new ModuleException(e.getMessage(), e);
        }
    }
}
