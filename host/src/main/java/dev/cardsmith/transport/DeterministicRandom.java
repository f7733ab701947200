package dev.cardsmith.transport;

import com.licel.jcardsim.base.Simulator;
import com.licel.jcardsim.bouncycastle.crypto.digests.SHA256Digest;
import com.licel.jcardsim.bouncycastle.crypto.prng.DigestRandomGenerator;
import com.licel.jcardsim.bouncycastle.crypto.prng.RandomGenerator;
import javacard.framework.AID;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * Simulator-only: makes a jCardSim card's randomness a function of its seed, so that replaying
 * its APDU log rebuilds the same on-card keys. It walks each installed applet's object graph
 * and replaces the entropy of jCardSim's RandomData (a BouncyCastle RandomGenerator) and
 * KeyPair (a java.security.SecureRandom) objects. Never used with real cards.
 */
final class DeterministicRandom {

    private final byte[] seed;
    private int streams;

    DeterministicRandom(byte[] seed) {
        this.seed = seed.clone();
    }

    void attachTo(Simulator sim, AID aid) {
        try {
            Field runtimeField = Simulator.class.getDeclaredField("runtime");
            runtimeField.setAccessible(true);
            com.licel.jcardsim.base.SimulatorRuntime runtime = (com.licel.jcardsim.base.SimulatorRuntime) runtimeField.get(sim);
            Object instance = runtime.lookupApplet(aid);
            java.lang.reflect.Method getApplet = instance.getClass().getDeclaredMethod("getApplet");
            getApplet.setAccessible(true);
            walk(getApplet.invoke(instance));
        } catch (ReflectiveOperationException e) {
            throw new TransportException("cannot make the simulated card deterministic: " + e, e);
        }
    }

    private void walk(Object root) throws IllegalAccessException {
        Set<Object> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        Deque<Object> todo = new ArrayDeque<>();
        todo.add(root);
        while (!todo.isEmpty()) {
            Object o = todo.poll();
            if (!seen.add(o)) continue;
            Class<?> c = o.getClass();
            if (c.isArray()) {
                if (!c.getComponentType().isPrimitive()) {
                    for (Object e : (Object[]) o) if (e != null) todo.add(e);
                }
                continue;
            }
            if (!inScope(c)) continue;
            for (Class<?> k = c; k != null && k != Object.class; k = k.getSuperclass()) {
                for (Field f : k.getDeclaredFields()) {
                    if (Modifier.isStatic(f.getModifiers()) || f.getType().isPrimitive()) continue;
                    f.setAccessible(true);
                    Object v = f.get(o);
                    if (v == null) continue;
                    if (v instanceof SecureRandom) {
                        f.set(o, new SeededSecureRandom(nextSeed()));
                    } else if (RandomGenerator.class.isAssignableFrom(f.getType()) || v instanceof RandomGenerator) {
                        DigestRandomGenerator g = new DigestRandomGenerator(new SHA256Digest());
                        g.addSeedMaterial(nextSeed());
                        f.set(o, g);
                    } else {
                        todo.add(v);
                    }
                }
            }
        }
    }

    private static boolean inScope(Class<?> c) {
        String n = c.getName();
        return !n.startsWith("java.") && !n.startsWith("javax.") && !n.startsWith("sun.") && !n.startsWith("jdk.");
    }

    private byte[] nextSeed() {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update(seed);
            d.update(new byte[] {(byte) (streams >> 8), (byte) streams++});
            return d.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** SHA-256 in counter mode over a seed; deterministic by design (simulator only). */
    private static final class SeededSecureRandom extends SecureRandom {
        private static final long serialVersionUID = 1L;
        private final byte[] key;
        private long counter;

        SeededSecureRandom(byte[] key) {
            super(new byte[0]);
            this.key = key;
        }

        @Override
        public synchronized void nextBytes(byte[] out) {
            int off = 0;
            while (off < out.length) {
                byte[] block = block(counter++);
                int n = Math.min(block.length, out.length - off);
                System.arraycopy(block, 0, out, off, n);
                off += n;
            }
        }

        @Override
        public byte[] generateSeed(int n) {
            byte[] b = new byte[n];
            nextBytes(b);
            return b;
        }

        @Override
        public void setSeed(long s) {
            // deterministic by design: ignore reseeding
        }

        @Override
        public void setSeed(byte[] s) {
            // deterministic by design: ignore reseeding
        }

        private byte[] block(long n) {
            try {
                MessageDigest d = MessageDigest.getInstance("SHA-256");
                d.update(key);
                for (int i = 7; i >= 0; i--) d.update((byte) (n >>> (8 * i)));
                return d.digest();
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
