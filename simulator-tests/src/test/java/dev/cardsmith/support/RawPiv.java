package dev.cardsmith.support;

import dev.cardsmith.applet.piv.Constants;
import dev.cardsmith.codec.Tlv;
import dev.cardsmith.transport.CardSession;
import dev.cardsmith.transport.CardsmithAids;

import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;
import javax.smartcardio.CommandAPDU;
import javax.smartcardio.ResponseAPDU;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * The PIV card edge spoken with raw APDUs built from the applet's {@link Constants}, for the
 * white-box tests (fuzz states, tear sweeps) that must not depend on the host library's PIV
 * client. Every call goes through the one {@link CardSession} (chaining, GET RESPONSE).
 */
public final class RawPiv {

    public static final byte[] DEFAULT_MGMT = HexFormat.of().parseHex("010203040506070801020304050607080102030405060708");

    private final CardSession s;

    public RawPiv(CardSession s) {
        this.s = s;
    }

    public static byte[] pin(String digits) {
        byte[] b = new byte[8];
        Arrays.fill(b, (byte) 0xFF);
        System.arraycopy(digits.getBytes(), 0, b, 0, digits.length());
        return b;
    }

    public static byte[] tlv(int tag, byte[] value) {
        return Tlv.of(tag, value);
    }

    private static byte[] cat(byte[]... parts) {
        return Tlv.concat(parts);
    }

    public ResponseAPDU send(int ins, int p1, int p2, byte[] data) {
        CommandAPDU c = data.length == 0 ? new CommandAPDU(0, ins, p1, p2, 256) : new CommandAPDU(0, ins, p1, p2, data, 256);
        return s.transmit(c);
    }

    private static byte[] ok(ResponseAPDU r, String what) {
        if (r.getSW() != 0x9000) throw new IllegalStateException(what + String.format(": SW %04X", r.getSW()));
        return r.getData();
    }

    public void select() {
        ok(s.transmit(new CommandAPDU(0, 0xA4, 4, 0, CardsmithAids.PIV.instanceAid(), 256)), "SELECT");
    }

    public int verify(byte[] pin) {
        return send(Constants.INS_VERIFY, 0, Constants.KEY_PIN & 0xFF, pin).getSW();
    }

    /** Tries left from VERIFY without data: 63Cx, or -1 when verified (9000). */
    public int pinTriesLeft() {
        int sw = s.transmit(new CommandAPDU(0, Constants.INS_VERIFY, 0, Constants.KEY_PIN & 0xFF)).getSW();
        if (sw == 0x9000) return -1;
        if (sw == 0x6983) return 0;
        if ((sw & 0xFFF0) != 0x63C0) throw new IllegalStateException(String.format("VERIFY status: %04X", sw));
        return sw & 0x0F;
    }

    public int changePin(byte[] old, byte[] neu) {
        return send(Constants.INS_CHANGE_REFERENCE_DATA, 0, Constants.KEY_PIN & 0xFF, cat(old, neu)).getSW();
    }

    public void release() {
        ok(s.transmit(new CommandAPDU(0, Constants.INS_VERIFY, 0xFF, Constants.KEY_PIN & 0xFF)), "VERIFY FF");
    }

    /** 9B mutual authentication (3DES, SP 800-73-4 Part 2 A.1). */
    public void admin(byte[] key) {
        try {
            byte[] w = ok(send(Constants.INS_GENERAL_AUTHENTICATE, Constants.ALG_3DES, 0x9B, HexFormat.of().parseHex("7C028000")), "witness");
            Cipher c = Cipher.getInstance("DESede/ECB/NoPadding");
            c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "DESede"));
            byte[] witness = c.doFinal(w, 4, 8);
            byte[] challenge = new byte[8];
            new SecureRandom().nextBytes(challenge);
            ok(send(Constants.INS_GENERAL_AUTHENTICATE, Constants.ALG_3DES, 0x9B,
                    tlv(0x7C, cat(tlv(0x80, witness), tlv(0x81, challenge)))), "mutual authentication");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** GENERATE; returns the 7F49 template. */
    public byte[] generate(int keyRef, int alg) {
        return ok(send(Constants.INS_GENERATE_ASYMMETRIC_KEY_PAIR, 0, keyRef, tlv(0xAC, new byte[] {(byte) 0x80, 1, (byte) alg})), "GENERATE");
    }

    /** GET METADATA of a key reference, or null (6A88: empty slot). */
    public byte[] metadata(int keyRef) {
        ResponseAPDU r = send(Constants.INS_GET_METADATA, 0, keyRef, new byte[0]);
        if (r.getSW() == 0x6A88) return null;
        return ok(r, "GET METADATA");
    }

    /** The P-256 point (04 X Y) of a slot, from GET METADATA; null for an empty slot. */
    public byte[] ecPoint(int keyRef) {
        byte[] m = metadata(keyRef);
        if (m == null) return null;
        for (int i = 0; i + 67 <= m.length; i++) {
            if (m[i] == (byte) 0x86 && m[i + 1] == 65 && m[i + 2] == 4) return Arrays.copyOfRange(m, i + 2, i + 67);
        }
        throw new IllegalStateException("no EC point in the metadata");
    }

    /** GENERAL AUTHENTICATE 7C { 82 00, 81 hash } with a P-256 key; returns the DER signature. */
    public byte[] signEc(int keyRef, byte[] hash) {
        byte[] t = ok(send(Constants.INS_GENERAL_AUTHENTICATE, Constants.ALG_EC_P256, keyRef,
                tlv(0x7C, cat(new byte[] {(byte) 0x82, 0}, tlv(0x81, hash)))), "GENERAL AUTHENTICATE");
        return Arrays.copyOfRange(t, 4, t.length);
    }

    /** PUT DATA of a certificate object (70 cert, 71 00, FE). */
    public void putCertificate(int objectTag, byte[] cert) {
        byte[] tag = {0x5F, (byte) 0xC1, (byte) objectTag};
        byte[] object = tlv(0x53, cat(tlv(0x70, cert), HexFormat.of().parseHex("710100FE00")));
        ok(send(Constants.INS_PUT_DATA, 0x3F, 0xFF, cat(tlv(0x5C, tag), object)), "PUT DATA");
    }

    /** The certificate in an object, or null when the object is absent (6A82). */
    public byte[] certificate(int objectTag) {
        ResponseAPDU r = send(Constants.INS_GET_DATA, 0x3F, 0xFF, tlv(0x5C, new byte[] {0x5F, (byte) 0xC1, (byte) objectTag}));
        if (r.getSW() == 0x6A82) return null;
        byte[] d = ok(r, "GET DATA");
        int o = 1;
        o += (d[o] & 0xFF) == 0x82 ? 3 : (d[o] & 0xFF) == 0x81 ? 2 : 1; // 53 L
        o++; // 70
        int len = d[o] & 0xFF;
        if (len == 0x82) { len = ((d[o + 1] & 0xFF) << 8) | (d[o + 2] & 0xFF); o += 3; }
        else if (len == 0x81) { len = d[o + 1] & 0xFF; o += 2; }
        else o++;
        return Arrays.copyOfRange(d, o, o + len);
    }
}
