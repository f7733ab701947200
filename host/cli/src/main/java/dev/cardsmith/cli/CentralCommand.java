package dev.cardsmith.cli;

import dev.cardsmith.transport.ApduRelay;
import dev.cardsmith.module.CentralSystem;
import dev.cardsmith.module.LocalModule;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code cardsmith central serve|connect}: the central system (seed 002) and its module-side client. */
@Command(name = "central", description = "Central system: mutual authentication, transaction key, transactions.",
        subcommands = {CentralCommand.Serve.class, CentralCommand.Connect.class})
final class CentralCommand {

    @Command(name = "serve", description = "Authenticate connecting modules and run one transaction each.")
    static final class Serve implements Runnable {
        @Spec CommandSpec spec;
        @Option(names = "--host", defaultValue = "127.0.0.1", paramLabel = "HOST", description = "Address to listen on / connect to. Default: ${DEFAULT-VALUE}.") String host;
        @Option(names = "--port", defaultValue = "0", description = "TCP port (0 = ephemeral, printed).") int port;
        @Option(names = "--count", defaultValue = "0", description = "Stop after this many connections (0 = run until killed).") int count;
        @Option(names = "--date", description = "Today for certificate checks, YYYY-MM-DD (default today).") String date;

        @Override
        public void run() {
            try (CliContext ctx = CliContext.of(spec)) {
                CentralSystem central = new CentralSystem(ModuleCliSupport.ca(ctx));
                ServeLog log = new ServeLog(ctx.err(), "central serve");
                try (ApduRelay.Server server = new ApduRelay.Server(host, port, log.relay(central.relayHandler(() -> ModuleCliSupport.today(date))))) {
                    ctx.out().println("central system listening on " + host + ":" + server.port());
                    ctx.out().flush();
                    log.listening(host, server.port());
                    server.serve(count);
                }
            }
        }
    }

    @Command(name = "connect", description = "Connect the local module to a central system and run a transaction.")
    static final class Connect implements Runnable {
        @Spec CommandSpec spec;
        @Option(names = "--host", defaultValue = "127.0.0.1", paramLabel = "HOST", description = "Address to listen on / connect to. Default: ${DEFAULT-VALUE}.") String host;
        @Option(names = "--port", required = true, paramLabel = "PORT", description = "TCP port of the central system (printed by central serve).") int port;
        @Option(names = "--message", defaultValue = "ping", description = "Transaction payload (UTF-8, up to 192 bytes).") String message;
        @Option(names = "--appliance", defaultValue = "appliance-1", paramLabel = "ID", description = "This appliance's id. Default: ${DEFAULT-VALUE}.") String appliance;
        @Option(names = "--short-apdus", description = "Command chaining + GET RESPONSE instead of extended length.") boolean shortApdus;

        @Override
        public void run() {
            try (CliContext ctx = CliContext.of(spec)) {
                ctx.emit(ModuleCliSupport.verifying(() ->
                        new LocalModule(ctx.card()).select().connectCentral(host, port, appliance, message, !shortApdus)));
            }
        }
    }
}
