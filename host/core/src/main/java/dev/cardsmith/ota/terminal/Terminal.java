package dev.cardsmith.ota.terminal;

import dev.cardsmith.applet.sim.Constants;
import dev.cardsmith.crypto.Cmac;
import dev.cardsmith.crypto.EcP256;
import dev.cardsmith.codec.Imei;
import dev.cardsmith.ota.OtaDates;
import dev.cardsmith.ota.SimCard;
import dev.cardsmith.ota.handset.Handset;
import dev.cardsmith.transport.ApduChannel;

import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.io.ByteArrayOutputStream;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.LocalDate;
import java.util.Arrays;

/**
 * The handset side of the trust protocol (Figs. 1-3, 5): authenticates to the SIM with its
 * initialization key (AES-128 or EC P-256) or its trust key, receives and acknowledges trust
 * keys, polls for SIM-initiated updates, requests DRM content keys and revokes. Keys live in a
 * {@link TerminalKeyStore}; the session keys only in this object.
 */
public final class Terminal {

    private final SimCard sim;
    private final TerminalKeyStore ks;
    private static final java.security.SecureRandom RNG = new java.security.SecureRandom();
    private byte[] challenge;
    private byte[] terminalNonce;
    private byte[] sessionEnc;
    private byte[] sessionMac;
    private boolean selected;

    /**
     * The terminal app on a handset that has just powered on: the handset ({@link Handset}) sends TERMINAL
     * PROFILE and answers the SIM's PROVIDE LOCAL INFORMATION with the enrolled IMEI first (a
     * whole handset in one process, as the CLI is; on a phone the baseband does this at boot).
     */
    public static Terminal onHandset(ApduChannel card, TerminalKeyStore ks) {
        String imei = ks.attr("imei");
        if (imei != null) new Handset(card, imei).powerOn();
        return new Terminal(card, ks);
    }

    public Terminal(ApduChannel card, TerminalKeyStore ks) {
        this.sim = new SimCard(card);
        this.ks = ks;
    }

    public record Challenge(byte[] challenge, int state, int generation, int flags, int keyType) {}

    public record AuthResult(int state, boolean keyDelivered, int generation, LocalDate expiry, int flags) {
        public boolean updatePending() { return (flags & Constants.FLAG_UPDATE_PENDING) != 0; }
    }

    public record Poll(int state, int flags, int generation, LocalDate expiry, LocalDate cardDate, int eventSeq) {
        public boolean updatePending() { return (flags & Constants.FLAG_UPDATE_PENDING) != 0; }
    }

    public record ContentKey(int contentId, int playsLeft, byte[] key) {}

    // ------------------------------------------------------------------ enrolment (factory / network provisioning)

    /** Sets the terminal characteristics and a fresh symmetric initialization key; returns the key for the network. */
    public static byte[] enrolSymmetric(TerminalKeyStore ks, String imei, int maxOutput) {
        Imei.mobileIdentity(imei);
        byte[] k = new byte[16];
        new java.security.SecureRandom().nextBytes(k);
        reset(ks, imei, maxOutput, "AES");
        ks.secret("init", k);
        ks.save();
        return k;
    }

    /** Generates the terminal's EC P-256 key pair; returns the uncompressed public point for the network. */
    public static byte[] enrolEc(TerminalKeyStore ks, String imei, int maxOutput) {
        Imei.mobileIdentity(imei);
        KeyPair kp = EcP256.generate();
        reset(ks, imei, maxOutput, "EC");
        ks.secret("init-ec", kp.getPrivate().getEncoded());
        ks.attr("ecPublic", dev.cardsmith.crypto.Hex.of(EcP256.encode(kp.getPublic())));
        ks.save();
        return EcP256.encode(kp.getPublic());
    }

