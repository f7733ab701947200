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
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/** {@code cardsmith csp sign}: the host hashes the file, the card signs the hash; the signature is verified with the JDK. */
@Command(name = "sign", description = "Sign a file with a card key (hash on the host, private-key step on the card).")
final class CspSignCommand implements Runnable {

    @Spec CommandSpec spec;

    @Option(names = "--key", required = true, description = "Key alias (label) or slot number.")
    String key;

    @Option(names = "--in", required = true, description = "File to sign.")
    Path in;

    @Option(names = "--out", description = "Write the signature (DER for ECDSA, raw for RSA) to this file.")
    Path out;

    @Option(names = "--sig-alg", description = "JCA signature algorithm (default SHA256withECDSA / SHA256withRSA by key type).")
    String sigAlg;

    @Mixin
    CspLogin login;

    @Override
    public void run() {
        try (CliContext ctx = CliContext.of(spec); CardsmithProvider p = login.provider(ctx)) {
            CardPrivateKey k = CspFlows.key(p, key);
            String alg = sigAlg != null ? sigAlg : dev.cardsmith.csp.CardCertificates.defaultSignatureAlgorithm(k);
            byte[] data = Files.readAllBytes(in);
            login.verifyAgain(p); // nothing between this VERIFY and the signature (9C: PIN always)
            byte[] sig = CspFlows.sign(p, k, alg, data);
            if (out != null) Files.write(out, sig);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("key", k.alias());
            m.put("slot", k.slot());
            m.put("algorithm", alg);
            m.put("signature", Base64.getEncoder().encodeToString(sig));
            m.put("verified", true);
            if (ctx.json()) m.put("card", ctx.apduStats());
            ctx.emit(m);
        } catch (IOException e) {
            throw new CliException("cannot read/write file: " + e.getMessage());
        } catch (CspException e) {
            throw CspCommand.wrap(e);
        }
    }
}
