package dev.cardsmith.csp;

import dev.cardsmith.transport.CardSession;

import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The JCA provider "Cardsmith": the card as the computer's cryptographic service provider
 * (seed 003, claims 1, 19, 36, 42, 47-48). Hashing, padding, public-key operations and
 * parameter checks run here on the host; only the private-key step goes to the card, one
 * APDU per operation once the session is open (the PIN verified).
 *
 * <p>Configuration (see {@link CardConfig}): {@code new CardsmithProvider("sim:/tmp/card.sim")},
 * or the no-argument constructor plus {@link #configure(String)}, which is what
 * {@code keytool/jarsigner -providerClass dev.cardsmith.csp.CardsmithProvider -providerArg CFG} do.
 * The PIN comes from the KeyStore load password ({@code -storepass}) or {@link #login(char[])}.
 *
 * <p>Services accept card keys ({@link CardPrivateKey}) and, for the public-key direction,
 * ordinary JDK public keys, which they serve on the host (claim 42's decision, {@link AlgorithmTable}).
 */
public final class CardsmithProvider extends Provider implements AutoCloseable {

    private static final long serialVersionUID = 1L;

    public static final String NAME = "Cardsmith";
    public static final String KEYSTORE_TYPE = "CARDSMITH";
    public static final String RANDOM = "CardRNG";

    private final transient String config;
    private transient CardSession session;
    private transient PivCard card;
    private final transient boolean ownsSession;

    /** Unconfigured; the card comes from {@link #configure(String)}, else {@link CardConfig#fromEnvironment()}. */
    public CardsmithProvider() {
        this((String) null);
    }

    public CardsmithProvider(String config) {
        super(NAME, "0.1", "Cardsmith card-backed provider (keys in a Java Card applet; hashing on the host)");
        if (config != null) CardConfig.validate(config);
        this.config = config;
        this.ownsSession = true;
        register();
    }

    /** Over a session the caller owns (the CLI, tests); the applet is selected on first use. */
    public CardsmithProvider(CardSession session) {
        super(NAME, "0.1", "Cardsmith card-backed provider (keys in a Java Card applet; hashing on the host)");
        this.config = "session:" + session.transport().name();
        this.session = session;
        this.ownsSession = false;
        register();
    }

    @Override
    public Provider configure(String configArg) {
        return new CardsmithProvider(configArg);
    }

    @Override
    public boolean isConfigured() {
        return config != null || CardConfig.fromEnvironment() != null;
    }

    /** The card behind this provider, connected and selected on first use. */
    public synchronized PivCard card() {
        if (card == null) {
            if (session == null) {
                String c = config != null ? config : CardConfig.fromEnvironment();
                session = new CardSession(CardConfig.open(c));
            }
            card = new PivCard(session);
            card.select();
        }
        return card;
    }

    /** Verifies the user PIN for this provider's session (what KeyStore.load does with its password). */
    public void login(char[] pin) {
        card().login(pin);
    }

    /** The well-known PIV factory management key (3DES 0102..08 x 3), for development cards only. */
    public static byte[] factoryManagementKey() {
        return ManagementCipher.FACTORY_DEFAULT.clone();
    }

    /**
     * Proves the card management key (9B) for this provider's session: key generation and
     * certificate writes need it. The key is not kept; the proof ends with {@link #close()}.
     */
    public void authenticateManagement(byte[] key) {
        card().authenticateManagement(key);
    }

    /**
     * Ends the login (the card's PIN status is released, the PC/SC transaction ends) and closes
     * the card connection when the provider opened it (a persistent sim file is released).
     */
    @Override
    public synchronized void close() {
        if (card != null) {
            try {
                card.logout();
            } catch (RuntimeException e) {
                // the card is gone already; nothing verified remains on it
            }
        }
        if (session != null && ownsSession) session.close();
        card = null;
        if (ownsSession) session = null;
    }

    /** The card key of a slot, with its public key read from the card. */
    public CardPrivateKey key(SlotInfo slot) {
        PublicKey pub = card().publicKey(slot.slot());
        return CardPrivateKey.of(card(), slot.slot(), slot.alias(), pub);
    }

    // ---- Service registration ----------------------------------------------------------------

    private void register() {
        Predicate<Object> ecKeys = k -> k instanceof CardPrivateKey.Ec || k instanceof ECPublicKey;
        Predicate<Object> rsaKeys = k -> k instanceof CardPrivateKey.Rsa || k instanceof RSAPublicKey;
        for (AlgorithmTable.Entry e : AlgorithmTable.ENTRIES) {
            switch (e.type()) {
                case "Signature" -> add(e, p -> new CardSignatureSpi(e), e.key() == KeyAlgorithm.EC_P256 ? ecKeys : rsaKeys);
                case "Cipher" -> {
                    add(e, p -> new CardCipherSpi(), rsaKeys);
                    putService(new CardService(this, "Cipher", "RSA", CardCipherSpi.class.getName(), List.of(),
                            Map.of("SupportedModes", "ECB", "SupportedPaddings", "PKCS1PADDING",
                                    "SupportedKeyFormats", "RAW"), p -> new CardCipherSpi(), rsaKeys));
                }
                case "KeyAgreement" -> add(e, p -> new CardKeyAgreementSpi(), k -> k instanceof CardPrivateKey.Ec);
                case "KeyPairGenerator" -> add(e, p -> new CardKeyPairGeneratorSpi(p, e.key()), k -> true);
                case "KeyStore" -> add(e, CardKeyStoreSpi::new, k -> true);
                case "SecureRandom" -> putService(new CardService(this, "SecureRandom", e.algorithm(),
                        CardSecureRandomSpi.class.getName(), List.of(), Map.of("ThreadSafe", "true"),
                        CardSecureRandomSpi::new, k -> true));
                default -> throw new IllegalStateException(e.type());
            }
        }
    }

    private void add(AlgorithmTable.Entry e, Function<CardsmithProvider, Object> factory, Predicate<Object> supports) {
        Map<String, String> attrs = new HashMap<>();
        attrs.put("ImplementedIn", "Hardware");
        putService(new CardService(this, e.type(), e.algorithm(), "dev.cardsmith.csp.Card" + e.type() + "Spi", List.of(), attrs, factory, supports));
    }

    /** A service whose instances come from a factory (no reflection) and that says which keys it takes. */
    private static final class CardService extends Provider.Service {
        private final transient Function<CardsmithProvider, Object> factory;
        private final transient Predicate<Object> supports;

        CardService(CardsmithProvider p, String type, String algorithm, String className, List<String> aliases,
                    Map<String, String> attributes, Function<CardsmithProvider, Object> factory, Predicate<Object> supports) {
            super(p, type, algorithm, className, aliases, attributes);
            this.factory = factory;
            this.supports = supports;
        }

        @Override
        public Object newInstance(Object constructorParameter) throws NoSuchAlgorithmException {
            try {
                return factory.apply((CardsmithProvider) getProvider());
            } catch (RuntimeException e) {
                throw new NoSuchAlgorithmException("cannot create " + getType() + "." + getAlgorithm() + ": " + e.getMessage(), e);
            }
        }

        @Override
        public boolean supportsParameter(Object parameter) {
            return supports.test(parameter);
        }
    }
}
