package dev.cardsmith.csp;

import dev.cardsmith.applet.piv.Constants;
import dev.cardsmith.codec.Tlv;

import javax.smartcardio.CommandAPDU;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.RSAPublicKeySpec;
import java.util.Arrays;
import java.util.List;

/**
 * APDU builders and response parsers of the PIV card edge (NIST SP 800-73-4 Part 2), as pure
 * functions (no card). Every INS, tag and key reference comes from the applet's own
 * {@link Constants}; the values are the standard's, so the same commands drive any PIV card.
 */
public final class PivApdus {

    private PivApdus() {}

    /** The PIV application AID (SP 800-73-4 Part 1, 2.2). */
    public static byte[] aid() { return Constants.AID.clone(); }

    private static final int CLA = Constants.CLA & 0xFF;
    /** Le = 256 (00) on every command that answers data; CardSession fetches the rest on 61xx. */
    private static final int LE = 256;

    // ---- PIN and PUK (SP 800-73-4 Part 2, 3.2.1-3.2.3) ------------------------------------------

    /** VERIFY of the PIV Card Application PIN (key reference 80), padded with FF to 8 bytes. */
    public static CommandAPDU verify(byte[] pin) {
        return new CommandAPDU(CLA, Constants.INS_VERIFY, 0, Constants.KEY_PIN & 0xFF, pad(pin, "PIN"));
    }

    /** VERIFY without data: 9000 when verified, 63Cx with the tries left otherwise (6983 blocked). */
    public static CommandAPDU pinStatus() {
        return new CommandAPDU(CLA, Constants.INS_VERIFY, 0, Constants.KEY_PIN & 0xFF);
    }

    /** VERIFY with P1 = FF and no data: resets the PIN's security status (the end of a login). */
    public static CommandAPDU releasePin() {
        return new CommandAPDU(CLA, Constants.INS_VERIFY, Constants.P1_VERIFY_RESET & 0xFF, Constants.KEY_PIN & 0xFF);
    }

    public static CommandAPDU changePin(byte[] oldPin, byte[] newPin) {
        return new CommandAPDU(CLA, Constants.INS_CHANGE_REFERENCE_DATA, 0, Constants.KEY_PIN & 0xFF, Tlv.concat(pad(oldPin, "PIN"), pad(newPin, "new PIN")));
    }

    public static CommandAPDU changePuk(byte[] oldPuk, byte[] newPuk) {
        return new CommandAPDU(CLA, Constants.INS_CHANGE_REFERENCE_DATA, 0, Constants.KEY_PUK & 0xFF, Tlv.concat(pad(oldPuk, "PUK"), pad(newPuk, "new PUK")));
    }

    /** RESET RETRY COUNTER: PUK and new PIN, both padded to 8 bytes. */
    public static CommandAPDU unblockPin(byte[] puk, byte[] newPin) {
        return new CommandAPDU(CLA, Constants.INS_RESET_RETRY_COUNTER, 0, Constants.KEY_PIN & 0xFF, Tlv.concat(pad(puk, "PUK"), pad(newPin, "new PIN")));
    }

    // ---- Keys --------------------------------------------------------------------------------------

    /** GENERATE ASYMMETRIC KEY PAIR: control reference template {@code AC 03 80 01 alg}. */
    public static CommandAPDU generate(PivSlot slot, KeyAlgorithm alg) {
        byte[] crt = {Constants.TAG_CONTROL, 3, Constants.TAG_ALG_ID, 1, alg.pivCode};
        return new CommandAPDU(CLA, Constants.INS_GENERATE_ASYMMETRIC_KEY_PAIR, 0, slot.reference(), crt, LE);
    }

    /** SET MANAGEMENT KEY (Yubico extension, administrator only): {@code 00 FF FF FF alg 9B L key}. */
    public static CommandAPDU setManagementKey(int alg, byte[] key) {
        byte[] data = new byte[3 + key.length];
        data[0] = (byte) alg;
        data[1] = Constants.KEY_MANAGEMENT_ADMIN;
        data[2] = (byte) key.length;
        System.arraycopy(key, 0, data, 3, key.length);
        return new CommandAPDU(CLA, Constants.INS_SET_MANAGEMENT_KEY, Constants.P1P2_SET_MGMT & 0xFF, Constants.P1P2_SET_MGMT & 0xFF, data);
    }

    /** GET METADATA (Yubico extension, no PIN): algorithm, PIN policy and public key of a key reference. */
    public static CommandAPDU metadata(int keyReference) {
        return new CommandAPDU(CLA, Constants.INS_GET_METADATA, 0, keyReference & 0xFF, LE);
    }

