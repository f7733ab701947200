package dev.cardsmith.csp;

import dev.cardsmith.applet.piv.Constants;

import java.util.Locale;

/**
 * The four PIV key slots (SP 800-73-4 Part 1, Table 4b) with their certificate objects and PIN
 * policies. The KeyStore alias of a slot is its key reference in lower-case hex ("9a").
 */
public enum PivSlot {
    /** PIV Authentication: PIN once per session (ssh, TLS client auth, jarsigner). */
    AUTHENTICATION(Constants.KEY_AUTHENTICATION, Constants.OBJ_CERT_9A, "PIV Authentication"),
    /** Digital Signature: PIN immediately before every signature. */
    SIGNATURE(Constants.KEY_SIGNATURE, Constants.OBJ_CERT_9C, "Digital Signature"),
    /** Key Management: decryption and key agreement only, never signatures. */
    KEY_MANAGEMENT(Constants.KEY_KEY_MANAGEMENT, Constants.OBJ_CERT_9D, "Key Management"),
    /** Card Authentication: no PIN (physical access). */
    CARD_AUTHENTICATION(Constants.KEY_CARD_AUTHENTICATION, Constants.OBJ_CERT_9E, "Card Authentication");

    private final byte reference;
    private final byte object;
    public final String title;

    PivSlot(byte reference, byte object, String title) {
        this.reference = reference;
        this.object = object;
        this.title = title;
    }

    /** The key reference, 0x9A .. 0x9E. */
    public int reference() { return reference & 0xFF; }

    /** 0..3, the slot number the provider and the CLI count with. */
    public int index() { return ordinal(); }

    /** The KeyStore alias: "9a", "9c", "9d", "9e". */
    public String alias() { return String.format("%02x", reference()); }

    /** The certificate's data object id 5F C1 xx. */
    public byte[] certificateObject() { return new byte[] {Constants.OBJ_PREFIX_1, Constants.OBJ_PREFIX_2, object}; }

    public static PivSlot of(int index) {
        if (index < 0 || index >= values().length) throw new IllegalArgumentException("slot must be 0..3 (9a, 9c, 9d, 9e)");
        return values()[index];
    }

    /** "9a" / "9A" / "0x9a" / "0".."3", or null when {@code s} names no slot. */
    public static PivSlot parse(String s) {
        String t = s.toLowerCase(Locale.ROOT).replaceFirst("^0x", "");
        for (PivSlot p : values()) if (p.alias().equals(t)) return p;
        if (t.matches("[0-3]")) return values()[Integer.parseInt(t)];
        return null;
    }
}
