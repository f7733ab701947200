package dev.cardsmith.applet.piv;

import dev.cardsmith.applet.AppletHarness;

import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;
import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.RSAPublicKeySpec;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * A PIV applet in a bare jCardSim, spoken to the way OpenSC speaks: command chaining in 255-byte
 * pieces (CLA 10), 61xx answered with GET RESPONSE. APDUs are built from {@link Constants}.
 */
final class PivCard implements AutoCloseable {

    static final byte[] PIN = pad("123456");
    static final byte[] NEW_PIN = pad("24681357");
    static final byte[] PUK = "12345678".getBytes();
    static final byte[] MGMT = HexFormat.of().parseHex("010203040506070801020304050607080102030405060708");

    final AppletHarness card;

    /** A response: data and status word. */
    record Rsp(byte[] data, int sw) {
        boolean ok() { return sw == 0x9000; }
    }

    PivCard() {
        card = new AppletHarness(Constants.AID, PivApplet.class);
    }

    PivCard(AppletHarness h) {
        card = h;
    }

    static byte[] pad(String pin) {
        byte[] b = new byte[8];
        Arrays.fill(b, (byte) 0xFF);
        System.arraycopy(pin.getBytes(), 0, b, 0, pin.length());
        return b;
    }

    static byte[] cat(byte[]... parts) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        for (byte[] p : parts) o.writeBytes(p);
        return o.toByteArray();
    }

    /** BER-TLV with a one- or two-byte tag. */
    static byte[] tlv(int tag, byte[] value) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        if (tag > 0xFF) o.write(tag >> 8);
        o.write(tag);
        int n = value.length;
        if (n >= 0x100) { o.write(0x82); o.write(n >> 8); o.write(n); }
        else if (n >= 0x80) { o.write(0x81); o.write(n); }
        else o.write(n);
        o.writeBytes(value);
        return o.toByteArray();
    }

    Rsp raw(byte[] apdu) {
        byte[] r = card.simulator().transmitCommand(apdu);
        return new Rsp(Arrays.copyOf(r, r.length - 2), ((r[r.length - 2] & 0xFF) << 8) | (r[r.length - 1] & 0xFF));
    }

    /** One command, chained when longer than 255 bytes, with every 61xx fetched. */
    Rsp send(int ins, int p1, int p2, byte[] data) {
        Rsp r = null;
        int off = 0;
        do {
            int n = Math.min(255, data.length - off);
            boolean last = off + n >= data.length;
            // Le only on the last piece (as OpenSC sends chains); jCardSim answers 6F00 to a
            // 261-byte short APDU (Lc 255 and Le), a simulator limit, not the applet's
            byte[] apdu = new byte[5 + n + (last && n < 255 ? 1 : 0)];
            apdu[0] = (byte) (last ? 0x00 : 0x10);
            apdu[1] = (byte) ins;
            apdu[2] = (byte) p1;
            apdu[3] = (byte) p2;
            apdu[4] = (byte) n;
            System.arraycopy(data, off, apdu, 5, n);
            if (n == 0) apdu = Arrays.copyOf(apdu, 5);
            r = raw(apdu);
            off += n;
            if (!last && r.sw() != 0x9000) return r;
        } while (off < data.length);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(r.data());
        while ((r.sw() & 0xFF00) == 0x6100) {
            r = raw(new byte[] {0x00, (byte) 0xC0, 0, 0, (byte) (r.sw() & 0xFF)});
            out.writeBytes(r.data());
        }
        return new Rsp(out.toByteArray(), r.sw());
    }

    int verify(byte[] pin) {
        return send(Constants.INS_VERIFY, 0, Constants.KEY_PIN & 0xFF, pin).sw();
    }

    int changePin(byte[] old, byte[] neu) {
        return send(Constants.INS_CHANGE_REFERENCE_DATA, 0, Constants.KEY_PIN & 0xFF, cat(old, neu)).sw();
    }

    int release() {
        return raw(new byte[] {0, Constants.INS_VERIFY, (byte) 0xFF, Constants.KEY_PIN}).sw();
    }

    /** Initialisation as a holder does it: the PIN changed away from the default, then verified. */
    void initialise() {
        check(changePin(PIN, NEW_PIN));
        check(verify(NEW_PIN));
    }

    static void check(int sw) {
        if (sw != 0x9000) throw new AssertionError(String.format("SW %04X", sw));
    }

    /** 9B mutual authentication with a 3DES key (SP 800-73-4 A.1). */
    int authenticate(byte[] key) throws Exception {
        Rsp w = send(Constants.INS_GENERAL_AUTHENTICATE, Constants.ALG_3DES, 0x9B, HexFormat.of().parseHex("7C028000"));
        if (!w.ok()) return w.sw();
        byte[] encWitness = Arrays.copyOfRange(w.data(), 4, 12);
        Cipher c = Cipher.getInstance("DESede/ECB/NoPadding");
        c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "DESede"));
        byte[] witness = c.doFinal(encWitness);
        byte[] challenge = new byte[8];
        new java.security.SecureRandom().nextBytes(challenge);
        Rsp r = send(Constants.INS_GENERAL_AUTHENTICATE, Constants.ALG_3DES, 0x9B,
                tlv(0x7C, cat(tlv(0x80, witness), tlv(0x81, challenge))));
        if (!r.ok()) return r.sw();
        c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "DESede"));
        if (!Arrays.equals(c.doFinal(challenge), Arrays.copyOfRange(r.data(), 4, 12))) throw new AssertionError("card's response");
        return r.sw();
    }

    Rsp generate(int keyRef, int alg) {
        return send(Constants.INS_GENERATE_ASYMMETRIC_KEY_PAIR, 0, keyRef, tlv(0xAC, new byte[] {(byte) 0x80, 1, (byte) alg}));
    }

    /** 7C { 82 00, tag data } to the key. */
    Rsp authenticate(int alg, int keyRef, int tag, byte[] data) {
        return send(Constants.INS_GENERAL_AUTHENTICATE, alg, keyRef, tlv(0x7C, cat(new byte[] {(byte) 0x82, 0}, tlv(tag, data))));
    }

    /** The value of 82 in a 7C answer. */
    static byte[] response(byte[] template) {
        int o = 1;
        int n = template[o++] & 0xFF;
        if (n == 0x81) o++;
        else if (n == 0x82) o += 2;
        if (template[o++] != (byte) 0x82) throw new AssertionError("no 82");
        int l = template[o++] & 0xFF;
        if (l == 0x81) l = template[o++] & 0xFF;
        else if (l == 0x82) { l = ((template[o] & 0xFF) << 8) | (template[o + 1] & 0xFF); o += 2; }
        return Arrays.copyOfRange(template, o, o + l);
    }

    /** The RSA public key of a 7F49 template. */
    static PublicKey rsaKey(byte[] t) throws Exception {
        // 7F49 82 01 09 81 82 01 00 n(256) 82 03 e
        byte[] n = Arrays.copyOfRange(t, 9, 9 + 256);
        int eLen = t[9 + 256 + 1];
        byte[] e = Arrays.copyOfRange(t, 9 + 256 + 2, 9 + 256 + 2 + eLen);
        return KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(new BigInteger(1, n), new BigInteger(1, e)));
    }

    /** The EC point (04 || X || Y) of a 7F49 template. */
    static byte[] ecPoint(byte[] t) {
        return Arrays.copyOfRange(t, 5, 5 + 65);
    }

    @Override
    public void close() {
        card.close();
    }
}
