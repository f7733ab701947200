package dev.cardsmith.csp;

import dev.cardsmith.applet.csp.Constants;
import dev.cardsmith.codec.Tlv;
import dev.cardsmith.crypto.EcP256;

import javax.smartcardio.CommandAPDU;
import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.RSAPublicKeySpec;
import java.util.ArrayList;
import java.util.List;

/**
 * APDU builders and response parsers of the CSP applet, as pure functions (no card). Every
 * INS, tag and status word comes from the applet's own {@link Constants}.
 */
public final class CspApdus {

    private CspApdus() {}

    /** Instance AID of the CSP applet. */
    public static final byte[] AID = java.util.HexFormat.of().parseHex("F043534D540301");

    private static final int ISO = Constants.CLA_ISO & 0xFF;
    private static final int PROP = Constants.CLA_PROPRIETARY & 0xFF;

    public static CommandAPDU verify(byte[] pin) {
        checkPin(pin);
        return new CommandAPDU(ISO, Constants.INS_VERIFY, 0, Constants.PIN_USER & 0xFF, pin);
    }

    /** Empty VERIFY: answers 9000 when verified, else 63Cx with the tries left (6983 blocked). */
    public static CommandAPDU pinStatus() {
        return new CommandAPDU(ISO, Constants.INS_VERIFY, 0, Constants.PIN_USER & 0xFF);
    }

    public static CommandAPDU changePin(byte[] oldPin, byte[] newPin) {
        checkPin(oldPin);
        checkPin(newPin);
        return new CommandAPDU(ISO, Constants.INS_CHANGE_REFERENCE_DATA, 0, Constants.PIN_USER & 0xFF, lv2(oldPin, newPin));
    }

    public static CommandAPDU changePuk(byte[] oldPuk, byte[] newPuk) {
        checkPuk(oldPuk);
        checkPuk(newPuk);
        return new CommandAPDU(ISO, Constants.INS_CHANGE_REFERENCE_DATA, 0, Constants.PIN_PUK & 0xFF, lv2(oldPuk, newPuk));
    }

    public static CommandAPDU unblockPin(byte[] puk, byte[] newPin) {
        checkPuk(puk);
        checkPin(newPin);
        return new CommandAPDU(ISO, Constants.INS_RESET_RETRY_COUNTER, 0, Constants.PIN_USER & 0xFF, lv2(puk, newPin));
    }

    public static CommandAPDU getChallenge(int n) {
        if (n < 1 || n > 256) throw new IllegalArgumentException("GET CHALLENGE returns 1..256 bytes");
        return new CommandAPDU(ISO, Constants.INS_GET_CHALLENGE, 0, 0, n);
    }

    public static CommandAPDU generate(int slot, KeyAlgorithm alg, String label) {
        checkSlot(slot);
        byte[] l = label == null ? new byte[0] : label.getBytes(StandardCharsets.UTF_8);
        if (l.length > Constants.LABEL_MAX) throw new IllegalArgumentException("label longer than " + Constants.LABEL_MAX + " bytes");
        ByteArrayOutputStream d = new ByteArrayOutputStream();
        d.write(Constants.TAG_GEN_ALGORITHM);
        d.write(1);
        d.write(alg.code);
        if (l.length > 0) {
            d.write(Constants.TAG_GEN_LABEL);
            d.write(l.length);
            d.writeBytes(l);
        }
        return new CommandAPDU(ISO, Constants.INS_GENERATE_ASYMMETRIC_KEY_PAIR, Constants.P1_GENERATE & 0xFF, slot, d.toByteArray(), 256);
    }

    public static CommandAPDU readPublicKey(int slot) {
        checkSlot(slot);
        return new CommandAPDU(ISO, Constants.INS_GENERATE_ASYMMETRIC_KEY_PAIR, Constants.P1_READ_PUBLIC & 0xFF, slot, 256);
    }

    public static CommandAPDU listSlots() {
        return new CommandAPDU(PROP, Constants.INS_LIST_SLOTS, 0, 0, 256);
    }

