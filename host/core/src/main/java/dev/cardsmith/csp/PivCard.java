package dev.cardsmith.csp;

import dev.cardsmith.applet.piv.Constants;
import dev.cardsmith.applet.platform.Sw;
import dev.cardsmith.codec.Tlv;
import dev.cardsmith.transport.ApduChannel;
import dev.cardsmith.transport.CardSession;
import dev.cardsmith.transport.CardStatusException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.smartcardio.CommandAPDU;
import javax.smartcardio.ResponseAPDU;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BiFunction;

/**
 * The card's PIV application (NIST SP 800-73-4 card edge) over one {@link ApduChannel},
 * normally the reader's {@link CardSession}: the claim 19/47 "module" that turns requests the
 * computer cannot serve into commands to the device. One method per operation; every APDU goes
 * through the channel's single transmit path (chaining, GET RESPONSE). Thread-safe: one
 * operation at a time.
 *
 * <p>Sessions: on a PC/SC reader every multi-command operation holds a PC/SC transaction, and
 * {@link #login} holds one until {@link #logout}, which first releases the PIN status (VERIFY
 * P1=FF). The host never keeps the PIN or the management key: when the card forgets a
 * verification (reset, another client) its commands answer 6982 and the caller logs in again.
 */
public final class PivCard {

    private static final Logger log = LoggerFactory.getLogger(PivCard.class);

    /** What a card answers after a reset, before any applet is selected. */
    private static final int NO_APPLET_SELECTED = 0x6986;
    private static final int NOT_FOUND = Sw.FILE_NOT_FOUND & 0xFFFF;
    private static final int NO_DATA = Sw.REFERENCED_DATA_NOT_FOUND & 0xFFFF;

    private static final java.security.SecureRandom HOST_RANDOM = new java.security.SecureRandom();

    private final ApduChannel session;
    private CardInfo info;
    /** The PC/SC transaction held from {@link #login} to {@link #logout}; null when not logged in. */
    private CardHold loginHold;
    /** Whether this object verified the PIN and has not seen the card forget it since. */
    private boolean verified;

    public PivCard(ApduChannel channel) {
        this.session = channel;
    }

    public ApduChannel channel() { return session; }

    /** The reader session underneath, for APDU counts; only when this card was opened on one. */
    public CardSession session() { return CardSession.of(session); }

    /** SELECT the PIV application; returns what its application property template reports. */
    public synchronized CardInfo select() {
        try (CardHold h = hold()) {
            info = parseAppInfo(session.select(PivApdus.aid()));
            return info;
        }
    }

    public synchronized CardInfo info() {
        if (info == null) select();
        return info;
    }

    // ---- PIN -------------------------------------------------------------------------------------

    /**
     * VERIFY, and the start of a login session: on a PC/SC reader the session holds a PC/SC
     * transaction until {@link #logout()}, so no other program's command reaches the card while
     * the PIN is verified. The PIN is not kept.
     */
    public synchronized void login(char[] pin) {
        CardHold h = loginHold == null ? hold() : null;
        byte[] p = null;
        try {
            info();
            p = bytes(pin);
            transmitOk("VERIFY", PivApdus.verify(p));
        } catch (RuntimeException e) {
            if (h != null) h.close();
            throw e;
        } finally {
            if (p != null) Arrays.fill(p, (byte) 0);
        }
        if (h != null) loginHold = h;
        verified = true;
    }

    /** Whether this object's login is still in force, as far as the host has seen. */
    public synchronized boolean loggedIn() {
        return verified;
    }

    /** Ends the login session: releases the PIN and administrator status (VERIFY P1=FF), then the PC/SC transaction. */
    public synchronized void logout() {
        try (CardHold h = hold()) {
            info();
            session.transmit(PivApdus.releasePin());
        } finally {
            verified = false;
            if (loginHold != null) loginHold.close();
            loginHold = null;
        }
    }

    /** Tries left for the user PIN: -1 when verified in this session, 0 when blocked. */
    public synchronized int pinTriesLeft() {
        try (CardHold h = hold()) {
            info();
            int sw = session.transmit(PivApdus.pinStatus()).getSW();
            if (sw == 0x9000) return -1;
            if ((sw & 0xFFF0) == (Sw.VERIFY_FAILED_TRIES & 0xFFFF)) return sw & 0x0F;
            if (sw == (Sw.AUTH_METHOD_BLOCKED & 0xFFFF)) return 0;
            throw new CardStatusException("PIN STATUS", sw);
        }
    }

    /** Whether the PIN is still the well-known default (the card signs nothing until it is changed). */
    public synchronized boolean pinIsDefault() {
        return PivApdus.pinMetadata(plain("GET METADATA", PivApdus.metadata(Constants.KEY_PIN))).isDefault();
    }

