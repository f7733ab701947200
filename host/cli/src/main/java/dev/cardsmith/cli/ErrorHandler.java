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
        int code = exitCode(ex);
        String message = message(ex);
        cl.getErr().println("cardsmith: " + message);
        if (root.verbose) ex.printStackTrace(cl.getErr());
        cl.getErr().flush();
        if (root.json) printJson(cl, message, code);
        return code;
    }

    static int usage(CommandLine.ParameterException ex, String[] args) {
        CommandLine cl = ex.getCommandLine();
        cl.getErr().println("cardsmith: " + ex.getMessage());
        cl.getErr().println("Try '" + cl.getCommandSpec().qualifiedName() + " --help'.");
        cl.getErr().flush();
        if (java.util.Arrays.asList(args).contains("--json")) printJson(cl, ex.getMessage(), EXIT_USAGE);
        return EXIT_USAGE;
    }

    /** With --json the error is also a JSON object on stdout: {"error": {"message", "exitCode", "kind"}}. */
    private static void printJson(CommandLine cl, String message, int code) {
        java.util.Map<String, Object> error = new java.util.LinkedHashMap<>();
        error.put("message", message);
        error.put("exitCode", code);
        error.put("kind", KINDS[Math.min(code, KINDS.length - 1)]);
        try {
            cl.getOut().println(new com.fasterxml.jackson.databind.ObjectMapper().enable(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT)
                    .writeValueAsString(java.util.Map.of("error", error)));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            cl.getOut().println("{\"error\": {\"exitCode\": " + code + "}}");
        }
        cl.getOut().flush();
    }

    /** The exit codes by number, as listed in --help and README. */
    static final String[] KINDS = {"ok", "failure", "usage", "card", "transport", "store", "hsm", "verification"};

    /** A server or host that cannot be reached (documented as exit 4, like a missing reader). */
    static boolean unreachable(Throwable ex) {
        for (Throwable t = ex; t != null; t = t.getCause()) {
            if (t instanceof java.net.ConnectException || t instanceof java.net.UnknownHostException
                    || t instanceof java.net.http.HttpTimeoutException || t instanceof java.net.NoRouteToHostException) return true;
        }
        return false;
    }

    static String message(Throwable ex) {
        if (unreachable(ex) && !(ex instanceof CliException)) {
            return "cannot reach the server (" + ex.getClass().getSimpleName() + "): is it running, and is the address right?";
        }
        if (ex instanceof CliException || ex instanceof CardStatusException || ex instanceof TransportException
                || ex instanceof StoreException || ex instanceof HsmException || ex instanceof IllegalArgumentException) {
            return String.valueOf(ex.getMessage());
        }
        return ex.getClass().getSimpleName() + ": " + ex.getMessage();
    }

    static int exitCode(Throwable ex) {
        if (ex instanceof CliException ce) return ce.exitCode();
        if (unreachable(ex)) return EXIT_TRANSPORT;
        if (ex instanceof IllegalArgumentException) return EXIT_USAGE;
        if (ex instanceof CardStatusException) return EXIT_CARD;
        if (ex instanceof TransportException) return EXIT_TRANSPORT;
        if (ex instanceof StoreException) return EXIT_STORE;
        if (ex instanceof HsmException) return EXIT_HSM;
        return EXIT_FAILURE;
    }
}
