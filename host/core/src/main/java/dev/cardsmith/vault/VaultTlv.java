package dev.cardsmith.vault;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The vault's flat TLV (one-byte tag, one-byte length below 0x80), the same rules the applet's
 * Tlv reader enforces. Hand-written because it is four lines and not BER: a BER library would
 * accept long-form lengths the card refuses.
 */
final class VaultTlv {
    private VaultTlv() {}

    record Item(byte tag, byte[] value, int offset) {}

    static void put(ByteArrayOutputStream out, byte tag, byte[] value) {
        if (value.length >= 0x80) throw new IllegalArgumentException("TLV value too long for the vault format");
        out.write(tag);
        out.write(value.length);
        out.writeBytes(value);
    }

    static List<Item> parse(byte[] b) {
        List<Item> items = new ArrayList<>();
        int p = 0;
        while (p < b.length) {
            if (p + 2 > b.length) throw new IllegalArgumentException("truncated TLV");
            int len = b[p + 1] & 0xFF;
            if (len >= 0x80 || p + 2 + len > b.length) throw new IllegalArgumentException("bad TLV length");
            items.add(new Item(b[p], Arrays.copyOfRange(b, p + 2, p + 2 + len), p));
            p += 2 + len;
        }
        return items;
    }
}