    public synchronized void changePin(char[] oldPin, char[] newPin) {
        referenceData("CHANGE REFERENCE DATA", oldPin, newPin, PivApdus::changePin);
        verified = false;
    }

    public synchronized void changePuk(char[] oldPuk, char[] newPuk) {
        referenceData("CHANGE REFERENCE DATA (PUK)", oldPuk, newPuk, PivApdus::changePuk);
    }

    public synchronized void unblockPin(char[] puk, char[] newPin) {
        referenceData("RESET RETRY COUNTER", puk, newPin, PivApdus::unblockPin);
    }

    /** CHANGE REFERENCE DATA / RESET RETRY COUNTER: two secrets, wiped after the one APDU. */
    private void referenceData(String op, char[] first, char[] second, BiFunction<byte[], byte[], CommandAPDU> apdu) {
        byte[] a = null, b = null;
        try (CardHold h = hold()) {
            info();
            a = bytes(first);
            b = bytes(second);
            transmitOk(op, apdu.apply(a, b));
        } finally {
            if (a != null) Arrays.fill(a, (byte) 0);
            if (b != null) Arrays.fill(b, (byte) 0);
        }
    }

    // ---- Card management key (9B) ----------------------------------------------------------------

    /**
     * Proves the card management key (mutual authentication, SP 800-73-4 Part 2 Appendix A.1):
     * the card then accepts GENERATE and PUT DATA until the login ends. The key is not kept.
     */
    public synchronized void authenticateManagement(byte[] key) {
        try (CardHold h = hold()) {
            info();
            int alg = PivApdus.managementMetadata(plain("GET METADATA", PivApdus.metadata(Constants.KEY_MANAGEMENT_ADMIN))).algorithm();
            byte[] encryptedWitness = PivApdus.witness(transmitOk("GENERAL AUTHENTICATE (witness)", PivApdus.managementWitness(alg)).getData());
            ManagementCipher cipher = ManagementCipher.of(alg, key);
            byte[] challenge = new byte[encryptedWitness.length];
            HOST_RANDOM.nextBytes(challenge);
            byte[] answer = PivApdus.authResponse(transmitOk("GENERAL AUTHENTICATE (management key)",
                    PivApdus.managementResponse(alg, cipher.decrypt(encryptedWitness), challenge)).getData());
            if (!java.security.MessageDigest.isEqual(cipher.encrypt(challenge), answer)) {
                throw new CspException("the card did not prove the management key: not the card it claims to be");
            }
        }
    }

    /**
     * SET MANAGEMENT KEY (needs {@link #authenticateManagement} first): replaces the card
     * management key with {@code key} of the PIV algorithm {@code alg} (03 3DES, 08/0A/0C AES).
     * The key is not kept (the caller wipes its array).
     */
    public synchronized void setManagementKey(int alg, byte[] key) {
        ManagementCipher.of(alg, key); // checks the length for the algorithm before the card sees it
        CommandAPDU cmd = PivApdus.setManagementKey(alg, key);
        try (CardHold h = hold()) {
            privileged("SET MANAGEMENT KEY", cmd);
        }
    }

    /** Whether the card management key is still the well-known default (GET METADATA 9B, no authentication). */
    public synchronized boolean managementKeyIsDefault() {
        return PivApdus.managementMetadata(plain("GET METADATA", PivApdus.metadata(Constants.KEY_MANAGEMENT_ADMIN))).isDefault();
    }

    // ---- Slots -----------------------------------------------------------------------------------

    /** The four slots with their algorithm (GET METADATA) and certificate size (GET DATA). */
    public synchronized List<SlotInfo> slots() {
        try (CardHold h = hold()) {
            List<SlotInfo> out = new ArrayList<>();
            for (PivSlot s : PivSlot.values()) {
                PivApdus.SlotMetadata m = metadata(s);
                byte[] cert = m == null ? null : certificateBytes(s);
                out.add(new SlotInfo(s.index(), m == null ? KeyAlgorithm.NONE : m.algorithm(), s.alias(), cert == null ? 0 : cert.length));
            }
            return out;
        }
    }

    /** A slot by alias ("9a") or number, or null when it holds no key. */
    public synchronized SlotInfo slot(String aliasOrSlot) {
        PivSlot s = PivSlot.parse(aliasOrSlot);
        if (s == null) return null;
        for (SlotInfo i : slots()) if (i.slot() == s.index()) return i;
        return null;
    }

    /** The first empty slot in the order 9A, 9C, 9E, 9D (9D decrypts only), or -1. */
    public synchronized int freeSlot() {
        try (CardHold h = hold()) {
            for (PivSlot s : new PivSlot[] {PivSlot.AUTHENTICATION, PivSlot.SIGNATURE, PivSlot.CARD_AUTHENTICATION, PivSlot.KEY_MANAGEMENT}) {
                if (metadata(s) == null) return s.index();
            }
            return -1;
        }
    }

