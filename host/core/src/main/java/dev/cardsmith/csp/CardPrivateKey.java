package dev.cardsmith.csp;

import java.math.BigInteger;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.ECKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECParameterSpec;

/**
 * A handle to a private key that lives in a card slot. It holds no key material:
 * {@link #getEncoded()} and {@link #getFormat()} return null, so nothing (keytool, a
 * KeyStore copy, serialization) can export it. It carries the public parameters JSSE and
 * the JDK need to pick algorithms (the curve for EC, the modulus for RSA), which are public.
 */
public abstract sealed class CardPrivateKey implements PrivateKey permits CardPrivateKey.Ec, CardPrivateKey.Rsa {

    private static final long serialVersionUID = 1L;

    private final transient PivCard card;
    private final int slot;
    private final String alias;
    private final transient PublicKey publicKey;

    CardPrivateKey(PivCard card, int slot, String alias, PublicKey publicKey) {
        this.card = card;
        this.slot = slot;
        this.alias = alias;
        this.publicKey = publicKey;
    }

    static CardPrivateKey of(PivCard card, int slot, String alias, PublicKey pub) {
        if (pub instanceof ECPublicKey ec) return new Ec(card, slot, alias, ec);
        if (pub instanceof RSAPublicKey rsa) return new Rsa(card, slot, alias, rsa);
        throw new CspException("unsupported public key type " + pub.getAlgorithm());
    }

    PivCard card() { return card; }

    public int slot() { return slot; }

    public String alias() { return alias; }

    public PublicKey publicKey() { return publicKey; }

    /** Never: the private key does not leave the card. */
    @Override
    public final byte[] getEncoded() { return null; }

    /** Never: the private key does not leave the card. */
    @Override
    public final String getFormat() { return null; }

    @Override
    public String toString() {
        return "Cardsmith " + getAlgorithm() + " private key in card slot " + slot + " (" + alias + ")";
    }

    /** EC P-256 or P-384 key in a card slot. */
    public static final class Ec extends CardPrivateKey implements ECKey {
        private static final long serialVersionUID = 1L;
        private final KeyAlgorithm curve;

        Ec(PivCard card, int slot, String alias, ECPublicKey pub) {
            super(card, slot, alias, pub);
            curve = KeyAlgorithm.ofCurve(pub.getParams());
            if (curve == null) throw new CspException("the card holds P-256 and P-384 keys only");
        }

        @Override public String getAlgorithm() { return "EC"; }

        /** The key's curve: {@link KeyAlgorithm#EC_P256} or {@link KeyAlgorithm#EC_P384}. */
        public KeyAlgorithm curve() { return curve; }

        @Override public ECParameterSpec getParams() { return curve.ecParams(); }
    }

    /** RSA-2048 key in a card slot. */
    public static final class Rsa extends CardPrivateKey implements RSAKey {
        private static final long serialVersionUID = 1L;

        Rsa(PivCard card, int slot, String alias, RSAPublicKey pub) {
            super(card, slot, alias, pub);
        }

        @Override public String getAlgorithm() { return "RSA"; }

        @Override public BigInteger getModulus() { return ((RSAPublicKey) publicKey()).getModulus(); }
    }
}
