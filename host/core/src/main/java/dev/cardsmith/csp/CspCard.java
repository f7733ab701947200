package dev.cardsmith.csp;

import dev.cardsmith.transport.ApduChannel;
import dev.cardsmith.transport.CardSession;
import dev.cardsmith.transport.CardStatusException;
import dev.cardsmith.applet.platform.Sw;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.smartcardio.CommandAPDU;
import javax.smartcardio.ResponseAPDU;
import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.io.ByteArrayInputStream;
import java.util.Arrays;
import java.util.List;
import java.util.function.BiFunction;

/**
 * The CSP applet (the claim 19/47 "module": it turns requests the computer cannot serve into
 * commands to the device) over one {@link ApduChannel}, normally the reader's {@link CardSession}.
 * One method per command; every APDU goes through the channel's single transmit path, so
 * chaining and GET RESPONSE work over every transport. Thread-safe: one command at a time.
 * One small class per system wrapping a channel, like VaultCard, ModuleCard and PsdCard.
 */
public final class CspCard {

    private static final Logger log = LoggerFactory.getLogger(CspCard.class);

    /** What a card answers after a reset, before any applet is selected (command not allowed). */
    private static final int NO_APPLET_SELECTED = 0x6986;

    private final ApduChannel session;
    private CardInfo info;
    /** The PC/SC transaction held from {@link #login} to {@link #logout}; null when not logged in. */
    private CardHold loginHold;
    /** Whether this object verified the PIN and has not seen the card forget it since. */
    private boolean verified;

    public CspCard(ApduChannel channel) {
        this.session = channel;
    }

    public ApduChannel channel() { return session; }

    /** The reader session underneath, for APDU counts; only when this card was opened on one. */
    public CardSession session() { return CardSession.of(session); }

