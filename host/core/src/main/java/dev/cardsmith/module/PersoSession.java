package dev.cardsmith.module;

import dev.cardsmith.codec.Tlv;
import dev.cardsmith.crypto.EcP256;
import dev.cardsmith.applet.module.Constants;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.util.Arrays;
import java.util.function.Function;

/**
 * One run of the personalization protocol, host side, step by step (docs/module.md):
 * INITIATE (perso-unit certificate + ephemeral key; identity proof back), AUTHENTICATE
 * (perso-unit signature + variation value; module key, nonce and TAN back, protected), STORE
 * CERTS (protected). Policy (which certificates, TAN check) lives in {@link PersonalizationUnit};
 * tests drive the steps directly to present forged or out-of-order certificates.
 */
public final class PersoSession {

    private final ModuleCard card;
    private final Function<byte[], byte[]> persoSigner;
    private KeyPair ephemeral;
    private byte[] cardEphemeral;
    private byte[] nonce;
    private ModuleCard secured;

    /** @param persoSigner DER ECDSA-SHA-256 with the perso unit's signing key (the HSM in production). */
    public PersoSession(ModuleCard card, Function<byte[], byte[]> persoSigner) {
        this.card = card;
        this.persoSigner = persoSigner;
    }

    /** The module's answer to INITIATE: its identity certificate proved by a signature over our challenge. */
    public record Initiated(CvCertificate identity, byte[] nonce, byte[] cardEphemeral, byte[] identitySignature, byte[] hostEphemeral) {
        /** Claim 8: checks the challenge-response signature with the identity certificate's key. */
        public boolean identityProved() {
            byte[] transcript = Tlv.concat(new byte[]{Constants.SIG_CONTEXT_IDENTITY}, hostEphemeral, cardEphemeral, nonce);
            return EcP256.verifyDer(identity.publicKey(), transcript, identitySignature);
        }
    }

    public Initiated initiate(byte[] persoCertByManufacturer) {
        ephemeral = EcP256.generate();
        byte[] hostPoint = EcP256.encode(ephemeral.getPublic());
        byte[] r = card.persoInitiate(persoCertByManufacturer, hostPoint);
        Tlv.Reader rd = new Tlv.Reader(r, ModuleException::new);
        cardEphemeral = rd.expect(Constants.TAG_EPHEMERAL_KEY).value();
        nonce = rd.expect(Constants.TAG_NONCE).value();
        Tlv.Element idEl = rd.expect(Constants.TAG_CV_CERTIFICATE);
        CvCertificate identity = CvCertificate.parse(Arrays.copyOfRange(r, idEl.start(), idEl.end()));
        byte[] sig = rd.expect(Constants.TAG_SIGNATURE).value();
        rd.expectEnd();
        if (nonce.length != Constants.NONCE_LENGTH) throw new ModuleException("module nonce has a wrong length");
        byte[] z = EcP256.agree(ephemeral.getPrivate(), CvCertificate.point(cardEphemeral));
        secured = card.secured(SessionKeys.perso(z));
        Arrays.fill(z, (byte) 0);
        return new Initiated(identity, nonce.clone(), cardEphemeral.clone(), sig, hostPoint);
    }

    /** What the module sends back, protected, after AUTHENTICATE. */
    public record Authenticated(byte[] modulePoint, byte[] nonce, String tan) {}

    public Authenticated authenticate(byte[] variation) {
        if (secured == null) throw new IllegalStateException("initiate first");
        byte[] transcript = Tlv.concat(new byte[]{Constants.SIG_CONTEXT_PERSO}, cardEphemeral, EcP256.encode(ephemeral.getPublic()), nonce);
        byte[] sig = persoSigner.apply(transcript);
        byte[] plain = Tlv.concat(Tlv.of(Constants.TAG_SIGNATURE, sig), Tlv.of(Constants.TAG_VARIATION, variation));
        byte[] p = secured.persoAuthenticate(plain);
        Tlv.Reader rd = new Tlv.Reader(p, ModuleException::new);
        byte[] point = rd.expect(Constants.TAG_MODULE_KEY).value();
        byte[] n = rd.expect(Constants.TAG_NONCE).value();
        String tan = new String(rd.expect(Constants.TAG_TAN).value(), StandardCharsets.US_ASCII);
        rd.expectEnd();
        if (!Arrays.equals(n, nonce)) throw new ModuleException("module returned another nonce");
        CvCertificate.point(point);
        return new Authenticated(point, n, tan);
    }

    /** Sends the certificates (module, central by perso unit, perso unit by central) protected; checks the R-MAC. */
    public void storeCertificates(byte[]... certs) {
        if (secured == null) throw new IllegalStateException("initiate first");
        byte[] p = secured.persoStoreCerts(Tlv.concat(certs));
        if (p.length != 0) throw new ModuleException("unexpected data in the module's confirmation");
    }

    public byte[] nonce() { return nonce.clone(); }
}
