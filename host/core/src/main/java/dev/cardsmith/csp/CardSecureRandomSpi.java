package dev.cardsmith.csp;

import java.security.SecureRandomSpi;

/** The card's random number generator (GET CHALLENGE). setSeed is ignored: the card takes no seed. */
final class CardSecureRandomSpi extends SecureRandomSpi {

    private static final long serialVersionUID = 1L;
    private final transient CardsmithProvider provider;

    CardSecureRandomSpi(CardsmithProvider provider) {
        this.provider = provider;
    }

    @Override
    protected void engineSetSeed(byte[] seed) {
        // The card's generator is self-seeded; host entropy is not mixed in.
    }

    @Override
    protected void engineNextBytes(byte[] bytes) {
        byte[] r = provider.card().random(bytes.length);
        System.arraycopy(r, 0, bytes, 0, r.length);
    }

    @Override
    protected byte[] engineGenerateSeed(int numBytes) {
        return provider.card().random(numBytes);
    }
}