    /** SELECT the applet; returns what it reports. */
    public synchronized CardInfo select() {
        try (CardHold h = hold()) {
            info = CspApdus.parseAppInfo(session.select(CspApdus.AID));
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
     * the PIN is verified. The PIN is not kept: when the card forgets the verification (reset,
     * another client's SELECT) private-key commands answer 6982 and the caller logs in again.
     */
    public synchronized void login(char[] pin) {
        CardHold h = loginHold == null ? hold() : null;
        byte[] p = null;
        try {
            info();
            p = bytes(pin);
            transmitOk("VERIFY", CspApdus.verify(p));
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

    /** Ends the login session: releases the card's PIN status, then the PC/SC transaction. */
    public synchronized void logout() {
        try {
            select(); // deselect + select clears the card's verified state
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
            int sw = session.transmit(CspApdus.pinStatus()).getSW();
            if (sw == 0x9000) return -1;
            if ((sw & 0xFFF0) == (Sw.VERIFY_FAILED_TRIES & 0xFFFF)) return sw & 0x0F;
            if (sw == (Sw.AUTH_METHOD_BLOCKED & 0xFFFF)) return 0;
            throw new CardStatusException("PIN STATUS", sw);
        }
    }

    public synchronized void changePin(char[] oldPin, char[] newPin) {
        referenceData("CHANGE REFERENCE DATA", oldPin, newPin, CspApdus::changePin);
        verified = false; // the card resets the verified state on update
    }

    public synchronized void changePuk(char[] oldPuk, char[] newPuk) {
        referenceData("CHANGE REFERENCE DATA (PUK)", oldPuk, newPuk, CspApdus::changePuk);
    }

    public synchronized void unblockPin(char[] puk, char[] newPin) {
        referenceData("RESET RETRY COUNTER", puk, newPin, CspApdus::unblockPin);
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

    // ---- Slots -----------------------------------------------------------------------------------

    public synchronized List<SlotInfo> slots() {
        return CspApdus.parseSlots(plain("LIST SLOTS", CspApdus.listSlots()));
    }

    public synchronized SlotInfo slot(String aliasOrSlot) {
        for (SlotInfo s : slots()) if (s.hasKey() && s.alias().equals(aliasOrSlot)) return s;
        if (aliasOrSlot.matches("\\d")) {
            for (SlotInfo s : slots()) if (s.slot() == Integer.parseInt(aliasOrSlot)) return s;
        }
        return null;
    }

    /** First slot without a key, or -1. */
    public synchronized int freeSlot() {
        for (SlotInfo s : slots()) if (!s.hasKey()) return s.slot();
        return -1;
    }

    /** Generates a key pair on the card (PIN required); returns its public key. */
    public synchronized PublicKey generate(int slot, KeyAlgorithm alg, String label) {
        if (alg == KeyAlgorithm.NONE) throw new IllegalArgumentException("choose ec or rsa");
        try (CardHold h = hold()) {
            return generateHeld(slot, alg, label);
        }
    }

    private PublicKey generateHeld(int slot, KeyAlgorithm alg, String label) {
        if (label != null && !label.isEmpty()) {
            // Labels are KeyStore aliases: keep them unique across slots (one LIST SLOTS).
            for (SlotInfo s : slots()) {
                if (s.slot() != slot && s.hasKey() && s.alias().equals(label)) {
                    throw new IllegalArgumentException("label '" + label + "' is already used by slot " + s.slot());
                }
            }
        }
        log.info("generating {} key pair in slot {}", alg, slot);
        return CspApdus.parsePublicKey(privileged("GENERATE ASYMMETRIC KEY PAIR", CspApdus.generate(slot, alg, label)));
    }

    public synchronized PublicKey publicKey(int slot) {
        return CspApdus.parsePublicKey(plain("READ PUBLIC KEY", CspApdus.readPublicKey(slot)));
    }

    public synchronized void delete(int slot) {
        privileged("DELETE KEY", CspApdus.deleteKey(slot));
    }

    public synchronized void putCertificate(int slot, byte[] der) {
        privileged("PUT CERTIFICATE", CspApdus.putCertificate(slot, der));
    }

    /** The slot's certificate, or null when it has none. */
    public synchronized X509Certificate certificate(int slot) {
        ResponseAPDU r;
        try (CardHold h = hold()) {
            info();
            r = session.transmit(CspApdus.getCertificate(slot));
        }
        if (r.getSW() == (Sw.REFERENCED_DATA_NOT_FOUND & 0xFFFF)) return null;
        if (r.getSW() != 0x9000) throw new CardStatusException("GET CERTIFICATE", r.getSW());
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(r.getData()));
        } catch (CertificateException e) {
            throw new CspException("slot " + slot + " holds no valid X.509 certificate: " + e.getMessage(), e);
        }
    }

    // ---- Private-key operations (one APDU each after the session is open) -------------------------

    public synchronized byte[] signEcdsa(int slot, byte[] hash32) {
        return privileged("SIGN", CspApdus.signEcdsa(slot, hash32));
    }

    public synchronized byte[] signRsaPkcs1(int slot, byte[] digestInfo) {
        return privileged("SIGN", CspApdus.signRsaPkcs1(slot, digestInfo));
    }

    public synchronized byte[] decryptRsaPkcs1(int slot, byte[] ciphertext) {
        return privileged("DECRYPT", CspApdus.decryptRsaPkcs1(slot, ciphertext));
    }

    public synchronized byte[] ecdh(int slot, byte[] peerPoint) {
        return privileged("ECDH", CspApdus.ecdh(slot, peerPoint));
    }

    public synchronized byte[] random(int n) {
        try (CardHold h = hold()) {
            info();
            return randomHeld(n);
        }
    }

    private byte[] randomHeld(int n) {
        byte[] out = new byte[n];
        int off = 0;
        while (off < n) {
            int chunk = Math.min(256, n - off);
            byte[] r = transmitOk("GET CHALLENGE", CspApdus.getChallenge(chunk)).getData();
            if (r.length != chunk) throw new CspException("card returned " + r.length + " random bytes, asked for " + chunk);
            System.arraycopy(r, 0, out, off, chunk);
            off += chunk;
        }
        return out;
    }

    /**
     * Sends a command that needs the verified PIN. When the card was reset (6986: nothing
     * selected) the applet is selected and the command sent once more, which the card then
     * refuses with 6982 unless the PIN was verified again: the host holds no PIN to replay.
     */
    private byte[] privileged(String op, CommandAPDU cmd) {
        try (CardHold h = hold()) {
            info();
            ResponseAPDU r = session.transmit(cmd);
            if (r.getSW() == NO_APPLET_SELECTED) {
                select();
                r = session.transmit(cmd);
            }
            if (r.getSW() == (Sw.SECURITY_STATUS_NOT_SATISFIED & 0xFFFF)) verified = false;
            if (r.getSW() != 0x9000) throw new CardStatusException(op, r.getSW());
            return r.getData();
        }
    }

    private byte[] plain(String op, CommandAPDU cmd) {
        try (CardHold h = hold()) {
            info();
            ResponseAPDU r = session.transmit(cmd);
            if (r.getSW() == NO_APPLET_SELECTED) {
                select();
                r = session.transmit(cmd);
            }
            if (r.getSW() != 0x9000) throw new CardStatusException(op, r.getSW());
            return r.getData();
        }
    }

    private CardHold hold() {
        return CardHold.on(session);
    }

    private ResponseAPDU transmitOk(String op, CommandAPDU cmd) {
        return session.transmitOk(op, cmd);
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