    /**
     * Generates a key pair in the slot (management key authenticated first); returns its public
     * key. The slot's old certificate named the old key, so it is removed.
     */
    public synchronized PublicKey generate(int slot, KeyAlgorithm alg, String label) {
        if (alg == KeyAlgorithm.NONE) throw new IllegalArgumentException("choose ec or rsa");
        PivSlot s = PivSlot.of(slot);
        if (label != null && !label.isEmpty() && !label.equalsIgnoreCase(s.alias())) {
            throw new IllegalArgumentException("PIV slots are named by their key reference: slot " + slot + " is '" + s.alias() + "', not '" + label + "'");
        }
        log.info("generating {} key pair in slot {}", alg, s.alias());
        try (CardHold h = hold()) {
            PublicKey pub = PivApdus.publicKey(privileged("GENERATE ASYMMETRIC KEY PAIR", PivApdus.generate(s, alg)));
            if (certificateBytes(s) != null) privileged("PUT DATA", PivApdus.putData(s.certificateObject(), new byte[0]));
            return pub;
        }
    }

    public synchronized PublicKey publicKey(int slot) {
        PivApdus.SlotMetadata m = metadata(PivSlot.of(slot));
        if (m == null) throw new CardStatusException("GET METADATA", NO_DATA);
        return m.publicKey();
    }

    /** PIV has no command that deletes a key: this empties the slot's certificate object; the key stays until overwritten. */
    public synchronized void delete(int slot) {
        privileged("PUT DATA", PivApdus.putData(PivSlot.of(slot).certificateObject(), new byte[0]));
    }

    public synchronized void putCertificate(int slot, byte[] der) {
        privileged("PUT DATA", PivApdus.putData(PivSlot.of(slot).certificateObject(), PivApdus.certificateObject(der)));
    }

