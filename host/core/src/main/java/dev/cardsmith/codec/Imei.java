package dev.cardsmith.codec;

import java.nio.charset.StandardCharsets;

/**
 * IMEI, the identifier of a wireless terminal in its network (3GPP TS 23.003 section 6.2.1):
 * 15 decimal digits, the last one the Luhn check digit over the first 14 (annex B). The vault
 * stores it as a device identity in 15 ASCII digits ({@link #identityBytes}); the SIM's
 * terminal characteristics carry it as the handset sends it to the SIM ({@link #mobileIdentity}).
 */
public final class Imei {
    private Imei() {}

    /** Returns the IMEI unchanged if valid (exactly 15 digits, check digit right); otherwise throws with a one-line reason. */
    public static String validate(String imei) {
        if (imei == null || !imei.matches("[0-9]{15}")) throw notFifteenDigits(imei);
        int expected = luhnCheckDigit(imei.substring(0, 14));
        if (expected != imei.charAt(14) - '0') {
            throw new IllegalArgumentException("invalid IMEI '" + imei + "': Luhn check digit should be " + expected);
        }
        return imei;
    }

    /**
     * A typed-in IMEI: spaces and dashes dropped, 14 digits completed with their check digit,
     * then {@link #validate}d.
     */
    public static String normalize(String imei) {
        if (imei == null) throw notFifteenDigits(null);
        String d = imei.replaceAll("[\\s-]", "");
        if (d.matches("[0-9]{14}")) d = d + luhnCheckDigit(d);
        return validate(d);
    }

    /** The one message for an IMEI of the wrong shape, in the form of the check-digit message. */
    private static IllegalArgumentException notFifteenDigits(String imei) {
        return new IllegalArgumentException("invalid IMEI " + (imei == null ? "(none)" : "'" + imei + "'")
                + ": expected 15 digits, the last one the Luhn check digit");
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

    /** The vault's device identity: the 15 digits in ASCII (validated, not normalized). */
    public static byte[] identityBytes(String imei) {
        return validate(imei).getBytes(StandardCharsets.US_ASCII);
    }

    /** Length of {@link #mobileIdentity}. */
    public static final int MOBILE_IDENTITY_LEN = 8;

    /**
     * The IMEI as a handset answers PROVIDE LOCAL INFORMATION (TS 102 223 8.20, TS 31.111 6.4.15):
     * the mobile identity of TS 24.008 10.5.1.4 without its IEI and length - digit 1 and the type
     * "IMEI, odd number of digits" (1010) in the first octet, then digits 2..15 in swapped
     * semi-octets, the check digit sent as the spare digit 0 (TS 23.003 6.2.1). 8 bytes, of a
     * {@link #normalize}d IMEI. The one IMEI coding of the SIM's terminal characteristics: the
     * network (INIT_TRUST), the terminal app (AUTHENTICATE) and the handset use it alike.
     */
    public static byte[] mobileIdentity(String imei) {
        String d = normalize(imei).substring(0, 14) + "0";
        byte[] out = new byte[MOBILE_IDENTITY_LEN];
        out[0] = (byte) (((d.charAt(0) - '0') << 4) | 0x0A);
        for (int i = 1; i < 15; i += 2) out[(i + 1) / 2] = (byte) (((d.charAt(i + 1) - '0') << 4) | (d.charAt(i) - '0'));
        return out;
    }
}