    /**
     * Pins the operator CA (its P-256 public point, from the network with the terminal's
     * provisioning): in the EC variant the terminal accepts a trust key only from a SIM whose key
     * this CA certified and which signs the session with it.
     */
    public static void pinOperatorCa(TerminalKeyStore ks, byte[] caPoint) {
        EcP256.checkPoint(caPoint);
        ks.attr("operatorCa", dev.cardsmith.crypto.Hex.of(caPoint));
        ks.save();
    }

    private static void reset(TerminalKeyStore ks, String imei, int maxOutput, String type) {
        for (String k : new java.util.ArrayList<>(ksSecretNames(ks))) ks.secret(k, null);
        ks.attr("imei", imei);
        ks.attr("maxOutput", maxOutput);
        ks.attr("keyType", type);
        ks.attr("activeGen", null);
        ks.attr("pendingGen", null);
        ks.attr("ecPublic", null);
    }

    private static java.util.List<String> ksSecretNames(TerminalKeyStore ks) {
        java.util.List<String> l = new java.util.ArrayList<>(java.util.List.of("init", "init-ec"));
        for (int g = 0; g < 256; g++) { l.add("enc-" + g); l.add("mac-" + g); }
        return l;
    }

    // ------------------------------------------------------------------ protocol

    private byte[] selectAnswer;

    private void select() {
        if (!selected) {
            selectAnswer = sim.select();
            selected = true;
        }
    }

    /** The SIM's challenge: from the SELECT answer when it is fresh, else by GET CHALLENGE. */
    public Challenge challenge() {
        select();
        byte[] r = selectAnswer;
        selectAnswer = null;
        if (r == null || r.length != 20) {
            r = sim.getChallenge();
        }
        if (r.length != 20) throw new TerminalException("GET CHALLENGE answer has " + r.length + " bytes", true);
        challenge = Arrays.copyOf(r, 16);
        sessionEnc = null;
        sessionMac = null;
        // unauthenticated bytes: nothing is adopted from them (a pending key is promoted only on the
        // SIM's proof with that key, in authenticate() or ack())
        return new Challenge(challenge.clone(), r[16] & 0xFF, r[17] & 0xFF, r[18] & 0xFF, r[19] & 0xFF);
    }