    /**
     * GENERAL AUTHENTICATE with a slot's private key: {@code 7C { 82 00, tag input }}, tag 81
     * (challenge: a hash to sign, a PKCS#1 block to sign or decrypt) or 85 (exponentiation: the
     * peer's EC point for ECDH). One logical command; CardSession chains it past 255 bytes.
     */
    public static CommandAPDU authenticate(PivSlot slot, KeyAlgorithm alg, int tag, byte[] input) {
        byte[] inner = Tlv.concat(new byte[] {Constants.TAG_RESPONSE, 0}, Tlv.of(tag, input));
        return new CommandAPDU(CLA, Constants.INS_GENERAL_AUTHENTICATE, alg.pivCode & 0xFF, slot.reference(),
                Tlv.of(Constants.TAG_DYNAMIC_AUTH & 0xFF, inner), LE);
    }

    /** The 82 (response) element of a GENERAL AUTHENTICATE answer {@code 7C { 82 ... }}. */
    public static byte[] authResponse(byte[] data) {
        return element(template(data), Constants.TAG_RESPONSE, "GENERAL AUTHENTICATE response");
    }

    // ---- Card management key 9B (SP 800-73-4 Part 2, Appendix A.1) ---------------------------------

    /** Step 1 of mutual authentication: ask for the witness, {@code 7C 02 80 00}. */
    public static CommandAPDU managementWitness(int alg) {
        return new CommandAPDU(CLA, Constants.INS_GENERAL_AUTHENTICATE, alg, Constants.KEY_MANAGEMENT_ADMIN & 0xFF,
                new byte[] {Constants.TAG_DYNAMIC_AUTH, 2, Constants.TAG_WITNESS, 0}, LE);
    }

    /** Step 2: the decrypted witness and the host's challenge, {@code 7C { 80 W, 81 C }}. */
    public static CommandAPDU managementResponse(int alg, byte[] witness, byte[] challenge) {
        byte[] inner = Tlv.concat(Tlv.of(Constants.TAG_WITNESS & 0xFF, witness), Tlv.of(Constants.TAG_CHALLENGE & 0xFF, challenge));
        return new CommandAPDU(CLA, Constants.INS_GENERAL_AUTHENTICATE, alg, Constants.KEY_MANAGEMENT_ADMIN & 0xFF,
                Tlv.of(Constants.TAG_DYNAMIC_AUTH & 0xFF, inner), LE);
    }

    /** A challenge request, {@code 7C 02 81 00}: the card answers random bytes (used as the card's RNG). */
    public static CommandAPDU managementChallenge(int alg) {
        return new CommandAPDU(CLA, Constants.INS_GENERAL_AUTHENTICATE, alg, Constants.KEY_MANAGEMENT_ADMIN & 0xFF,
                new byte[] {Constants.TAG_DYNAMIC_AUTH, 2, Constants.TAG_CHALLENGE, 0}, LE);
    }

    public static byte[] witness(byte[] data) {
        return element(template(data), Constants.TAG_WITNESS, "witness");
    }

    public static byte[] challenge(byte[] data) {
        return element(template(data), Constants.TAG_CHALLENGE, "challenge");
    }

    // ---- Data objects (SP 800-73-4 Part 1, Table 3; Part 2, 3.1.2 and 3.3.2) ------------------------

    /** GET DATA {@code 5C L id}. */
    public static CommandAPDU getData(byte[] objectId) {
        return new CommandAPDU(CLA, Constants.INS_GET_DATA, 0x3F, 0xFF, Tlv.of(Constants.TAG_TAG_LIST & 0xFF, objectId), LE);
    }

    /** PUT DATA {@code 5C L id, 53 L content} (the discovery object is not writable). */
    public static CommandAPDU putData(byte[] objectId, byte[] content) {
        return new CommandAPDU(CLA, Constants.INS_PUT_DATA, 0x3F, 0xFF,
                Tlv.concat(Tlv.of(Constants.TAG_TAG_LIST & 0xFF, objectId), Tlv.of(Constants.TAG_DATA & 0xFF, content)));
    }

    /** A certificate object's content: {@code 70 cert, 71 01 00 (not compressed), FE 00 (error detection code)}. */
    public static byte[] certificateObject(byte[] der) {
        return Tlv.concat(Tlv.concat(Tlv.of(Constants.TAG_CERTIFICATE & 0xFF, der), new byte[] {0x71, 1, 0}), new byte[] {(byte) 0xFE, 0});
    }

    /** The DER certificate inside a GET DATA answer {@code 53 { 70 cert, 71 info, FE }}, or null when the object is empty. */
    public static byte[] certificate(byte[] getDataAnswer) {
        List<Tlv.Element> outer = parse(getDataAnswer);
        if (outer.isEmpty()) return null;
        Tlv.Element o = outer.get(0);
        if (o.tag() != (Constants.TAG_DATA & 0xFF)) throw new CspException("not a PIV data object (tag " + Integer.toHexString(o.tag()) + ")");
        if (o.value().length == 0) return null;
        List<Tlv.Element> inner = parse(o.value());
        Tlv.Element info = find(inner, 0x71);
        if (info != null && info.value().length > 0 && (info.value()[0] & 0x01) != 0) {
            throw new CspException("compressed certificates are not supported");
        }
        Tlv.Element cert = find(inner, Constants.TAG_CERTIFICATE & 0xFF);
        return cert == null || cert.value().length == 0 ? null : cert.value();
    }

