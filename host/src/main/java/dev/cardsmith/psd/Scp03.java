package dev.cardsmith.psd;

import dev.cardsmith.crypto.Cmac;
import dev.cardsmith.applet.psd.PsdProtocol;

import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import javax.smartcardio.CommandAPDU;
import javax.smartcardio.ResponseAPDU;
import java.io.ByteArrayOutputStream;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;

/**
 * Host side of GlobalPlatform SCP03 (Card Specification v2.3 Amendment D): INITIALIZE UPDATE /
 * EXTERNAL AUTHENTICATE, session keys by the SCP03 KDF (SP 800-108 counter mode, AES-CMAC,
 * 8-bit counter in the middle), C-MAC chaining, C-DECRYPTION, R-MAC, R-ENCRYPTION. APDU
 * building and parsing are pure; only the static keys are abstracted, so they can stay in an
 * HSM ({@link StaticKey}: the CMAC runs where the key is). Session keys live in this object.
 * Checked against published SCP03 traces (pySim test vectors) in Scp03KnownAnswerTest.
 */
public final class Scp03 {

    /** A static key that can compute AES-CMAC (in an HSM or in memory). */
    @FunctionalInterface
    public interface StaticKey {
        byte[] cmac(byte[] data);

        static StaticKey of(byte[] key) {
            byte[] k = key.clone();
            return d -> Cmac.aes(k, d);
        }
    }

    /** Thrown when the card's cryptogram or a response MAC does not verify. */
    public static final class Scp03Exception extends RuntimeException {
        public Scp03Exception(String message) { super(message); }
    }

    private final StaticKey kEnc;
    private final StaticKey kMac;
    private byte[] hostChallenge;
    private byte[] cardChallenge;
    private byte[] sEnc;
    private byte[] sMac;
    private byte[] sRmac;
    private byte[] chain = new byte[16];
    private final byte[] counter = new byte[16];
    private int level;
    private int keyVersion;
    private byte[] divData;
    private boolean authenticated;

    public Scp03(StaticKey kEnc, StaticKey kMac) {
        this.kEnc = kEnc;
        this.kMac = kMac;
    }

    /** One key as K-ENC and K-MAC (the PSD's master key). */
    public Scp03(StaticKey key) {
        this(key, key);
    }