    /** The slot's certificate, or null when it has none. */
    public synchronized X509Certificate certificate(int slot) {
        byte[] der = certificateBytes(PivSlot.of(slot));
        if (der == null) return null;
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
        } catch (CertificateException e) {
            throw new CspException("slot " + PivSlot.of(slot).alias() + " holds no valid X.509 certificate: " + e.getMessage(), e);
        }
    }

    /** GET DATA of a data object; null when the card has none (6A82). */
    public synchronized byte[] getData(byte[] objectId) {
        try (CardHold h = hold()) {
            ResponseAPDU r = transmitSelected(PivApdus.getData(objectId));
            if (r.getSW() == NOT_FOUND || r.getSW() == NO_DATA) return null;
            if (r.getSW() != 0x9000) throw new CardStatusException("GET DATA", r.getSW());
            return r.getData();
        }
    }

    private byte[] certificateBytes(PivSlot s) {
        byte[] obj = getData(s.certificateObject());
        return obj == null ? null : PivApdus.certificate(obj);
    }

    private PivApdus.SlotMetadata metadata(PivSlot s) {
        try (CardHold h = hold()) {
            ResponseAPDU r = transmitSelected(PivApdus.metadata(s.reference()));
            if (r.getSW() == NO_DATA) return null;
            if (r.getSW() != 0x9000) throw new CardStatusException("GET METADATA", r.getSW());
            return PivApdus.slotMetadata(r.getData());
        }
    }

    // ---- Private-key operations: GENERAL AUTHENTICATE, one logical command each ------------------

    /** ECDSA over a host-computed hash fitted to the curve: 32 bytes for a P-256 key, 48 for P-384. */
    public synchronized byte[] signEcdsa(int slot, byte[] hash) {
        KeyAlgorithm curve = hash.length == 32 ? KeyAlgorithm.EC_P256 : hash.length == 48 ? KeyAlgorithm.EC_P384 : null;
        if (curve == null) throw new IllegalArgumentException("ECDSA input must be 32 (P-256) or 48 (P-384) bytes");
        return general("SIGN", PivSlot.of(slot), curve, Constants.TAG_CHALLENGE, hash);
    }

    /** RSASSA-PKCS1-v1_5: the host pads the DigestInfo (EMSA-PKCS1-v1_5), the card applies the private key. */
    public synchronized byte[] signRsaPkcs1(int slot, byte[] digestInfo) {
        return general("SIGN", PivSlot.of(slot), KeyAlgorithm.RSA_2048, Constants.TAG_CHALLENGE, HostCrypto.pkcs1SignatureBlock(digestInfo, 256));
    }

    /** RSAES-PKCS1-v1_5 decryption: the card applies the private key, the host removes the padding. */
    public synchronized byte[] decryptRsaPkcs1(int slot, byte[] ciphertext) throws javax.crypto.BadPaddingException {
        if (ciphertext.length != 256) throw new IllegalArgumentException("RSA-2048 ciphertext must be 256 bytes");
        byte[] block = general("DECRYPT", PivSlot.of(slot), KeyAlgorithm.RSA_2048, Constants.TAG_CHALLENGE, ciphertext);
        try {
            return HostCrypto.pkcs1DecryptionUnpad(block);
        } finally {
            Arrays.fill(block, (byte) 0);
        }
    }

    /** ECDH: the X coordinate of the shared point. */
    public synchronized byte[] ecdh(int slot, byte[] peerPoint) {
        if (peerPoint.length != 65 || peerPoint[0] != 0x04) throw new IllegalArgumentException("peer key must be an uncompressed P-256 point (65 bytes, 04||X||Y)");
        return general("ECDH", PivSlot.of(slot), KeyAlgorithm.EC_P256, Constants.TAG_EXPONENTIATION, peerPoint);
    }

    /** Random bytes from the card's generator (management-key challenges, which need no authentication). */
    public synchronized byte[] random(int n) {
        try (CardHold h = hold()) {
            int alg = PivApdus.managementMetadata(plain("GET METADATA", PivApdus.metadata(Constants.KEY_MANAGEMENT_ADMIN))).algorithm();
            byte[] out = new byte[n];
            int off = 0;
            while (off < n) {
                byte[] r = PivApdus.challenge(transmitOk("GENERAL AUTHENTICATE (challenge)", PivApdus.managementChallenge(alg)).getData());
                if (r.length == 0) throw new CspException("card returned no random bytes");
                int k = Math.min(r.length, n - off);
                System.arraycopy(r, 0, out, off, k);
                off += k;
            }
            return out;
        }
    }

    private byte[] general(String op, PivSlot slot, KeyAlgorithm alg, byte tag, byte[] input) {
        return PivApdus.authResponse(privileged(op, PivApdus.authenticate(slot, alg, tag & 0xFF, input)));
    }

    // ---- transmit ----------------------------------------------------------------------------------

    /**
     * Sends a command that needs the verified PIN or the management key. After a reset (6986:
     * nothing selected) the application is selected and the command sent once more, which the
     * card refuses with 6982 unless the caller logged in again: the host holds nothing to replay.
     */
    private byte[] privileged(String op, CommandAPDU cmd) {
        try (CardHold h = hold()) {
            ResponseAPDU r = transmitSelected(cmd);
            if (r.getSW() == (Sw.SECURITY_STATUS_NOT_SATISFIED & 0xFFFF)) verified = false;
            if (r.getSW() != 0x9000) throw new CardStatusException(op, r.getSW());
            return r.getData();
        }
    }

    private byte[] plain(String op, CommandAPDU cmd) {
        try (CardHold h = hold()) {
            ResponseAPDU r = transmitSelected(cmd);
            if (r.getSW() != 0x9000) throw new CardStatusException(op, r.getSW());
            return r.getData();
        }
    }

    /** Sends once; when the card was reset (nothing selected), selects and sends again. */
    private ResponseAPDU transmitSelected(CommandAPDU cmd) {
        info();
        ResponseAPDU r = session.transmit(cmd);
        if (r.getSW() == NO_APPLET_SELECTED) {
            verified = false;
            select();
            r = session.transmit(cmd);
        }
        return r;
    }

    private ResponseAPDU transmitOk(String op, CommandAPDU cmd) {
        return session.transmitOk(op, cmd);
    }

    private CardHold hold() {
        return CardHold.on(session);
    }

    /** The application property template: {@code 61 { 4F PIX, 79 {4F RID}, 50 label, AC { 80 alg ... } }}. */
    static CardInfo parseAppInfo(byte[] data) {
        List<Tlv.Element> top = Tlv.parseAll(data, 0, data.length, CspException::new);
        if (top.isEmpty() || top.get(0).tag() != (Constants.TAG_APT & 0xFF)) throw new CspException("not a PIV application property template");
        boolean rsa = false;
        for (Tlv.Element e : Tlv.parseAll(top.get(0).value(), 0, top.get(0).value().length, CspException::new)) {
            if (e.tag() != (Constants.TAG_ALGORITHMS & 0xFF)) continue;
            for (Tlv.Element a : Tlv.parseAll(e.value(), 0, e.value().length, CspException::new)) {
                if (a.tag() == (Constants.TAG_ALG_ID & 0xFF) && a.value().length == 1 && a.value()[0] == Constants.ALG_RSA_2048) rsa = true;
            }
        }
        return new CardInfo(1, PivSlot.values().length, rsa, 2048);
    }

    private static byte[] bytes(char[] c) {
        byte[] b = new byte[c.length];
        for (int i = 0; i < c.length; i++) {
            if (c[i] > 0x7E || c[i] < 0x20) throw new IllegalArgumentException("PIN/PUK characters must be printable ASCII");
            b[i] = (byte) c[i];
        }
        return b;
    }

    static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