    /** GET CHALLENGE + AUTHENTICATE (P1 01 asks for a new trust key: terminal-initiated update). */
    public AuthResult authenticate(boolean update, LocalDate today) {
        Challenge c = challenge();
        if (c.state() == Constants.STATE_REVOKED) throw new TerminalException("the SIM has revoked this terminal's trust key; re-initialization by the network is needed", false);
        if (c.state() == Constants.STATE_EMPTY) throw new TerminalException("the SIM holds no trust relationship yet (ota init-trust)", false);
        boolean init = c.state() == Constants.STATE_INITIALIZED;
        boolean asym = init && c.keyType() == Constants.KEY_TYPE_EC_P256;
        String imei = require(ks.attr("imei"), "terminal has no IMEI (terminal enrol)");
        int maxOut = ks.intAttr("maxOutput", 0);
        ByteArrayOutputStream fixed = new ByteArrayOutputStream();
        int day = OtaDates.toDay(today);
        fixed.write(day >> 8);
        fixed.write(day);
        fixed.writeBytes(Imei.mobileIdentity(imei));
        fixed.write(maxOut);
        terminalNonce = new byte[Constants.TERMINAL_NONCE_LEN];
        RNG.nextBytes(terminalNonce);
        fixed.writeBytes(terminalNonce); // fresh for this terminal: a recorded SIM session cannot be replayed to it
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        data.writeBytes(fixed.toByteArray());
        KeyPair eph = null;
        byte[] kEnc;
        java.security.PublicKey simKey = asym ? certifiedSimKey() : null;
        if (asym) {
            eph = EcP256.generate();
            byte[] eT = EcP256.encode(eph.getPublic());
            byte[] msg = cat(challenge, fixed.toByteArray(), eT);
            data.writeBytes(eT);
            data.writeBytes(ecdsa(msg));
            kEnc = null;
        } else {
            byte[] kMac;
            if (init) {
                kMac = require(ks.secret("init"), "terminal has no symmetric initialization key");
                kEnc = kMac;
            } else {
                kMac = require(ks.secret("mac-" + c.generation()), "terminal holds no trust key of generation " + c.generation());
                kEnc = ks.secret("enc-" + c.generation());
            }
            data.writeBytes(Cmac.aes(kMac, cat(new byte[] {Constants.LABEL_TERMINAL_PROOF}, challenge, fixed.toByteArray())));
        }
        byte[] r = sim.authenticate(update, data.toByteArray());
        int flags = r[0] & 0xFF;
        int gen = r[1] & 0xFF;
        LocalDate expiry = OtaDates.ofDay(((r[2] & 0xFF) << 8) | (r[3] & 0xFF));
        int off = 4;
        if (asym) {
            if (r.length < off + 65 + 32 + 8 + 8) throw new TerminalException("AUTHENTICATE answer has " + r.length + " bytes", true);
            byte[] eCard = Arrays.copyOfRange(r, off, off + 65);
            // the SIM's signature over the challenge and the ECDH transcript, under its certified key:
            // a card without the operator's certificate cannot hand this terminal a trust key
            byte[] transcript = cat(new byte[] {Constants.LABEL_SIM_SIGNATURE}, challenge, Arrays.copyOfRange(data.toByteArray(), 0,
                    fixed.size() + 65), eCard);
            if (!EcP256.verifyDer(simKey, transcript, Arrays.copyOfRange(r, off + 65 + 32 + 8, r.length))) {
                throw new TerminalException("the SIM's signature over the session does not verify: not a SIM the operator certified", true);
            }
            off += 65;
            byte[] z = ecdh(eph.getPrivate(), eCard);
            byte[] h = sha256(cat(z, challenge));
            sessionEnc = Arrays.copyOf(h, 16);
            sessionMac = Arrays.copyOfRange(h, 16, 32);
        } else {
            deriveSession(kEnc);
        }
        boolean delivered = (flags & Constants.FLAG_KEY_DELIVERED) != 0;
        if (!delivered) {
            // the SIM's proof: CMAC8(S_mac, 'C' || challenge || flags || generation || expiry)
            if (r.length != off + 8 || !Cmac.verify(Cmac.aes(sessionMac, cat(new byte[] {Constants.LABEL_CARD_PROOF}, challenge,
                    Arrays.copyOf(r, off))), Arrays.copyOfRange(r, off, off + 8))) {
                sessionEnc = null;
                sessionMac = null;
                throw new TerminalException("the SIM's proof does not verify: not the SIM this terminal trusts", true);
            }
            // the SIM proved it holds the pending key (its acknowledgement answer was lost): adopt it too
            if (gen == ks.intAttr("pendingGen", -1)) promotePending();
        }
        if (delivered) {
            byte[] ct = Arrays.copyOfRange(r, off, off + 32);
            byte[] proof = Arrays.copyOfRange(r, off + 32, off + 40);
            byte[] expect = Cmac.aes(sessionMac, cat(new byte[] {Constants.LABEL_CARD_PROOF}, challenge, new byte[] {(byte) gen},
                    Arrays.copyOfRange(r, 2, 4), ct));
            if (!Cmac.verify(expect, proof)) throw new TerminalException("the SIM's proof over the delivered key does not verify", true);
            byte[] keys = aesCbc(Cipher.DECRYPT_MODE, sessionEnc, ct);
            ks.secret("enc-" + gen, Arrays.copyOf(keys, 16));
            ks.secret("mac-" + gen, Arrays.copyOfRange(keys, 16, 32));
            Arrays.fill(keys, (byte) 0);
            ks.attr("pendingGen", gen);
            ks.attr("pendingExpiry", expiry);
            ks.attr("pendingNonce", dev.cardsmith.crypto.Hex.of(challenge));
            ks.save();
        }
        return new AuthResult(c.state(), delivered, gen, expiry, flags);
    }

