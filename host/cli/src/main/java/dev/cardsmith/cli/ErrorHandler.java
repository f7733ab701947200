package dev.cardsmith.cli;

import dev.cardsmith.hsm.HsmException;
import dev.cardsmith.store.StoreException;
import dev.cardsmith.transport.CardStatusException;
import dev.cardsmith.transport.TransportException;
import picocli.CommandLine;

/**
 * One clear line on stderr and a distinct non-zero exit code per kind of failure; the stack
 * trace only with -v. Messages of the library's exceptions never carry key material.
 */
final class ErrorHandler implements CommandLine.IExecutionExceptionHandler {

    static final int EXIT_FAILURE = 1;
    static final int EXIT_USAGE = 2;
    static final int EXIT_CARD = 3;
    static final int EXIT_TRANSPORT = 4;
    static final int EXIT_STORE = 5;
    static final int EXIT_HSM = 6;
    static final int EXIT_VERIFY = 7;

    @Override
    public int handleExecutionException(Exception ex, CommandLine cl, CommandLine.ParseResult parseResult) {
        Main root = (Main) cl.getCommandSpec().root().userObject();
        cl.getErr().println("cardsmith: " + message(ex));
        if (root.verbose) ex.printStackTrace(cl.getErr());
        cl.getErr().flush();
        return exitCode(ex);
    }

    static int usage(CommandLine.ParameterException ex, String[] args) {
        CommandLine cl = ex.getCommandLine();
        cl.getErr().println("cardsmith: " + ex.getMessage());
        cl.getErr().println("Try '" + cl.getCommandSpec().qualifiedName() + " --help'.");
        cl.getErr().flush();
        return EXIT_USAGE;
    }

    static String message(Throwable ex) {
        if (ex instanceof CliException || ex instanceof CardStatusException || ex instanceof TransportException
                || ex instanceof StoreException || ex instanceof HsmException || ex instanceof IllegalArgumentException) {
            return String.valueOf(ex.getMessage());
        }
        return ex.getClass().getSimpleName() + ": " + ex.getMessage();
    }

    static int exitCode(Throwable ex) {
        if (ex instanceof CliException ce) return ce.exitCode();
        if (ex instanceof IllegalArgumentException) return EXIT_USAGE;
        if (ex instanceof CardStatusException) return EXIT_CARD;
        if (ex instanceof TransportException) return EXIT_TRANSPORT;
        if (ex instanceof StoreException) return EXIT_STORE;
        if (ex instanceof HsmException) return EXIT_HSM;
        return EXIT_FAILURE;
    }
}