    /** One logical command; CardSession chains it when the certificate exceeds 255 bytes. */
    public static CommandAPDU putCertificate(int slot, byte[] der) {
        checkSlot(slot);
        if (der.length > Constants.CERT_MAX) throw new IllegalArgumentException("certificate larger than " + Constants.CERT_MAX + " bytes");
        return new CommandAPDU(PROP, Constants.INS_PUT_CERTIFICATE, slot, 0, der);
    }

    public static CommandAPDU getCertificate(int slot) {
        checkSlot(slot);
        return new CommandAPDU(PROP, Constants.INS_GET_CERTIFICATE, slot, 0, 256);
    }

    public static CommandAPDU deleteKey(int slot) {
        checkSlot(slot);
        return new CommandAPDU(PROP, Constants.INS_DELETE_KEY, slot, 0);
    }

    /** ECDSA over a 32-byte host-computed hash (already fitted to the curve order, see {@link HostCrypto}). */
    public static CommandAPDU signEcdsa(int slot, byte[] hash32) {
        checkSlot(slot);
        if (hash32.length != Constants.ECDSA_HASH_LENGTH) throw new IllegalArgumentException("ECDSA input must be 32 bytes");
        return new CommandAPDU(PROP, Constants.INS_SIGN, slot, Constants.MECH_ECDSA_PREHASHED, hash32, 256);
    }

    /** RSASSA-PKCS1-v1_5 over a host-built DigestInfo. */
    public static CommandAPDU signRsaPkcs1(int slot, byte[] digestInfo) {
        checkSlot(slot);
        if (digestInfo.length == 0 || digestInfo.length > Constants.RSA_PKCS1_MAX_INPUT) {
            throw new IllegalArgumentException("DigestInfo must be 1.." + Constants.RSA_PKCS1_MAX_INPUT + " bytes");
        }
        return new CommandAPDU(PROP, Constants.INS_SIGN, slot, Constants.MECH_RSA_PKCS1_DIGESTINFO, digestInfo, 256);
    }

    /** 256-byte ciphertext: one logical command, sent as a chain of two APDUs. */
    public static CommandAPDU decryptRsaPkcs1(int slot, byte[] ciphertext) {
        checkSlot(slot);
        if (ciphertext.length != Constants.RSA_MODULUS_LENGTH) throw new IllegalArgumentException("RSA-2048 ciphertext must be 256 bytes");
        return new CommandAPDU(PROP, Constants.INS_DECRYPT, slot, Constants.MECH_RSA_PKCS1_DECRYPT, ciphertext, 256);
    }

    public static CommandAPDU ecdh(int slot, byte[] uncompressedPoint) {
        checkSlot(slot);
        if (uncompressedPoint.length != Constants.EC_POINT_LENGTH || uncompressedPoint[0] != 0x04) {
            throw new IllegalArgumentException("peer key must be an uncompressed P-256 point (65 bytes, 04||X||Y)");
        }
        return new CommandAPDU(PROP, Constants.INS_ECDH, slot, 0, uncompressedPoint, 256);
    }

    // ---- Parsers ------------------------------------------------------------------------------------

