package dev.cardsmith.cli;

import dev.cardsmith.csp.CardsmithProvider;
import dev.cardsmith.csp.CspException;
import dev.cardsmith.csp.CspFlows;
import dev.cardsmith.csp.KeyAlgorithm;
import dev.cardsmith.csp.PivSlot;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/** {@code cardsmith csp keygen}: key pair generated on the card, optionally with a self-signed certificate signed by the card. */
@Command(name = "keygen", description = "Generate a key pair on the card (EC P-256, EC P-384 or RSA-2048).")
final class CspKeygenCommand implements Runnable {

    @Spec CommandSpec spec;

    @Option(names = "--alg", defaultValue = "ec", description = "ec (P-256), p384 (EC P-384) or rsa (2048). Default: ${DEFAULT-VALUE}.")
    String alg;

    @Option(names = "--slot", description = "PIV slot 9a, 9c, 9d or 9e (= KeyStore alias; default: the first free of 9a, 9c, 9e, 9d). An occupied slot is overwritten.")
    String slot;

    @Option(names = "--self-signed", paramLabel = "DN", description = "Also create a self-signed certificate with this subject, signed by the card, and store it in the slot.")
    String selfSigned;

    @Option(names = "--days", defaultValue = "365", description = "Validity of the self-signed certificate. Default: ${DEFAULT-VALUE}.")
    int days;

    @Mixin
    CspLogin login;

    private int slotIndex() {
        if (slot == null) return -1;
        PivSlot s = PivSlot.parse(slot);
        if (s == null) throw new CliException("--slot must be 9a, 9c, 9d or 9e", ErrorHandler.EXIT_USAGE);
        return s.index();
    }

    @Override
    public void run() {
        try (CliContext ctx = CliContext.of(spec); CardsmithProvider p = login.provider(ctx)) {
            login.admin(p);
            CspFlows.KeygenResult r = CspFlows.keygen(p, slotIndex(), null, KeyAlgorithm.parse(alg), selfSigned, Duration.ofDays(days));
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("slot", r.slot());
            m.put("alias", r.alias());
            m.put("algorithm", r.algorithm().jcaName);
            if (r.algorithm().isEc()) m.put("curve", r.algorithm().curve);
            m.put("publicKey", Base64.getEncoder().encodeToString(r.publicKey().getEncoded()));
            if (r.certificate() != null) {
                m.put("certificateSubject", r.certificate().getSubjectX500Principal().getName());
                m.put("certificateSha256", CspFlows.sha256Fingerprint(r.certificate().getEncoded()));
            }
            m.put("apdus", r.apdus());
            ctx.emit(m);
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new CliException(e.getMessage());
        } catch (CspException e) {
            throw CspCommand.wrap(e);
        }
    }
}