    /**
     * The SIM's identity key, from GET SIM CERTIFICATE, checked against the pinned operator CA
     * (ECDSA over 'O' || point). Refuses when no CA is pinned or the card shows no valid certificate.
     */
    private java.security.PublicKey certifiedSimKey() {
        String ca = require(ks.attr("operatorCa"), "terminal has no operator CA pinned (terminal enrol --operator-ca): it cannot tell a genuine SIM");
        byte[] r;
        try {
            r = sim.simCertificate();
        } catch (dev.cardsmith.transport.CardStatusException e) {
            throw new TerminalException("the SIM shows no operator certificate (SW " + String.format("%04X", e.sw()) + ")", true);
        }
        if (r.length <= 65) throw new TerminalException("GET SIM CERTIFICATE answer has " + r.length + " bytes", true);
        byte[] point = Arrays.copyOf(r, 65);
        java.security.PublicKey key;
        try {
            key = EcP256.decode(point);
        } catch (IllegalArgumentException e) {
            throw new TerminalException("the SIM's key is not a valid P-256 point", true);
        }
        if (!EcP256.verifyDer(EcP256.decode(dev.cardsmith.crypto.Hex.parse(ca)), cat(new byte[] {Constants.LABEL_SIM_CERTIFICATE}, point),
                Arrays.copyOfRange(r, 65, r.length))) {
            throw new TerminalException("the SIM's certificate is not the operator's: not a genuine SIM", true);
        }
        return key;
    }

    /**
     * ACK (Fig. 1 step 27): proves possession of the pending trust key. On success the terminal,
     * like the SIM, switches to the new key. Returns the SIM's secured notification for the OTA server.
     */
    public byte[] ack() {
        int gen = ks.intAttr("pendingGen", -1);
        if (gen < 0) throw new TerminalException("no trust key waits for acknowledgement", false);
        byte[] mac = require(ks.secret("mac-" + gen), "pending trust key missing");
        byte[] nonce = dev.cardsmith.crypto.Hex.parse(ks.attr("pendingNonce"));
        byte[] tag = Arrays.copyOf(Cmac.aes(mac, cat(new byte[] {Constants.LABEL_ACK}, nonce, new byte[] {(byte) gen})), 8);
        select();
        byte[] r = sim.ack(cat(new byte[] {(byte) gen}, tag));
        // notification || CMAC8(new MAC key, 'K' || nonce || generation): the SIM's key confirmation
        if (r.length < 8) throw new TerminalException("ACK answer has " + r.length + " bytes", true);
        byte[] confirm = Arrays.copyOf(Cmac.aes(mac, cat(new byte[] {Constants.LABEL_KEY_CONFIRM}, nonce, new byte[] {(byte) gen})), 8);
        if (!Cmac.verify(confirm, Arrays.copyOfRange(r, r.length - 8, r.length))) {
            throw new TerminalException("the SIM's key confirmation does not verify; the new key stays pending", true);
        }
        promotePending();
        // the SIM continues an authenticated session under the new trust key
        if (sessionEnc != null) deriveSession(ks.secret("enc-" + gen));
        return Arrays.copyOf(r, r.length - 8);
    }

    private void promotePending() {
        int gen = ks.intAttr("pendingGen", -1);
        int old = ks.intAttr("activeGen", -1);
        if (old >= 0 && old != gen) {
            ks.secret("enc-" + old, null);
            ks.secret("mac-" + old, null);
        }
        ks.secret("init", null);
        ks.attr("activeGen", gen);
        ks.attr("activeExpiry", ks.attr("pendingExpiry"));
        ks.attr("pendingGen", null);
        ks.attr("pendingExpiry", null);
        ks.attr("pendingNonce", null);
        ks.save();
    }

