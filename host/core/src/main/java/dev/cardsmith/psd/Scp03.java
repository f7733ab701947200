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
    /** Key version the card must answer with: P1 of INITIALIZE UPDATE, or {@link #expectKeyVersion}; -1 = any. */
    private int expectedKvn = -1;
    /** The card's "i" parameter (Amendment D key information: kvn || 03 || i). */
    private int scpParameter;
    private byte[] divData;
    private boolean authenticated;

    public Scp03(StaticKey kEnc, StaticKey kMac) {
        this.kEnc = kEnc;
        this.kMac = kMac;
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
        if (kvn < 0 || kvn > 0x7F) throw new IllegalArgumentException("key version must be 00..7F");
        this.hostChallenge = hostChallenge.clone();
        if (kvn != 0) expectedKvn = kvn;
        return new CommandAPDU(PsdProtocol.CLA_GP & 0xFF, PsdProtocol.INS_INITIALIZE_UPDATE, kvn, 0, hostChallenge, 256);
    }

    public CommandAPDU initializeUpdate(int kvn) {
        byte[] hc = new byte[8];
        new SecureRandom().nextBytes(hc);
        return initializeUpdate(kvn, hc);
    }

    /**
     * With INITIALIZE UPDATE P1 = 00 ("the card's default key set") the card may answer with
     * any key version: name the one the host's keys belong to, so a card answering with another
     * version (e.g. still the old MK) is refused before any cryptogram is computed.
     */
    public Scp03 expectKeyVersion(int kvn) {
        if (kvn < 1 || kvn > 0x7F) throw new IllegalArgumentException("key version must be 01..7F");
        expectedKvn = kvn;
        return this;
    }

    /** i bits this host implements: b5 pseudo-random card challenge, b6 R-MAC, b7 R-ENCRYPTION (S8 mode only). */
    static final int I_PSEUDO_RANDOM = 0x10;
    static final int I_R_MAC = 0x20;
    static final int I_R_ENC = 0x40;
    private static final int I_SUPPORTED = I_PSEUDO_RANDOM | I_R_MAC | I_R_ENC;

    /**
     * Checks the key information of an INITIALIZE UPDATE response (Amendment D 7.1.2: key
     * diversification data (10) || kvn || SCP id 03 || i || card challenge (8) || card
     * cryptogram (8) [|| sequence counter (3) when i b5 = pseudo-random challenge]) against what
     * the host asked for. Pure; throws {@link Scp03Exception} with the reason.
     */
    static void checkKeyInformation(byte[] r, int expectedKvn) {
        if (r.length != 29 && r.length != 32) throw new Scp03Exception("INITIALIZE UPDATE response has " + r.length + " bytes, expected 29 or 32");
        int kvn = r[10] & 0xFF;
        int scpId = r[11] & 0xFF;
        int i = r[12] & 0xFF;
        if (scpId != PsdProtocol.SCP_ID) throw new Scp03Exception(String.format("card does not speak SCP03 (SCP identifier %02X in the key information)", scpId));
        if ((i & ~I_SUPPORTED) != 0) throw new Scp03Exception(String.format("unsupported SCP03 parameter i=%02X (only S8 mode with the options 10/20/40 is implemented)", i));
        if ((i & I_R_ENC) != 0 && (i & I_R_MAC) == 0) throw new Scp03Exception(String.format("invalid SCP03 parameter i=%02X: R-ENCRYPTION without R-MAC", i));
        int expectedLen = (i & I_PSEUDO_RANDOM) != 0 ? 32 : 29;
        if (r.length != expectedLen) throw new Scp03Exception(String.format("INITIALIZE UPDATE response has %d bytes, but i=%02X means %d", r.length, i, expectedLen));
        if (expectedKvn >= 0 && kvn != expectedKvn) {
            throw new Scp03Exception(String.format("card answered INITIALIZE UPDATE with key version %02X, expected %02X: it holds another key set (e.g. an older MK)", kvn, expectedKvn));
        }
    }

    /** Checks the key information, derives the session keys and verifies the card cryptogram. */
    public void onInitializeUpdateResponse(byte[] r) {
        if (hostChallenge == null) throw new IllegalStateException("INITIALIZE UPDATE first");
        try {
            checkKeyInformation(r, expectedKvn);
        } catch (Scp03Exception e) {
            wipe();
            throw e;
        }
        divData = Arrays.copyOfRange(r, 0, 10);
        keyVersion = r[10] & 0xFF;
        scpParameter = r[12] & 0xFF;
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

    /** The card's SCP03 "i" parameter from the last INITIALIZE UPDATE response. */
    public int scpParameter() { return scpParameter; }

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
        if ((securityLevel & PsdProtocol.SL_R_MAC) != 0 && (scpParameter & I_R_MAC) == 0) {
            throw new Scp03Exception(String.format("security level %02X asks for R-MAC, which the card does not support (i=%02X)", securityLevel, scpParameter));
        }
        if ((securityLevel & PsdProtocol.SL_R_ENC) != 0 && (scpParameter & I_R_ENC) == 0) {
            throw new Scp03Exception(String.format("security level %02X asks for R-ENCRYPTION, which the card does not support (i=%02X)", securityLevel, scpParameter));
        }
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

    /**
     * Whether a status word is one GP Amendment D 6.2.5 calls non-error (9000, 62xx, 63xx): in an
     * R-MAC session those responses carry an R-MAC, error responses carry neither data nor MAC.
     */
    public static boolean nonError(int sw) {
        return sw == 0x9000 || (sw >>> 8) == 0x62 || (sw >>> 8) == 0x63;
    }

    /**
     * Checks the R-MAC (when the level has it; on every non-error status word, {@link #nonError})
     * and decrypts R-ENCRYPTED data; returns the plain data.
     */
    public byte[] unwrap(ResponseAPDU r) {
        byte[] data = r.getData();
        if ((level & PsdProtocol.SL_R_MAC) == 0 || !nonError(r.getSW())) return data;
        if (data.length < 8) throw new Scp03Exception(String.format("response %04X has no R-MAC in an R-MAC session", r.getSW()));
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