    /** label (11 x 00 || constant) || 00 || L || counter 01 || context: one KDF block (L <= 128). */
    public static byte[] kdfInput(byte constant, int lBits, byte[] context) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(new byte[11]);
        b.write(constant);
        b.write(0);
        b.write(lBits >>> 8);
        b.write(lBits);
        b.write(1);
        b.writeBytes(context);
        return b.toByteArray();
    }

    static byte[] kdf(StaticKey key, byte constant, int lBits, byte[] context) {
        return Arrays.copyOf(key.cmac(kdfInput(constant, lBits, context)), lBits / 8);
    }

    public CommandAPDU initializeUpdate(int kvn, byte[] hostChallenge) {
        if (hostChallenge.length != 8) throw new IllegalArgumentException("host challenge must be 8 bytes");
        this.hostChallenge = hostChallenge.clone();
        return new CommandAPDU(PsdProtocol.CLA_GP & 0xFF, PsdProtocol.INS_INITIALIZE_UPDATE, kvn, 0, hostChallenge, 256);
    }

    public CommandAPDU initializeUpdate(int kvn) {
        byte[] hc = new byte[8];
        new SecureRandom().nextBytes(hc);
        return initializeUpdate(kvn, hc);
    }

    /** Parses the response, derives the session keys and verifies the card cryptogram. */
    public void onInitializeUpdateResponse(byte[] r) {
        if (r.length != 29 && r.length != 32) throw new Scp03Exception("INITIALIZE UPDATE response has " + r.length + " bytes, expected 29 or 32");
        if (r[11] != PsdProtocol.SCP_ID) throw new Scp03Exception("card does not speak SCP03 (SCP id " + (r[11] & 0xFF) + ")");
        divData = Arrays.copyOfRange(r, 0, 10);
        keyVersion = r[10] & 0xFF;
        cardChallenge = Arrays.copyOfRange(r, 13, 21);
        byte[] cardCryptogram = Arrays.copyOfRange(r, 21, 29);
        byte[] ctx = context();
        sEnc = kdf(kEnc, PsdProtocol.DC_S_ENC, 128, ctx);
        sMac = kdf(kMac, PsdProtocol.DC_S_MAC, 128, ctx);
        sRmac = kdf(kMac, PsdProtocol.DC_S_RMAC, 128, ctx);
        byte[] expected = kdf(StaticKey.of(sMac), PsdProtocol.DC_CARD_CRYPTOGRAM, 64, ctx);
        if (!MessageDigest.isEqual(expected, cardCryptogram)) {
            wipe();
            throw new Scp03Exception("card cryptogram does not verify: the card holds a different key");
        }
    }

    public byte[] context() {
        byte[] ctx = new byte[16];
        System.arraycopy(hostChallenge, 0, ctx, 0, 8);
        System.arraycopy(cardChallenge, 0, ctx, 8, 8);
        return ctx;
    }

    public int keyVersion() { return keyVersion; }

    public byte[] keyDiversificationData() { return divData.clone(); }

    public boolean authenticated() { return authenticated; }

    /** EXTERNAL AUTHENTICATE with the host cryptogram, MACed (starts the C-MAC chain). */
    public CommandAPDU externalAuthenticate(int securityLevel) {
        if (sMac == null) throw new IllegalStateException("INITIALIZE UPDATE first");
        byte[] hostCryptogram = kdf(StaticKey.of(sMac), PsdProtocol.DC_HOST_CRYPTOGRAM, 64, context());
        Arrays.fill(chain, (byte) 0);
        Arrays.fill(counter, (byte) 0);
        level = 0; // EXTERNAL AUTHENTICATE itself carries a C-MAC only
        CommandAPDU c = macOnly(new CommandAPDU(PsdProtocol.CLA_GP & 0xFF, PsdProtocol.INS_EXTERNAL_AUTHENTICATE, securityLevel, 0, hostCryptogram));
        level = securityLevel;
        authenticated = true;
        return c;
    }

    private CommandAPDU macOnly(CommandAPDU plain) {
        byte[] data = plain.getData();
        int cla = plain.getCLA() | 0x04;
        byte[] macInput = concat(chain, new byte[] {(byte) cla, (byte) plain.getINS(), (byte) plain.getP1(), (byte) plain.getP2(), (byte) (data.length + 8)}, data);
        chain = Cmac.aes(sMac, macInput);
        byte[] out = concat(data, Arrays.copyOf(chain, 8));
        return plain.getNe() > 0
                ? new CommandAPDU(cla, plain.getINS(), plain.getP1(), plain.getP2(), out, plain.getNe())
                : new CommandAPDU(cla, plain.getINS(), plain.getP1(), plain.getP2(), out);
    }

    /** Protects a command: C-DECRYPTION of the data (when the level has it) and C-MAC. */
    public CommandAPDU wrap(CommandAPDU plain) {
        if (!authenticated) throw new IllegalStateException("secure channel not open");
        increment(counter);
        byte[] data = plain.getData();
        if ((level & PsdProtocol.SL_C_DEC) != 0 && data.length > 0) {
            data = cbc(Cipher.ENCRYPT_MODE, sEnc, icv((byte) 0x00), pad(data));
            plain = plain.getNe() > 0
                    ? new CommandAPDU(plain.getCLA(), plain.getINS(), plain.getP1(), plain.getP2(), data, plain.getNe())
                    : new CommandAPDU(plain.getCLA(), plain.getINS(), plain.getP1(), plain.getP2(), data);
        }
        return macOnly(plain);
    }

    /** Checks the R-MAC (when the level has it) and decrypts R-ENCRYPTED data; returns the plain data. */
    public byte[] unwrap(ResponseAPDU r) {
        byte[] data = r.getData();
        if ((level & PsdProtocol.SL_R_MAC) == 0 || r.getSW() != 0x9000) return data;
        if (data.length < 8) throw new Scp03Exception("response has no R-MAC");
        byte[] body = Arrays.copyOf(data, data.length - 8);
        byte[] rmac = Arrays.copyOfRange(data, data.length - 8, data.length);
        byte[] expected = Cmac.aes(sRmac, concat(chain, body, new byte[] {(byte) r.getSW1(), (byte) r.getSW2()}));
        if (!Cmac.verify(expected, rmac)) throw new Scp03Exception("R-MAC does not verify");
        if ((level & PsdProtocol.SL_R_ENC) != 0 && body.length > 0) {
            if (body.length % 16 != 0) throw new Scp03Exception("R-ENC data is not block aligned");
            body = unpad(cbc(Cipher.DECRYPT_MODE, sEnc, icv((byte) 0x80), body));
        }
        return body;
    }

    /** Forgets the session keys (after the card closed the channel, or on error). */
    public void wipe() {
        for (byte[] k : new byte[][] {sEnc, sMac, sRmac}) if (k != null) Arrays.fill(k, (byte) 0);
        sEnc = sMac = sRmac = null;
        authenticated = false;
    }

    private byte[] icv(byte first) {
        byte[] b = counter.clone();
        b[0] = first;
        try {
            Cipher c = Cipher.getInstance("AES/ECB/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(sEnc, "AES"));
            return c.doFinal(b);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] cbc(int mode, byte[] key, byte[] iv, byte[] data) {
        try {
            Cipher c = Cipher.getInstance("AES/CBC/NoPadding");
            c.init(mode, new SecretKeySpec(key, "AES"), new IvParameterSpec(iv));
            return c.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] pad(byte[] d) {
        byte[] out = Arrays.copyOf(d, (d.length / 16 + 1) * 16);
        out[d.length] = (byte) 0x80;
        return out;
    }

    static byte[] unpad(byte[] d) {
        int i = d.length - 1;
        while (i >= 0 && d[i] == 0) i--;
        if (i < 0 || d[i] != (byte) 0x80) throw new Scp03Exception("bad padding");
        return Arrays.copyOf(d, i);
    }

    private static void increment(byte[] c) {
        for (int i = c.length - 1; i >= 0; i--) if (++c[i] != 0) break;
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (byte[] p : parts) b.writeBytes(p);
        return b.toByteArray();
    }
}
