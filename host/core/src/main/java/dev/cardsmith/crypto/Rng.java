package dev.cardsmith.crypto;

import java.security.SecureRandom;

/** Fresh random bytes from one shared {@link SecureRandom} (nonces, variation values, TANs). */
public final class Rng {
    private static final SecureRandom RANDOM = new SecureRandom();

    private Rng() {}

    public static byte[] bytes(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }
}