    // ---- Public keys and metadata ------------------------------------------------------------------

    /** A public key from a 7F49 template or its bare content ({@code 81 n, 82 e} or {@code 86 point}). */
    public static PublicKey publicKey(byte[] data) {
        List<Tlv.Element> top = parse(data);
        List<Tlv.Element> inner = !top.isEmpty() && top.get(0).tag() == (Constants.TAG_PUBLIC_KEY & 0xFFFF) ? parse(top.get(0).value()) : top;
        try {
            Tlv.Element w = find(inner, Constants.TAG_EC_POINT & 0xFF);
            if (w != null) return EcPoints.decode(w.value());
            Tlv.Element n = find(inner, Constants.TAG_RSA_MODULUS & 0xFF);
            Tlv.Element e = find(inner, Constants.TAG_RSA_EXPONENT & 0xFF);
            if (n == null || e == null) throw new CspException("public key template holds no key");
            return KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(new BigInteger(1, n.value()), new BigInteger(1, e.value())));
        } catch (GeneralSecurityException | IllegalArgumentException ex) {
            throw new CspException("card returned an unusable public key: " + ex.getMessage(), ex);
        }
    }

    /** A slot's GET METADATA answer: algorithm, PIN policy, public key. */
    public record SlotMetadata(KeyAlgorithm algorithm, int pinPolicy, PublicKey publicKey) {}

    public static SlotMetadata slotMetadata(byte[] data) {
        List<Tlv.Element> f = parse(data);
        byte[] alg = element(f, Constants.TAG_META_ALGORITHM, "algorithm");
        byte[] policy = element(f, Constants.TAG_META_POLICY, "PIN policy");
        byte[] pub = element(f, Constants.TAG_META_PUBLIC_KEY, "public key");
        if (alg.length != 1 || policy.length < 1) throw new CspException("malformed slot metadata");
        return new SlotMetadata(KeyAlgorithm.fromPivCode(alg[0]), policy[0] & 0xFF, publicKey(pub));
    }

    /** The PIN's or PUK's GET METADATA answer: whether it is still the default, and the tries left. */
    public record PinMetadata(boolean isDefault, int tryLimit, int triesLeft) {}

    public static PinMetadata pinMetadata(byte[] data) {
        List<Tlv.Element> f = parse(data);
        byte[] d = element(f, Constants.TAG_META_DEFAULT, "default flag");
        byte[] r = element(f, Constants.TAG_META_RETRIES, "retries");
        if (d.length != 1 || r.length != 2) throw new CspException("malformed PIN metadata");
        return new PinMetadata(d[0] != 0, r[0] & 0xFF, r[1] & 0xFF);
    }

    /** The management key's algorithm and whether it is still the well-known default. */
    public record ManagementMetadata(int algorithm, boolean isDefault) {}

    public static ManagementMetadata managementMetadata(byte[] data) {
        List<Tlv.Element> f = parse(data);
        byte[] alg = element(f, Constants.TAG_META_ALGORITHM, "algorithm");
        byte[] d = element(f, Constants.TAG_META_DEFAULT, "default flag");
        if (alg.length != 1 || d.length != 1) throw new CspException("malformed management key metadata");
        return new ManagementMetadata(alg[0] & 0xFF, d[0] != 0);
    }

    // ---- helpers -----------------------------------------------------------------------------------

    /** PIN/PUK reference data: 6-8 characters, padded with FF to 8 bytes (SP 800-73-4 Part 2, 2.4.3). */
    static byte[] pad(byte[] secret, String what) {
        if (secret.length < Constants.PIN_MIN_DIGITS || secret.length > Constants.PIN_LENGTH) {
            throw new IllegalArgumentException(what + " must be " + Constants.PIN_MIN_DIGITS + ".." + Constants.PIN_LENGTH + " characters");
        }
        byte[] out = new byte[Constants.PIN_LENGTH];
        Arrays.fill(out, Constants.PAD);
        System.arraycopy(secret, 0, out, 0, secret.length);
        return out;
    }

    private static List<Tlv.Element> template(byte[] data) {
        List<Tlv.Element> top = parse(data);
        if (top.size() != 1 || top.get(0).tag() != (Constants.TAG_DYNAMIC_AUTH & 0xFF)) throw new CspException("not a dynamic authentication template");
        return parse(top.get(0).value());
    }

    private static byte[] element(List<Tlv.Element> list, byte tag, String what) {
        Tlv.Element e = find(list, tag & 0xFF);
        if (e == null) throw new CspException("card response holds no " + what);
        return e.value();
    }

    private static List<Tlv.Element> parse(byte[] data) {
        return Tlv.parseAll(data, 0, data.length, CspException::new);
    }

    private static Tlv.Element find(List<Tlv.Element> list, int tag) {
        for (Tlv.Element t : list) if (t.tag() == tag) return t;
        return null;
    }
}
