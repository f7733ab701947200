package dev.cardsmith.cli;

import dev.cardsmith.module.CertificateAuthority;
import dev.cardsmith.module.ModuleException;
import dev.cardsmith.module.ModuleStore;

import java.time.LocalDate;
import java.util.function.Supplier;

/** Shared plumbing of the system-002 commands (ca, module, perso, central): no protocol logic. */
final class ModuleCliSupport {

    private ModuleCliSupport() {}

    static CertificateAuthority ca(CliContext ctx) {
        return new CertificateAuthority(ctx.hsm(), new ModuleStore(ctx.db()));
    }

    /** The TAN from --tan (VALUE, env:NAME, file:PATH, -), $CARDSMITH_TAN or a prompt; 8 digits (usage error otherwise). */
    static String tan(String option) {
        String tan = Secrets.require(option, "CARDSMITH_TAN", "--tan", "TAN");
        if (!tan.matches("[0-9]{" + dev.cardsmith.module.TanIssuer.DIGITS + "}")) {
            throw new CliException("a TAN has " + dev.cardsmith.module.TanIssuer.DIGITS + " digits (as printed by 'cardsmith perso tan')",
                    ErrorHandler.EXIT_USAGE);
        }
        return tan;
    }

    static LocalDate today(String date) {
        try {
            return date == null ? LocalDate.now() : LocalDate.parse(date);
        } catch (java.time.format.DateTimeParseException e) {
            throw new CliException("not a date (YYYY-MM-DD): " + date, ErrorHandler.EXIT_USAGE);
        }
    }

    /** A failed check of the protocol (certificate, signature, TAN) exits with 7. */
    static <T> T verifying(Supplier<T> work) {
        try {
            return work.get();
        } catch (ModuleException e) {
            throw new CliException(e.getMessage(), ErrorHandler.EXIT_VERIFY);
        }
    }
}
