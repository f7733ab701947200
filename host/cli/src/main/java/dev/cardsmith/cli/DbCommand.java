package dev.cardsmith.cli;

import dev.cardsmith.vault.PublicDbHttpServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.concurrent.CountDownLatch;

/** {@code cardsmith db}: the permanent public database. */
@Command(name = "db", description = "The permanent public database.", mixinStandardHelpOptions = true,
        subcommands = {DbCommand.Serve.class})
final class DbCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "choose a db subcommand");
    }

    @Command(name = "serve", description = "Serve the public database read-only over HTTP on 127.0.0.1 until interrupted.")
    static final class Serve implements Runnable {
        @Spec
        CommandSpec spec;

        @Option(names = "--port", defaultValue = "8470", paramLabel = "P", description = "TCP port on 127.0.0.1 (default ${DEFAULT-VALUE}; 0 = any free port).")
        int port;

        @picocli.CommandLine.Mixin
        VaultCli.PublicDbOption publicDb;

        @Override
        public void run() {
            if (port < 0 || port > 65535) throw new CliException("--port must be 0..65535", ErrorHandler.EXIT_USAGE);
            try (CliContext ctx = CliContext.of(spec)) {
                ServeLog log = new ServeLog(ctx.err(), "db serve");
                java.util.logging.Handler requests = log.http();
                try {
                    PublicDbHttpServer server = VaultCli.call(() -> PublicDbHttpServer.start(VaultCli.existingPublicDb(ctx, publicDb), port));
                    ctx.out().println("serving the public database on " + server.url() + "/chips/{chipId}/backup|certificate (Ctrl-C stops)");
                    ctx.out().flush();
                    log.listening("127.0.0.1", server.port());
                    CountDownLatch stop = new CountDownLatch(1);
                    Thread hook = new Thread(() -> {
                        server.close();
                        stop.countDown();
                    });
                    Runtime.getRuntime().addShutdownHook(hook);
                    try {
                        stop.await();
                    } catch (InterruptedException e) {
                        // stopped from within this process (tests): the server goes, the hook with it
                        Thread.currentThread().interrupt();
                        server.close();
                        Runtime.getRuntime().removeShutdownHook(hook);
                    }
                } finally {
                    ServeLog.closeHttp(requests);
                }
            }
        }
    }
}
