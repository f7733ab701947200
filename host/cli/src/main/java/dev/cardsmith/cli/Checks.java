package dev.cardsmith.cli;

import java.time.LocalDate;
import java.util.regex.Pattern;

/** Option values against their documented ranges, checked before anything is opened; each failure is a usage error (exit 2). */
final class Checks {
    private Checks() {}

    /** The help text of every --imei option. */
    static final String IMEI_HELP = "The IMEI: 15 digits, the last one the Luhn check digit (14 digits get it added; spaces and dashes are ignored).";

    private static final Pattern ICCID = Pattern.compile("[0-9]{18,22}");

    static int range(int value, int min, int max, String option) {
        if (value < min || value > max) {
            throw new CliException(option + " " + value + " is out of range: " + min + ".." + max, ErrorHandler.EXIT_USAGE);
        }
        return value;
    }

    /** A SIM identifier is its ICCID: 18 to 22 decimal digits. */
    static String iccid(String value, String option) {
        if (!ICCID.matcher(value).matches()) {
            throw new CliException(option + " '" + value + "' is not an ICCID (18 to 22 digits)", ErrorHandler.EXIT_USAGE);
        }
        return value;
    }

    /**
     * Every --imei: one rule and one message ({@link dev.cardsmith.codec.Imei#normalize}: spaces and
     * dashes dropped, 14 digits completed with their check digit, else 15 digits with a right one).
     */
    static String imei(String value) {
        try {
            return dev.cardsmith.codec.Imei.normalize(value);
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage(), ErrorHandler.EXIT_USAGE);
        }
    }

    /** A date that must lie after {@code today} (an expiry). */
    static LocalDate after(LocalDate date, LocalDate today, String option) {
        if (!date.isAfter(today)) {
            throw new CliException(option + " " + date + " is not after today (" + today + "): the trust would start expired",
                    ErrorHandler.EXIT_USAGE);
        }
        return date;
    }

    /** picocli converter: a calendar date with a message a user can act on. */
    static LocalDate date(String value) {
        try {
            return LocalDate.parse(value);
        } catch (java.time.format.DateTimeParseException e) {
            throw new picocli.CommandLine.TypeConversionException("'" + value + "' is not a date (YYYY-MM-DD)");
        }
    }
}
