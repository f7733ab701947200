package dev.cardsmith.cli;

import dev.cardsmith.csp.CardPrivateKey;
import dev.cardsmith.csp.CardsmithProvider;
import dev.cardsmith.csp.CspFlows;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.LinkedHashMap;
import java.util.Map;

/** {@code cardsmith csp delete}: destroy a card key with its label and certificate. */
@Command(name = "delete", description = "Delete a key pair, its label and certificate from the card.")
final class CspDeleteCommand implements Runnable {

    @Spec CommandSpec spec;

    @Option(names = "--key", required = true, description = "Key alias (label) or slot number.")
    String key;

    @Mixin
    CspLogin login;

    @Override
    public void run() {
        try (CliContext ctx = CliContext.of(spec); CardsmithProvider p = login.provider(ctx)) {
            login.admin(p);
            CardPrivateKey k = CspFlows.key(p, key);
            p.card().delete(k.slot());
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("deleted", k.alias());
            m.put("slot", k.slot());
            ctx.emit(m);
        }
    }
}
