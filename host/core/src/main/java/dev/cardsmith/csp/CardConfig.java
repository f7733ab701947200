package dev.cardsmith.csp;

import dev.cardsmith.transport.CardTransport;
import dev.cardsmith.transport.CardTransports;

/**
 * The provider's card, from one configuration string (the {@code -providerArg} of keytool and
 * jarsigner, the argument of {@link CardsmithProvider#configure(String)}):
 * <ul>
 *   <li>{@code sim} - a fresh in-memory simulated card (volatile);</li>
 *   <li>{@code sim:FILE} - a persistent simulated card (the state file of {@code cardsmith --sim=FILE});</li>
 *   <li>{@code reader:NAME} (or {@code pcsc:NAME}) - the card in that PC/SC reader, e.g. the virtual reader.</li>
 * </ul>
 * Without an argument the provider reads the system property {@code cardsmith.csp.card}, then
 * the environment variable {@code CARDSMITH_CSP_CARD}.
 */
public final class CardConfig {

    private CardConfig() {}

    public static String fromEnvironment() {
        String p = System.getProperty("cardsmith.csp.card");
        if (p != null && !p.isBlank()) return p.trim();
        String e = System.getenv("CARDSMITH_CSP_CARD");
        if (e != null && !e.isBlank()) return e.trim();
        return null;
    }

    public static void validate(String config) {
        parse(config, false);
    }

    public static CardTransport open(String config) {
        return parse(config, true);
    }

    private static CardTransport parse(String config, boolean open) {
        if (config == null || config.isBlank()) {
            throw new IllegalArgumentException("no card configured: use sim, sim:FILE or reader:NAME");
        }
        return open ? CardTransports.open(config) : validateOnly(config);
    }

    private static CardTransport validateOnly(String config) {
        CardTransports.validate(config);
        return null;
    }
}