    /** Parses the 7F49 public key template into a JDK public key. */
    public static PublicKey parsePublicKey(byte[] data) {
        Tlv.Element outer = first(parse(data));
        if (outer.tag() != (Constants.TAG_PUBLIC_KEY & 0xFFFF)) throw new CspException("not a public key template");
        List<Tlv.Element> inner = parse(outer.value());
        try {
            Tlv.Element w = find(inner, Constants.TAG_EC_POINT);
            if (w != null) {
                byte[] point = w.value();
                try {
                    return EcP256.decode(point);
                } catch (IllegalArgumentException ex) {
                    throw new CspException("card returned an unusable public key: " + ex.getMessage(), ex);
                }
            }
            Tlv.Element n = find(inner, Constants.TAG_RSA_MODULUS);
            Tlv.Element e = find(inner, Constants.TAG_RSA_EXPONENT);
            if (n == null || e == null) throw new CspException("public key template holds no key");
            return KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(new BigInteger(1, n.value()), new BigInteger(1, e.value())));
        } catch (GeneralSecurityException ex) {
            throw new CspException("card returned an unusable public key: " + ex.getMessage(), ex);
        }
    }

    public static List<SlotInfo> parseSlots(byte[] data) {
        List<SlotInfo> out = new ArrayList<>();
        for (Tlv.Element slot : parse(data)) {
            if (slot.tag() != (Constants.TAG_SLOT & 0xFF)) throw new CspException("unexpected tag in slot list");
            List<Tlv.Element> f = parse(slot.value());
            Tlv.Element num = find(f, Constants.TAG_SLOT_NUMBER);
            Tlv.Element alg = find(f, Constants.TAG_SLOT_ALGORITHM);
            Tlv.Element label = find(f, Constants.TAG_SLOT_LABEL);
            Tlv.Element cert = find(f, Constants.TAG_SLOT_CERT_LENGTH);
            if (num == null || alg == null || label == null || cert == null) throw new CspException("incomplete slot template");
            out.add(new SlotInfo(u8(num), KeyAlgorithm.fromCode((byte) u8(alg)),
                    new String(label.value(), StandardCharsets.UTF_8), u16(cert)));
        }
        return out;
    }

    /** SELECT response: version, slot count, algorithms, largest certificate. */
    public static CardInfo parseAppInfo(byte[] data) {
        List<Tlv.Element> f = parse(first(parse(data)).value());
        Tlv.Element v = find(f, Constants.TAG_APP_VERSION);
        Tlv.Element s = find(f, Constants.TAG_APP_SLOTS);
        Tlv.Element a = find(f, Constants.TAG_APP_ALGORITHMS);
        Tlv.Element c = find(f, Constants.TAG_APP_CERT_MAX);
        if (v == null || s == null || a == null || c == null) throw new CspException("unexpected SELECT response of the CSP applet");
        return new CardInfo(u8(v), u8(s), (u8(a) & Constants.ALG_RSA_2048) != 0, u16(c));
    }

    private static List<Tlv.Element> parse(byte[] data) {
        return Tlv.parseAll(data, 0, data.length, CspException::new);
    }

    private static Tlv.Element first(List<Tlv.Element> elements) {
        if (elements.isEmpty()) throw new CspException("empty response");
        return elements.get(0);
    }

    private static Tlv.Element find(List<Tlv.Element> list, byte tag) {
        for (Tlv.Element t : list) if (t.tag() == (tag & 0xFF)) return t;
        return null;
    }

    private static int u8(Tlv.Element e) {
        if (e.value().length < 1) throw new CspException("empty data object " + Integer.toHexString(e.tag()));
        return e.value()[0] & 0xFF;
    }

    private static int u16(Tlv.Element e) {
        if (e.value().length < 2) throw new CspException("short data object " + Integer.toHexString(e.tag()));
        return ((e.value()[0] & 0xFF) << 8) | (e.value()[1] & 0xFF);
    }

    private static byte[] lv2(byte[] a, byte[] b) {
        byte[] out = new byte[2 + a.length + b.length];
        out[0] = (byte) a.length;
        System.arraycopy(a, 0, out, 1, a.length);
        out[1 + a.length] = (byte) b.length;
        System.arraycopy(b, 0, out, 2 + a.length, b.length);
        return out;
    }

    static void checkPin(byte[] pin) {
        if (pin.length < Constants.PIN_MIN_LENGTH || pin.length > Constants.PIN_MAX_LENGTH) {
            throw new IllegalArgumentException("PIN must be " + Constants.PIN_MIN_LENGTH + ".." + Constants.PIN_MAX_LENGTH + " characters");
        }
    }

    static void checkPuk(byte[] puk) {
        if (puk.length != Constants.PUK_LENGTH) throw new IllegalArgumentException("PUK must be " + Constants.PUK_LENGTH + " characters");
    }

    static void checkSlot(int slot) {
        if (slot < 0 || slot >= Constants.SLOT_COUNT) throw new IllegalArgumentException("slot must be 0.." + (Constants.SLOT_COUNT - 1));
    }
}
