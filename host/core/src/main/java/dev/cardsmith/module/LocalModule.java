package dev.cardsmith.module;

import dev.cardsmith.applet.module.Constants;
import dev.cardsmith.transport.CardSession;

import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A module in a local reader (or the simulator): the identification unit's TAN entry (claims
 * 13, 16), status, the changeover back to personalization (claim 2) and a local personalization.
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
        if (tan == null || !tan.matches("[0-9]{4,16}")) throw new ModuleException("a TAN is 4-16 decimal digits");
        card(false).transmitOk("ENTER TAN", ModuleApdus.enterTan(tan));
    }

    public ModuleApdus.Status status() {
        return ModuleApdus.parseStatus(card(false).transmitOk("GET STATUS", ModuleApdus.getStatus(0)));
    }

    public Map<String, Object> describe() {
        ModuleApdus.Status st = status();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("state", st.stateName());
        m.put("checkingKey", st.has(Constants.FLAG_CHECKING_KEY));
        m.put("identityCertificate", st.has(Constants.FLAG_IDENTITY_CERT));
        m.put("moduleKey", st.has(Constants.FLAG_MODULE_KEY));
        m.put("transactionKey", st.has(Constants.FLAG_TRANSACTION_KEY));
        m.put("certificateDate", st.certificateDate());
        m.put("transactionCounter", st.transactionCounter());
        if (st.has(Constants.FLAG_IDENTITY_CERT)) {
            CvCertificate id = CvCertificate.parse(card(false).transmitOk("GET STATUS", ModuleApdus.getStatus(1)));
            m.put("module", Manufacturing.moduleIdOf(id));
        }
        if (st.operating()) {
            CvCertificate mc = CvCertificate.parse(card(false).transmitOk("GET STATUS", ModuleApdus.getStatus(2)));
            m.put("moduleCertificate", mc.chr());
            m.put("moduleCertificateExpiry", mc.expiry().toString());
        }
        return m;
    }

    /** Claim 2: back to the personalization state; the module erases its key, certificate and transaction key. */
    public String reset(ModuleStore store) {
        ModuleApdus.Status st = status();
        String id = null;
        if (st.has(Constants.FLAG_IDENTITY_CERT)) {
            id = Manufacturing.moduleIdOf(CvCertificate.parse(card(false).transmitOk("GET STATUS", ModuleApdus.getStatus(1))));
        }
        card(false).transmitOk("ENTER PERSONALIZATION", ModuleApdus.enterPersonalization());
        if (id != null && store != null && store.module(id).isPresent()) store.reset(id);
        return id;
    }

    /** Local personalization: TAN entry, then the perso unit's protocol; APDU counts for the report. */
    public Map<String, Object> personalize(PersonalizationUnit unit, String tan, boolean extended, LocalDate today) {
        CardSession.Stats before = session.stats().snapshot();
        enterTan(tan);
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
     * connects the module to the perso service and relays; the service's result comes back.
     */
    public Map<String, Object> personalizeRemote(String host, int port, String appliance, String tan, boolean extended) {
        CardSession.Stats before = session.stats().snapshot();
        enterTan(tan);
        Map<String, Object> hello = new LinkedHashMap<>();
        hello.put("appliance", appliance);
        Map<String, Object> r = new LinkedHashMap<>(ApduRelay.connect(host, port, hello, session, extended));
        r.put("apdus", session.stats().since(before).apdus());
        return r;
    }

    /** Connects the module to a central-system service for authentication and one transaction. */
    public Map<String, Object> connectCentral(String host, int port, String appliance, String message, boolean extended) {
        Map<String, Object> hello = new LinkedHashMap<>();
        hello.put("appliance", appliance);
        hello.put("message", message);
        return ApduRelay.connect(host, port, hello, session, extended);
    }
}
