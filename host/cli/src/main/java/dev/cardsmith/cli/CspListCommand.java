package dev.cardsmith.cli;

import dev.cardsmith.csp.CardInfo;
import dev.cardsmith.csp.PivCard;
import dev.cardsmith.csp.CspFlows;
import dev.cardsmith.csp.SlotInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.security.cert.X509Certificate;
import java.util.LinkedHashMap;
import java.util.Map;

/** {@code cardsmith csp list}: the card's slots, their keys and certificates, and the PIN counter. No PIN needed. */
@Command(name = "list", description = "List key slots, certificates and the PIN retry counter.")
final class CspListCommand implements Runnable {

    @Spec CommandSpec spec;

    @picocli.CommandLine.Option(names = "--pin", paramLabel = "PIN",
            description = "Not needed to list; when given (" + Secrets.FORMS + "), it is verified first, like in the other csp commands.")
    String pin;

    @Override
    public void run() {
        try (CliContext ctx = CliContext.of(spec)) {
            if (pin != null) {
                // checks the PIN (a wrong one counts down, exit 3) and ends the login again
                CspCommand.provider(ctx, Secrets.require(pin, null, "--pin", "user PIN")).close();
            }
            PivCard card = new PivCard(ctx.card());
            CardInfo info = card.select();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("rsaSupported", info.rsaSupported());
            m.put("pinTriesLeft", card.pinTriesLeft());
            Map<String, Object> slots = new LinkedHashMap<>();
            for (SlotInfo s : card.slots()) {
                Map<String, Object> e = new LinkedHashMap<>();
                e.put("algorithm", s.hasKey() ? s.algorithm().jcaName : "empty");
                if (s.algorithm().isEc()) e.put("curve", s.algorithm().curve);
                if (s.hasKey()) {
                    e.put("alias", s.alias());
                    if (s.certificateLength() > 0) {
                        X509Certificate c = card.certificate(s.slot());
                        e.put("certificateSubject", c.getSubjectX500Principal().getName());
                        e.put("certificateNotAfter", c.getNotAfter().toInstant().toString());
                        e.put("certificateSha256", CspFlows.sha256Fingerprint(c.getEncoded()));
                    }
                }
                slots.put("slot" + s.slot(), e);
            }
            m.put("slots", slots);
            ctx.emit(m);
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new CliException(e.getMessage());
        }
    }
}