    /** Pull mechanism: what the SIM wants (pending update, revocation). */
    public Poll poll() {
        select();
        byte[] r = sim.poll();
        return new Poll(r[0] & 0xFF, r[1] & 0xFF, r[2] & 0xFF, OtaDates.ofDay(s(r, 3)), OtaDates.ofDay(s(r, 5)), s(r, 7));
    }

    /** DRM content key (Fig. 5, secured): needs an authenticated session; decrypted here only. */
    public ContentKey contentKey(int contentId) {
        if (sessionEnc == null) throw new TerminalException("authenticate first", false);
        byte[] r = sim.contentKey(contentId);
        if (r.length != 40) throw new TerminalException("content key answer has " + r.length + " bytes", true);
        byte[] ct = Arrays.copyOf(r, 32);
        if (!Cmac.verify(Cmac.aes(sessionMac, ct), Arrays.copyOfRange(r, 32, 40))) throw new TerminalException("content key MAC does not verify", true);
        byte[] p = aesCbc(Cipher.DECRYPT_MODE, sessionEnc, ct);
        if (s(p, 0) != (contentId & 0xFFFF)) throw new TerminalException("content key for another content id", true);
        ContentKey k = new ContentKey(contentId, s(p, 2), Arrays.copyOfRange(p, 16, 32));
        Arrays.fill(p, (byte) 0);
        return k;
    }

    /** Revocation on the terminal's initiative (needs an authenticated session); returns the SIM's notification. */
    public byte[] revoke() {
        if (sessionEnc == null) throw new TerminalException("authenticate first", false);
        byte[] r = sim.revoke();
        for (String k : ksSecretNames(ks)) if (!k.equals("init-ec")) ks.secret(k, null);
        ks.attr("activeGen", null);
        ks.attr("pendingGen", null);
        ks.save();
        sessionEnc = null;
        sessionMac = null;
        return r;
    }

    public boolean authenticated() { return sessionEnc != null; }

    // ------------------------------------------------------------------ crypto helpers

    private void deriveSession(byte[] kEnc) {
        sessionEnc = Cmac.aes(kEnc, cat(new byte[] {Constants.LABEL_SESSION_KEY, 1}, challenge, terminalNonce));
        sessionMac = Cmac.aes(kEnc, cat(new byte[] {Constants.LABEL_SESSION_KEY, 2}, challenge, terminalNonce));
    }

    private byte[] ecdsa(byte[] msg) {
        try {
            PrivateKey d = KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(require(ks.secret("init-ec"), "terminal has no EC key")));
            Signature s = Signature.getInstance("SHA256withECDSA");
            s.initSign(d);
            s.update(msg);
            return s.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("ECDSA unavailable: " + e.getMessage(), e);
        }
    }

    /** ECDH with the SIM's ephemeral point, checked on P-256 first (an invalid-curve point is refused). */
    private static byte[] ecdh(PrivateKey d, byte[] point) {
        try {
            return EcP256.agree(d, point);
        } catch (IllegalArgumentException e) {
            throw new TerminalException("the SIM's ephemeral key is not a valid P-256 point", true);
        }
    }

    private static byte[] sha256(byte[] d) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(d);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] aesCbc(int mode, byte[] key, byte[] data) {
        try {
            Cipher c = Cipher.getInstance("AES/CBC/NoPadding");
            c.init(mode, new SecretKeySpec(key, "AES"), new IvParameterSpec(new byte[16]));
            return c.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] cat(byte[]... parts) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        for (byte[] p : parts) o.writeBytes(p);
        return o.toByteArray();
    }

    private static int s(byte[] d, int o) { return ((d[o] & 0xFF) << 8) | (d[o + 1] & 0xFF); }

    private static <T> T require(T v, String msg) {
        if (v == null) throw new TerminalException(msg, false);
        return v;
    }
}
