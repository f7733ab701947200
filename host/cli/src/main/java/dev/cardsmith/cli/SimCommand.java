package dev.cardsmith.cli;

import dev.cardsmith.crypto.Hex;
import dev.cardsmith.simulator.AppletSpec;
import dev.cardsmith.transport.CardTransport;
import dev.cardsmith.simulator.AppletRegistry;
import dev.cardsmith.simulator.VpcdBridge;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code cardsmith sim ...}: the simulated card itself. */
@Command(name = "sim", description = "The simulated card: list its applets, or serve it as a PC/SC reader through vpcd.",
        subcommands = {SimCommand.Info.class, SimCommand.Vpcd.class})
final class SimCommand {

    @Command(name = "info", description = "ATR and installed applets (AIDs and install parameters) of the simulated card.")
    static final class Info implements Runnable {
        @Spec CommandSpec spec;

        @Override
        public void run() {
            try (CliContext ctx = CliContext.of(spec)) {
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("card", ctx.card().transport().name());
                r.put("atr", Hex.of(ctx.card().transport().atr()));
                List<Map<String, Object>> applets = new ArrayList<>();
                for (AppletSpec a : AppletRegistry.all()) {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("name", a.name());
                    m.put("packageAid", Hex.of(a.packageAid()));
                    m.put("instanceAid", Hex.of(a.instanceAid()));
                    m.put("class", a.appletClass().getName());
                    m.put("installParams", Hex.of(a.installParams() == null ? new byte[0] : a.installParams()));
                    applets.add(m);
                }
                r.put("applets", applets);
                ctx.emit(r);
            }
        }
    }

    @Command(name = "vpcd", description = "Serve the simulated card (--sim[=FILE]) to pcscd's vsmartcard 'Virtual PCD' reader until interrupted.")
    static final class Vpcd implements Runnable {
        @Spec CommandSpec spec;

        @Option(names = "--host", defaultValue = "127.0.0.1", description = "vpcd host (default: ${DEFAULT-VALUE}).")
        String host;

        @Option(names = "--port", defaultValue = "35963", description = "vpcd port (default: ${DEFAULT-VALUE}).")
        int port;

        @Override
        public void run() {
            try (CliContext ctx = CliContext.of(spec)) {
                CardTransport card = ctx.card().transport();
                try (VpcdBridge bridge = VpcdBridge.start(card, host, port)) {
                    ctx.out().println("serving " + card.name() + " to vpcd at " + host + ":" + port + " (Ctrl-C to stop)");
                    ctx.out().flush();
                    Thread.currentThread().join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }
}
