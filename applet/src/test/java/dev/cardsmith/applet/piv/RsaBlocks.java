package dev.cardsmith.applet.piv;

import java.util.Arrays;
import java.util.HexFormat;

/** The host's half of RSA with a raw card: EMSA-PKCS1-v1_5 encoding and EME-PKCS1-v1_5 unpadding. */
final class RsaBlocks {

    private RsaBlocks() {}

    static byte[] prefix(String hash) {
        return HexFormat.of().parseHex(switch (hash) {
            case "SHA-1" -> "3021300906052b0e03021a05000414";
            case "SHA-256" -> "3031300d060960864801650304020105000420";
            case "SHA-384" -> "3041300d060960864801650304020205000430";
            case "SHA-512" -> "3051300d060960864801650304020305000440";
            default -> throw new IllegalArgumentException(hash);
        });
    }

    /** 00 01 FF..FF 00 DigestInfo(hash) for a 2048-bit modulus. */
    static byte[] pkcs1(byte[] digest, String hash) {
        return type1(PivCard.cat(prefix(hash), digest));
    }

    static byte[] type1(byte[] payload) {
        byte[] b = new byte[256];
        Arrays.fill(b, (byte) 0xFF);
        b[0] = 0;
        b[1] = 1;
        b[256 - payload.length - 1] = 0;
        System.arraycopy(payload, 0, b, 256 - payload.length, payload.length);
        return b;
    }

    /** The message of a 00 02 PS 00 M block (8 or more nonzero PS bytes). */
    static byte[] unpadType2(byte[] b) {
        if (b.length != 256 || b[0] != 0 || b[1] != 2) throw new AssertionError("not a type-2 block");
        int i = 2;
        while (b[i] != 0) i++;
        if (i < 10) throw new AssertionError("short padding");
        return Arrays.copyOfRange(b, i + 1, b.length);
    }
}
