package dev.cardsmith.csp;

import dev.cardsmith.applet.piv.Constants;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Optional;
import java.util.function.Function;

/**
 * Issuing a PIV card at the factory, with its one resume entry {@link #issueOrResume}: a P-256 key
 * pair generated on the card in slot 9A, an X.509 certificate for it from the caller's CA stored
 * with PUT DATA under the default management key, then the default PIN, PUK and management key
 * replaced with fresh random per-device values that exist in clear only in this method's memory:
 * they are sealed to the operator's {@link PinMailer} and the sealed blob is recorded (state
 * SEALED) before the first of them reaches the card.
 *
 * <p>Card writes in this order: GENERATE 9A, PUT DATA cert 9A, CHANGE PIN, CHANGE PUK, SET
 * MANAGEMENT KEY; then the completion record (DONE). So on a re-run the card says how far it got:
 * <ul>
 * <li>a DONE record and the card's 9A key and certificate match it: done, nothing is written;</li>
 * <li>the PIN is still the default: nothing secret was set (PUK and management key change after
 * the PIN), the flow starts again from GENERATE, overwriting a half-written 9A;</li>
 * <li>the PIN is no longer the default and there is no DONE record: the line cannot know which
 * secrets the card holds (it never keeps them). The card is set aside ({@link SecretsLost}), its
 * record marked LOST, the last sealed blob kept for the operator to try by hand. Never a guess.</li>
 * </ul>
 */
public final class PivIssuance {

    private static final Logger LOG = LoggerFactory.getLogger(PivIssuance.class);

    /** The applet's development defaults (docs/piv-card-edge.md): what a fresh card has. */
    static final String DEFAULT_PIN = "123456";
    static final String DEFAULT_PUK = "12345678";
    /** The management key algorithm the line sets: AES-128 (PIV algorithm 08). */
    public static final int MANAGEMENT_ALG = Constants.ALG_AES_128;

    private static final SecureRandom RANDOM = new SecureRandom();

    /** What the store knows about one device's issuance. {@code state}: SEALED, DONE or LOST. */
    public record Record(String state, String certificateSha256) {}

    /** The caller's store for one device: the intent with the sealed blob before the secrets reach the card, completion after. */
    public interface Records {
        Optional<Record> find();

        /** The sealed blob and the certificate, before the first secret is written to the card (replaces an earlier SEALED record). */
        void sealed(byte[] sealed, String mailerFingerprint, X509Certificate certificate);

        void done();

        /** The card's secrets are unknown to the line; the last sealed blob stays with the record. */
        void lost(String reason);
    }

    /** The card's secrets are not known: the device must be set aside with a record. */
    public static final class SecretsLost extends CspException {
        public SecretsLost(String message) { super(message); }
    }

    public enum Action { ISSUED, ALREADY_DONE }

    public record Outcome(Action action, X509Certificate certificate) {}

    private PivIssuance() {}

    /**
     * Issues the card or settles a re-run (see the class comment).
     *
     * @param ca issues the certificate for the 9A public key (the line's PIV CA)
     */
    public static Outcome issueOrResume(PivCard card, Function<PublicKey, X509Certificate> ca, PinMailer mailer, Records records) {
        card.select();
        Optional<Record> rec = records.find();
        if (rec.isPresent() && rec.get().state().equals("DONE")) {
            X509Certificate cert = card.certificate(PivSlot.AUTHENTICATION.index());
            if (cert == null || !sha256(cert).equals(rec.get().certificateSha256())
                    || !cert.getPublicKey().equals(card.publicKey(PivSlot.AUTHENTICATION.index()))) {
                throw new CspException("the card's slot 9A does not hold the key and certificate its completion record names: not the card issued");
            }
            return new Outcome(Action.ALREADY_DONE, cert);
        }
        if (!card.pinIsDefault()) {
            String why = "PIN already changed but the issuance was not recorded complete: this card's PIN, PUK and management key are not known "
                    + "to the line" + (rec.isPresent() ? " (the last sealed blob is kept with the record)" : "") + "; set aside";
            records.lost(why);
            throw new SecretsLost(why);
        }
        return issue(card, ca, mailer, records);
    }

