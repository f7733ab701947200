package dev.cardsmith.simulator;

import dev.cardsmith.transport.*;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.security.SecureRandom;
import java.security.SecureRandomSpi;
import java.security.Security;
import java.util.ArrayList;
import java.util.List;

/**
 * Simulator-only entropy control while jCardSim installs applets.
 *
 * <p>jCardSim's RandomData is an unseeded (hence identical on every simulated card) SHA-1
 * generator unless {@code com.licel.jcardsim.randomdata.secure=1}, in which case it is seeded
 * from {@code new SecureRandom()}; its KeyPair objects take {@code new SecureRandom()} too. Both
 * are created in applet constructors. So during install cardsmith sets {@code secure=1} (every
 * simulated card gets its own randomness) and, for a persistent card, puts a provider first in
 * the JCA list whose SecureRandom, only for the installing thread, is a SHA-256 counter-mode
 * stream over the card seed. Replaying the card's APDU log then rebuilds the same keys. Other
 * threads asking for a SecureRandom in that window get the JDK's DRBG. Never used with real cards.
 */
final class SimulatedEntropy {

    private static final String SECURE_PROP = "com.licel.jcardsim.randomdata.secure";
    private static final Object LOCK = new Object();
    private static final ThreadLocal<Seeds> CURRENT = new ThreadLocal<>();
    private static final Provider PROVIDER = new EntropyProvider();

    private SimulatedEntropy() {}

    /**
     * Runs {@code install} with card-seeded entropy ({@code seed} non-null) or fresh entropy, and
     * returns the card-seeded streams it created, in creation order (empty without a seed): their
     * positions are part of a card snapshot ({@link CardSnapshot}).
     */
    static List<Spi> during(byte[] seed, Runnable install) {
        synchronized (LOCK) {
            String old = System.getProperty(SECURE_PROP);
            System.setProperty(SECURE_PROP, "1");
            Seeds seeds = seed == null ? null : new Seeds(seed);
            if (seed != null) {
                CURRENT.set(seeds);
                Security.insertProviderAt(PROVIDER, 1);
            }
            try {
                install.run();
                return seeds == null ? List.of() : List.copyOf(seeds.created);
            } finally {
                if (seed != null) {
                    Security.removeProvider(PROVIDER.getName());
                    CURRENT.remove();
                }
                if (old == null) System.clearProperty(SECURE_PROP);
                else System.setProperty(SECURE_PROP, old);
            }
        }
    }

    /** Hands out one deterministic sub-seed per SecureRandom created during install. */
    private static final class Seeds {
        private final byte[] seed;
        private int next;
        private final List<Spi> created = new ArrayList<>();

        Seeds(byte[] seed) { this.seed = seed.clone(); }

        byte[] nextSubSeed() {
            return sha256(seed, new byte[] {'i', (byte) (next >> 8), (byte) next++});
        }
    }

    private static byte[] sha256(byte[] a, byte[] b) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update(a);
            d.update(b);
            return d.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static final class EntropyProvider extends Provider {
        private static final long serialVersionUID = 1L;

        EntropyProvider() {
            super("CardsmithSimulatedEntropy", "1.0", "cardsmith simulator: card-seeded entropy during applet install");
            put("SecureRandom.CardsmithSimulated", Spi.class.getName());
            put("SecureRandom.CardsmithSimulated ThreadSafe", "true");
        }
    }

    /** SHA-256(subSeed || counter) blocks in the installing thread; the JDK DRBG elsewhere. */
    public static final class Spi extends SecureRandomSpi {
        private static final long serialVersionUID = 1L;
        private final byte[] subSeed;
        private final SecureRandom real;
        private long counter;

        public Spi() {
            Seeds s = CURRENT.get();
            subSeed = s == null ? null : s.nextSubSeed();
            if (s != null) s.created.add(this);
            try {
                real = subSeed == null ? SecureRandom.getInstance("DRBG") : null;
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }

        /** How many blocks of this card-seeded stream were drawn. */
        synchronized long position() {
            return counter;
        }

        synchronized void position(long blocks) {
            if (subSeed == null) throw new IllegalStateException("not a card-seeded stream");
            counter = blocks;
        }

        @Override
        protected void engineSetSeed(byte[] seed) {
            if (real != null) real.setSeed(seed); // deterministic streams ignore reseeding by design
        }

        @Override
        protected synchronized void engineNextBytes(byte[] out) {
            if (real != null) {
                real.nextBytes(out);
                return;
            }
            int off = 0;
            while (off < out.length) {
                long n = counter++;
                byte[] block = sha256(subSeed, new byte[] {(byte) (n >>> 56), (byte) (n >>> 48), (byte) (n >>> 40),
                        (byte) (n >>> 32), (byte) (n >>> 24), (byte) (n >>> 16), (byte) (n >>> 8), (byte) n});
                int len = Math.min(block.length, out.length - off);
                System.arraycopy(block, 0, out, off, len);
                off += len;
            }
        }

        @Override
        protected byte[] engineGenerateSeed(int numBytes) {
            byte[] b = new byte[numBytes];
            engineNextBytes(b);
            return b;
        }
    }
}
