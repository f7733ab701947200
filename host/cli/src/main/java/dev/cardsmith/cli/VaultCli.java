package dev.cardsmith.cli;

import dev.cardsmith.hsm.Hsm;
import dev.cardsmith.store.Database;
import dev.cardsmith.store.OperationJournal;
import dev.cardsmith.vault.KeyPool;
import dev.cardsmith.vault.PublicDatabase;
import dev.cardsmith.vault.VaultCard;
import dev.cardsmith.vault.VaultException;
import dev.cardsmith.vault.VaultKeys;
import picocli.CommandLine.Option;

import java.util.function.Supplier;

/** Shared plumbing of the vault commands (seed 000): no protocol logic, only wiring and errors. */
final class VaultCli {
    private VaultCli() {}

    /** picocli mixin: where the secure store (key pool) lives; never the public database. */
    static final class SecureDbOption {
        @Option(names = "--secure-db", paramLabel = "JDBC-URL",
                description = "Secure store holding the pre-generated key pool (default: jdbc:sqlite:$CARDSMITH_HOME/secure.db). "
                        + "Must not be the public database.")
        String secureDb;

        String url() {
            return secureDb != null ? secureDb : "jdbc:sqlite:" + CliContext.home().resolve("secure.db");
        }
    }

    /**
     * picocli mixin: where the permanent public database lives. It holds public data only; the
     * operation journal and every other private record stay in the operations store (--db).
     */
    static final class PublicDbOption {
        @Option(names = "--public-db", paramLabel = "JDBC-URL",
                description = "Permanent public database: device records and identity bindings only (default: "
                        + "jdbc:sqlite:$CARDSMITH_HOME/public.db; the --db database when only --db is given).")
        String publicDb;

        /** --public-db, else the one database named by --db (an operator's choice), else public.db. */
        String url(CliContext ctx) {
            if (publicDb != null) return publicDb;
            if (ctx.databaseNamed()) return ctx.databaseUrl();
            return defaultUrl();
        }

        /** Whether the public database was named (then it must work; the default may simply not exist yet). */
        boolean named(CliContext ctx) {
            return publicDb != null || ctx.databaseNamed();
        }

        static String defaultUrl() {
            return "jdbc:sqlite:" + CliContext.home().resolve("public.db");
        }
    }

    static VaultCard card(CliContext ctx) {
        return new VaultCard(ctx.card());
    }

    /** The public database, created and migrated when missing; refused together with a throw-away card. */
    static PublicDatabase publicDb(CliContext ctx, PublicDbOption opt) {
        ctx.db(); // the operations store first: it refuses a throw-away card and records the intent
        return PublicDatabase.open(opt.url(ctx));
    }

    static PublicDatabase existingPublicDb(CliContext ctx, PublicDbOption opt) {
        CliContext.sqliteNativeDirectory();
        String url = opt.url(ctx);
        // one database for both (--db only): the systems' schema first, the public one next to it
        if (url.equals(ctx.databaseUrl())) ctx.existingDb();
        return PublicDatabase.openExisting(url);
    }

    /** The operation journal: in the operations store (--db), never in the public database. */
    static OperationJournal journal(CliContext ctx) {
        return new OperationJournal(ctx.db());
    }

    static KeyPool pool(CliContext ctx, SecureDbOption opt) {
        String url = opt.url();
        if (url.equals(ctx.databaseUrl()) || url.equals(PublicDbOption.defaultUrl())) {
            throw new CliException("the key pool must not live in the public database: give --secure-db another database", ErrorHandler.EXIT_USAGE);
        }
        CliContext.sqliteNativeDirectory();
        return new KeyPool(Database.open(url), ctx.hsm());
    }

    static VaultKeys keys(CliContext ctx) {
        return new VaultKeys(ctx.hsm());
    }

    /**
     * The manufacturer and master keys, which must exist: a new manufacturer key minted silently
     * would sign certificates that no older card or database entry matches. Development mode
     * creates them (and says so); otherwise {@code cardsmith hsm init} does.
     */
    static VaultKeys existingKeys(CliContext ctx) {
        VaultKeys keys = keys(ctx);
        Hsm hsm = keys.hsm();
        if (hsm.contains(VaultKeys.MANUFACTURER) && hsm.contains(VaultKeys.MASTER)) return keys;
        if (!ctx.dev()) {
            throw new CliException("no manufacturer key '" + VaultKeys.MANUFACTURER + "' in " + hsm.describe()
                    + ": create the keys with 'cardsmith hsm init' (or use --dev for development keys)", ErrorHandler.EXIT_HSM);
        }
        keys.ensure();
        ctx.notice("development mode: created development keys " + VaultKeys.MANUFACTURER + " and " + VaultKeys.MASTER + " in " + hsm.describe());
        return keys;
    }

    /**
     * The manufacturer public key from this station's HSM when it has one (a factory), else null
     * (a repair shop with only the public database). A missing PKCS#12 file is not created.
     */
    static byte[] manufacturerPointIfAvailable(CliContext ctx) {
        java.nio.file.Path file = CliContext.keystoreFile(ctx.hsmSpec());
        if (!ctx.hsmNamed() && file != null && !java.nio.file.Files.exists(file)) return null; // a named one must exist
        if (!ctx.hsm().contains(VaultKeys.MANUFACTURER)) return null;
        return keys(ctx).manufacturerPoint();
    }

    /** Runs a vault flow; turns its failures into one-line CLI errors with their exit code. */
    static <T> T call(Supplier<T> flow) {
        try {
            return flow.get();
        } catch (VaultException e) {
            int code = switch (e.kind()) {
                case VERIFICATION, IDENTITY_BOUND -> ErrorHandler.EXIT_VERIFY;
                case INPUT -> ErrorHandler.EXIT_USAGE;
                default -> String.valueOf(e.getMessage()).startsWith("cannot reach") ? ErrorHandler.EXIT_TRANSPORT : ErrorHandler.EXIT_FAILURE;
            };
            String message = code == ErrorHandler.EXIT_TRANSPORT
                    ? e.getMessage().replaceFirst(": \\w+Exception$", "") + ": is the server running, and is the address right?"
                    : e.getMessage();
            throw new CliException(message, code);
        }
    }
}
