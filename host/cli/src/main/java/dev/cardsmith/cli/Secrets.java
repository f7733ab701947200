package dev.cardsmith.cli;

import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where a secret (PIN, password, TAN, transport key) comes from, the same for every option that
 * takes one: the option's value {@code VALUE}, {@code env:NAME} (an environment variable),
 * {@code file:PATH} (the first line of a file) or {@code -} (a prompt without echo, else one
 * line of standard input); without the option, the command's environment variable; then a
 * prompt when a terminal is attached. Secrets never reach error messages.
 */
final class Secrets {
    private Secrets() {}

    /** How the option's help describes the forms it accepts. */
    static final String FORMS = "VALUE, env:NAME, file:PATH or - (prompt)";

    /**
     * The secret, or null when none was given and no terminal can be asked.
     * @param value the option's value (null when absent)
     * @param envVar the command's environment variable (null for none)
     * @param what how to name the secret in a prompt or an error ("keystore password")
     */
    static String read(String value, String envVar, String what) {
        String s = given(value, envVar, what);
        if (s != null) return s;
        Console console = System.console();
        return console != null ? prompt(console, what) : null;
    }

    /** The option's value or the environment variable, without prompting; null when neither is given. */
    static String given(String value, String envVar, String what) {
        if (value != null) return resolve(value, what);
        if (envVar != null) {
            String env = System.getenv(envVar);
            if (env != null && !env.isEmpty()) return env;
        }
        return null;
    }

    /** A terminal prompt, or null when no terminal is attached. */
    static String prompt(String what) {
        Console console = System.console();
        return console != null ? prompt(console, what) : null;
    }

    /** Like {@link #read} but a missing secret is a usage error naming where to give it. */
    static String require(String value, String envVar, String option, String what) {
        String s = read(value, envVar, what);
        if (s == null || s.isEmpty()) {
            throw new CliException("no " + what + ": give " + option + " " + FORMS.replace("VALUE", what.toUpperCase().replace(' ', '-'))
                    + (envVar != null ? ", or set $" + envVar : ""), ErrorHandler.EXIT_USAGE);
        }
        return s;
    }

    private static String resolve(String value, String what) {
        if (value.startsWith("env:")) {
            String name = value.substring(4);
            String env = System.getenv(name);
            if (env == null || env.isEmpty()) throw new CliException("environment variable " + name + " (" + what + ") is not set", ErrorHandler.EXIT_USAGE);
            return env;
        }
        if (value.startsWith("file:")) {
            Path file = Path.of(value.substring(5));
            try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                String line = r.readLine();
                if (line == null || line.isEmpty()) throw new CliException(what + " file " + file + " is empty", ErrorHandler.EXIT_USAGE);
                return line;
            } catch (java.nio.file.NoSuchFileException e) {
                throw new CliException("cannot read " + what + " file " + file + ": it does not exist", ErrorHandler.EXIT_USAGE);
            } catch (IOException e) {
                throw new CliException("cannot read " + what + " file " + file + ": " + (java.nio.file.Files.isReadable(file) ? "read error" : "not readable"),
                        ErrorHandler.EXIT_USAGE);
            }
        }
        if (value.equals("-")) {
            Console console = System.console();
            if (console != null) return prompt(console, what);
            try {
                String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
                if (line == null) throw new CliException("no " + what + " on standard input", ErrorHandler.EXIT_USAGE);
                return line;
            } catch (IOException e) {
                throw new CliException("cannot read " + what + " from standard input", ErrorHandler.EXIT_USAGE);
            }
        }
        return value;
    }

    private static String prompt(Console console, String what) {
        char[] c = console.readPassword("%s: ", what);
        if (c == null) throw new CliException("no " + what + " entered", ErrorHandler.EXIT_USAGE);
        return new String(c);
    }
}