    private static Outcome issue(PivCard card, Function<PublicKey, X509Certificate> ca, PinMailer mailer, Records records) {
        byte[] defaultKey = ManagementCipher.FACTORY_DEFAULT.clone();
        char[] pin = digits(6 + RANDOM.nextInt(3));
        char[] puk = digits(8);
        byte[] mgmt = new byte[16];
        RANDOM.nextBytes(mgmt);
        byte[] clear = null;
        try {
            card.authenticateManagement(defaultKey);
            PublicKey pub = card.generate(PivSlot.AUTHENTICATION.index(), KeyAlgorithm.EC_P256, null);
            X509Certificate cert = ca.apply(pub);
            if (!cert.getPublicKey().equals(pub)) throw new CspException("the CA issued a certificate for another key");
            card.putCertificate(PivSlot.AUTHENTICATION.index(), cert.getEncoded());
            clear = encode(pin, puk, mgmt);
            records.sealed(mailer.seal(clear), mailer.fingerprint(), cert);
            card.changePin(DEFAULT_PIN.toCharArray(), pin);
            card.changePuk(DEFAULT_PUK.toCharArray(), puk);
            card.authenticateManagement(defaultKey);
            card.setManagementKey(MANAGEMENT_ALG, mgmt);
            card.authenticateManagement(mgmt); // the card proves it holds the new key
            records.done();
            LOG.info("PIV card issued: 9A P-256, certificate serial {}", cert.getSerialNumber().toString(16));
            return new Outcome(Action.ISSUED, cert);
        } catch (CertificateEncodingException e) {
            throw new CspException("cannot encode the 9A certificate: " + e.getMessage(), e);
        } finally {
            Arrays.fill(pin, '0');
            Arrays.fill(puk, '0');
            Arrays.fill(mgmt, (byte) 0);
            if (clear != null) Arrays.fill(clear, (byte) 0);
        }
    }

    /** The sealed content: {@code pin=..\npuk=..\nmanagement-key=aes128:HEX\n} (what {@link Secrets#parse} reads back). */
    static byte[] encode(char[] pin, char[] puk, byte[] mgmt) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(96);
        put(out, "pin=");
        for (char c : pin) out.write(c);
        put(out, "\npuk=");
        for (char c : puk) out.write(c);
        put(out, "\nmanagement-key=aes128:");
        final String hex = "0123456789abcdef";
        for (byte b : mgmt) {
            out.write(hex.charAt((b >> 4) & 0x0F));
            out.write(hex.charAt(b & 0x0F));
        }
        out.write('\n');
        return out.toByteArray(); // no String holds a secret; the stream's buffer is dropped with it
    }

    private static void put(java.io.ByteArrayOutputStream out, String s) {
        out.writeBytes(s.getBytes(StandardCharsets.US_ASCII));
    }

    /** A card's secrets as the operator reads them from an opened sealed blob. */
    public record Secrets(String pin, String puk, int managementAlgorithm, byte[] managementKey) {
        public static Secrets parse(byte[] opened) {
            String pin = null, puk = null;
            byte[] key = null;
            for (String line : new String(opened, StandardCharsets.US_ASCII).split("\n")) {
                if (line.startsWith("pin=")) pin = line.substring(4);
                else if (line.startsWith("puk=")) puk = line.substring(4);
                else if (line.startsWith("management-key=aes128:")) key = HexFormat.of().parseHex(line.substring("management-key=aes128:".length()));
            }
            if (pin == null || puk == null || key == null) throw new CspException("not a PIV PIN mailer content");
            return new Secrets(pin, puk, MANAGEMENT_ALG, key);
        }

        @Override public String toString() { return "Secrets[hidden]"; }
    }

    public static String sha256(X509Certificate cert) {
        try {
            return HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(cert.getEncoded()));
        } catch (java.security.GeneralSecurityException e) {
            throw new CspException("cannot hash the certificate: " + e.getMessage(), e);
        }
    }

    private static char[] digits(int n) {
        char[] c = new char[n];
        for (int i = 0; i < n; i++) c[i] = (char) ('0' + RANDOM.nextInt(10));
        return c;
    }
}
