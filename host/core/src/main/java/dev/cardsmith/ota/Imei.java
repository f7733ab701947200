package dev.cardsmith.ota;

/** IMEI (15 digits, or 14 + check digit computed) as 8 bytes packed BCD, high nibble first, F filler. */
public final class Imei {
    private Imei() {}

    public static byte[] encode(String imei) {
        String d = imei.replaceAll("[\\s-]", "");
        if (d.matches("[0-9]{14}")) d = d + luhn(d);
        if (!d.matches("[0-9]{15}")) throw new IllegalArgumentException("IMEI must have 14 or 15 digits");
        if (luhn(d.substring(0, 14)) != d.charAt(14) - '0') throw new IllegalArgumentException("IMEI check digit is wrong");
        byte[] out = new byte[8];
        String padded = d + "F";
        for (int i = 0; i < 8; i++) out[i] = (byte) Integer.parseInt(padded.substring(2 * i, 2 * i + 2), 16);
        return out;
    }

    static int luhn(String d14) {
        int sum = 0;
        for (int i = 0; i < 14; i++) {
            int v = d14.charAt(i) - '0';
            if (i % 2 == 1) { v *= 2; if (v > 9) v -= 9; }
            sum += v;
        }
        return (10 - sum % 10) % 10;
    }
}
