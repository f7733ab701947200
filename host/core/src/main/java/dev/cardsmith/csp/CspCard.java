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
    private char[] pin;

    public CspCard(ApduChannel channel) {
        this.session = channel;
    }

    public ApduChannel channel() { return session; }

    /** The reader session underneath, for APDU counts; only when this card was opened on one. */
    public CardSession session() { return CardSession.of(session); }

    /** SELECT the applet; returns what it reports. */
    public synchronized CardInfo select() {
        info = CspApdus.parseAppInfo(session.select(CspApdus.AID));
        return info;
    }

    public synchronized CardInfo info() {
        if (info == null) select();
        return info;
    }

    // ---- PIN -------------------------------------------------------------------------------------

    /**
     * VERIFY. The PIN stays in this object (like a PKCS#11 login session) so that the provider can
     * log in again after the card was reset or the applet deselected; {@link #logout()} wipes it.
     */
    public synchronized void login(char[] newPin) {
        info();
        byte[] p = bytes(newPin);
        try {
            transmitOk("VERIFY", CspApdus.verify(p));
        } finally {
            Arrays.fill(p, (byte) 0);
        }
        if (pin != null) Arrays.fill(pin, '\0');
        pin = newPin.clone();
    }

    public synchronized boolean loggedIn() {
        return pin != null;
    }

    public synchronized void logout() {
        if (pin != null) Arrays.fill(pin, '\0');
        pin = null;
        select(); // deselect + select clears the card's verified state
    }

    /** Tries left for the user PIN: -1 when verified in this session, 0 when blocked. */
    public synchronized int pinTriesLeft() {
        info();
        int sw = session.transmit(CspApdus.pinStatus()).getSW();
        if (sw == 0x9000) return -1;
        if ((sw & 0xFFF0) == (Sw.VERIFY_FAILED_TRIES & 0xFFFF)) return sw & 0x0F;
        if (sw == (Sw.AUTH_METHOD_BLOCKED & 0xFFFF)) return 0;
        throw new CardStatusException("PIN STATUS", sw);
    }

    public synchronized void changePin(char[] oldPin, char[] newPin) {
        info();
        byte[] o = bytes(oldPin), n = bytes(newPin);
        try {
            transmitOk("CHANGE REFERENCE DATA", CspApdus.changePin(o, n));
        } finally {
            Arrays.fill(o, (byte) 0);
            Arrays.fill(n, (byte) 0);
        }
        if (pin != null) Arrays.fill(pin, '\0');
        pin = null; // the card resets the verified state on update
    }

    public synchronized void changePuk(char[] oldPuk, char[] newPuk) {
        info();
        byte[] o = bytes(oldPuk), n = bytes(newPuk);
        try {
            transmitOk("CHANGE REFERENCE DATA (PUK)", CspApdus.changePuk(o, n));
        } finally {
            Arrays.fill(o, (byte) 0);
            Arrays.fill(n, (byte) 0);
        }
    }

    public synchronized void unblockPin(char[] puk, char[] newPin) {
        info();
        byte[] k = bytes(puk), n = bytes(newPin);
        try {
            transmitOk("RESET RETRY COUNTER", CspApdus.unblockPin(k, n));
        } finally {
            Arrays.fill(k, (byte) 0);
            Arrays.fill(n, (byte) 0);
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
        info();
        ResponseAPDU r = session.transmit(CspApdus.getCertificate(slot));
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
        info();
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
     * Sends a command; when the card answers 6982 (the applet was deselected, which clears the
     * verified PIN) or 6986 (the card was reset: nothing selected), selects, logs in again with
     * the PIN this object holds and repeats the command once. The normal path is exactly one APDU.
     */
    private byte[] privileged(String op, CommandAPDU cmd) {
        info();
        ResponseAPDU r = session.transmit(cmd);
        boolean lostPin = r.getSW() == (Sw.SECURITY_STATUS_NOT_SATISFIED & 0xFFFF) && pin != null;
        boolean lostSelection = r.getSW() == NO_APPLET_SELECTED;
        if (lostPin || lostSelection) {
            select();
            if (pin != null) {
                byte[] p = bytes(pin);
                try {
                    ResponseAPDU v = session.transmit(CspApdus.verify(p));
                    if (v.getSW() != 0x9000) {
                        // the card refused the cached PIN (changed or blocked elsewhere): forget it, so the
                        // next call does not spend another try with it (review: stale PIN blocked the card)
                        Arrays.fill(pin, '\0');
                        pin = null;
                        throw new CardStatusException("VERIFY", v.getSW());
                    }
                } finally {
                    Arrays.fill(p, (byte) 0);
                }
            }
            r = session.transmit(cmd);
        }
        if (r.getSW() != 0x9000) throw new CardStatusException(op, r.getSW());
        return r.getData();
    }

    private byte[] plain(String op, CommandAPDU cmd) {
        info();
        ResponseAPDU r = session.transmit(cmd);
        if (r.getSW() == NO_APPLET_SELECTED) {
            select();
            r = session.transmit(cmd);
        }
        if (r.getSW() != 0x9000) throw new CardStatusException(op, r.getSW());
        return r.getData();
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
