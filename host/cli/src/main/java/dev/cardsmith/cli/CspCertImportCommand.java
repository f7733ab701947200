package dev.cardsmith.cli;

import dev.cardsmith.csp.CardPrivateKey;
import dev.cardsmith.csp.CardsmithProvider;
import dev.cardsmith.csp.CspException;
import dev.cardsmith.csp.CspFlows;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.LinkedHashMap;
import java.util.Map;

/** {@code cardsmith csp cert-import}: store a certificate (PEM or DER) for a card key; it must certify that key. */
@Command(name = "cert-import", description = "Store an X.509 certificate (PEM or DER) in the slot of the key it certifies.")
final class CspCertImportCommand implements Runnable {

    @Spec CommandSpec spec;

    @Option(names = "--key", required = true, description = "Key alias (label) or slot number.")
    String key;

    @Option(names = "--cert", required = true, description = "Certificate file, PEM or DER.")
    Path cert;

    @Mixin
    CspLogin login;

    @Override
    public void run() {
        try (CliContext ctx = CliContext.of(spec); CardsmithProvider p = login.provider(ctx)) {
            login.admin(p);
            CardPrivateKey k = CspFlows.key(p, key);
            X509Certificate c = CspFlows.importCertificate(p, k, Files.readAllBytes(cert));
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("key", k.alias());
            m.put("slot", k.slot());
            m.put("certificateSubject", c.getSubjectX500Principal().getName());
            m.put("certificateSha256", CspFlows.sha256Fingerprint(c.getEncoded()));
            m.put("bytes", c.getEncoded().length);
            ctx.emit(m);
        } catch (IOException e) {
            throw new CliException("cannot read " + cert + ": " + e.getMessage());
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new CliException(e.getMessage());
        } catch (CspException e) {
            throw CspCommand.wrap(e);
        }
    }
}
