package dev.cardsmith.ota;

import java.time.LocalDate;
import java.time.temporal.ChronoUnit;

/**
 * Dates on the card: days since 2000-01-01 as a positive 16-bit short (until 2089-09-18). The card
 * has no clock; dates reach it authenticated in OTA packets or from the authenticated terminal.
 */
public final class OtaDates {
    private OtaDates() {}

    public static final LocalDate EPOCH = LocalDate.of(2000, 1, 1);

    public static int toDay(LocalDate d) {
        long n = ChronoUnit.DAYS.between(EPOCH, d);
        if (n < 0 || n > Short.MAX_VALUE) throw new IllegalArgumentException("date out of range 2000-01-01..2089-09-18: " + d);
        return (int) n;
    }

    public static LocalDate ofDay(int day) { return EPOCH.plusDays(day & 0xFFFF); }
}
