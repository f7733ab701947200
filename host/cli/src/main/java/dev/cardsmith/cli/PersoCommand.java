package dev.cardsmith.cli;

import dev.cardsmith.transport.ApduRelay;
import dev.cardsmith.module.ApplianceIdentity;
import dev.cardsmith.module.LocalModule;
import dev.cardsmith.module.PersonalizationUnit;
import dev.cardsmith.module.TanIssuer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@code cardsmith perso tan|serve|connect|appliance-key|register-appliance}: the personalization unit as TAN issuer and network service. */
@Command(name = "perso", description = "Personalization unit: TANs, remote personalization service and client.",
        subcommands = {PersoCommand.Tan.class, PersoCommand.Serve.class, PersoCommand.Connect.class,
                PersoCommand.ApplianceKey.class, PersoCommand.RegisterAppliance.class})
final class PersoCommand {

    @Command(name = "tan", description = "Issue one-time transaction numbers for an enrolled module (printed once, stored hashed).")
    static final class Tan implements Runnable {
        @Spec CommandSpec spec;
        @Option(names = "--module", required = true, description = "Module id (from 'cardsmith module enroll').") String module;
        @Option(names = "--count", defaultValue = "1", description = "How many TANs (default ${DEFAULT-VALUE}).") int count;

        @Override
        public void run() {
            try (CliContext ctx = CliContext.of(spec)) {
                List<String> tans = ModuleCliSupport.verifying(() -> new TanIssuer(ModuleCliSupport.ca(ctx)).issue(module, count));
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("module", module);
                m.put("tans", ctx.json() ? tans : String.join(" ", tans));
                ctx.emit(m);
            }
        }
    }

    @Command(name = "serve", description = "Serve remote personalizations on HOST:PORT (loopback by default).")
    static final class Serve implements Runnable {
        @Spec CommandSpec spec;
        @Option(names = "--host", defaultValue = "127.0.0.1", paramLabel = "HOST", description = "Address to listen on / connect to. Default: ${DEFAULT-VALUE}.") String host;
        @Option(names = "--port", defaultValue = "0", description = "TCP port (0 = ephemeral, printed).") int port;
        @Option(names = "--count", defaultValue = "0", description = "Stop after this many connections (0 = run until killed).") int count;
        @Option(names = "--allow-appliance", description = "Registered appliance ids allowed to connect (repeatable; none = every registered one).") List<String> allowed;
        @Option(names = "--date", description = "Issue date YYYY-MM-DD (default today).") String date;

        @Override
        public void run() {
            try (CliContext ctx = CliContext.of(spec)) {
                PersonalizationUnit unit = new PersonalizationUnit(ModuleCliSupport.ca(ctx));
                Set<String> allow = allowed == null ? Set.of() : new HashSet<>(allowed);
                ServeLog log = new ServeLog(ctx.err(), "perso serve");
                try (ApduRelay.Server server = new ApduRelay.Server(host, port, log.relay(unit.relayHandler(allow, () -> ModuleCliSupport.today(date))))) {
                    ctx.out().println("perso unit listening on " + host + ":" + server.port());
                    ctx.out().flush();
                    log.listening(host, server.port());
                    server.serve(count);
                }
            }
        }
    }

    @Command(name = "connect", description = "Appliance: enter the TAN into the local module and relay it to a perso service.")
    static final class Connect implements Runnable {
        @Spec CommandSpec spec;
        @Option(names = "--host", defaultValue = "127.0.0.1", paramLabel = "HOST", description = "Address to listen on / connect to. Default: ${DEFAULT-VALUE}.") String host;
        @Option(names = "--port", required = true, paramLabel = "PORT", description = "TCP port of the personalization service (printed by perso serve).") int port;
        @Option(names = "--tan", paramLabel = "TAN", description = "One-time transaction number issued for this module (8 digits): "
                + Secrets.FORMS + " (default: $CARDSMITH_TAN, else a prompt).") String tan;
        @Option(names = "--appliance", defaultValue = "appliance-1", description = "This appliance's id.") String appliance;
        @Option(names = "--short-apdus", description = "Command chaining + GET RESPONSE instead of extended length.") boolean shortApdus;

        @Override
        public void run() {
            String secret = ModuleCliSupport.tan(tan);
            try (CliContext ctx = CliContext.of(spec)) {
                ctx.emit(ModuleCliSupport.verifying(() ->
                        new LocalModule(ctx.card()).select().personalizeRemote(host, port, ctx.hsm(), appliance, secret, !shortApdus)));
            }
        }
    }

    @Command(name = "appliance-key", description = "Appliance: print this appliance's public key (formed in its keystore on first use) for 'perso register-appliance'.")
    static final class ApplianceKey implements Runnable {
        @Spec CommandSpec spec;
        @Option(names = "--appliance", defaultValue = "appliance-1", description = "This appliance's id.") String appliance;

        @Override
        public void run() {
            try (CliContext ctx = CliContext.of(spec)) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("appliance", appliance);
                m.put("publicKey", HexFormat.of().formatHex(ApplianceIdentity.publicKey(ctx.hsm())));
                ctx.emit(m);
            }
        }
    }

    @Command(name = "register-appliance", description = "Perso unit: register an appliance's public key; only registered appliances are served remotely.")
    static final class RegisterAppliance implements Runnable {
        @Spec CommandSpec spec;
        @Option(names = "--appliance", required = true, description = "The appliance's id.") String appliance;
        @Option(names = "--public-key", required = true, paramLabel = "HEX", description = "Its public key 04||X||Y (130 hex digits, from 'perso appliance-key').") String publicKey;

        @Override
        public void run() {
            byte[] point;
            try {
                point = HexFormat.of().parseHex(publicKey);
            } catch (IllegalArgumentException e) {
                throw new CliException("--public-key is not hex", ErrorHandler.EXIT_USAGE);
            }
            try (CliContext ctx = CliContext.of(spec)) {
                ModuleCliSupport.verifying(() -> {
                    ModuleCliSupport.ca(ctx).store().registerAppliance(appliance, point);
                    return null;
                });
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("appliance", appliance);
                m.put("registered", true);
                ctx.emit(m);
            }
        }
    }
}
