package dev.cardsmith.vault;

import java.nio.charset.StandardCharsets;

/**
 * IMEI as a device identity (claims 8, 16, 24: the identifier of a wireless terminal in its
 * network): 15 decimal digits, the last one the Luhn check digit over the first 14 (3GPP TS
 * 23.003 section 6.2.1, annex B). On the card and in certificates it is the 15 ASCII digits.
 */
public final class Imei {
    private Imei() {}

    /** Returns the IMEI unchanged if valid; otherwise throws with a one-line reason. */
    public static String validate(String imei) {
        if (imei == null || !imei.matches("[0-9]{15}")) {
            throw new IllegalArgumentException("invalid IMEI: expected 15 digits");
        }
        if (luhnCheckDigit(imei.substring(0, 14)) != imei.charAt(14) - '0') {
            throw new IllegalArgumentException("invalid IMEI " + imei + ": Luhn check digit should be " + luhnCheckDigit(imei.substring(0, 14)));
        }
        return imei;
    }

    /** The Luhn check digit for a string of digits (every second digit from the right doubled). */
    public static int luhnCheckDigit(String digits) {
        int sum = 0;
        boolean dbl = true;
        for (int i = digits.length() - 1; i >= 0; i--) {
            int d = digits.charAt(i) - '0';
            if (dbl) {
                d *= 2;
                if (d > 9) d -= 9;
            }
            sum += d;
            dbl = !dbl;
        }
        return (10 - sum % 10) % 10;
    }

    public static byte[] identityBytes(String imei) {
        return validate(imei).getBytes(StandardCharsets.US_ASCII);
    }
}
