package dev.cardsmith.crypto;

import java.util.HexFormat;

/** Upper-case hex as smart-card tools print it; parsing accepts spaces and colons. */
public final class Hex {
    private static final HexFormat HEX = HexFormat.of().withUpperCase();

    private Hex() {}

    public static String of(byte[] b) { return HEX.formatHex(b); }

    public static byte[] parse(String s) {
        String clean = s.replaceAll("[\\s:]", "");
        try {
            return HEX.parseHex(clean);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not hex: " + (clean.length() > 16 ? clean.substring(0, 16) + "…" : clean));
        }
    }
}
