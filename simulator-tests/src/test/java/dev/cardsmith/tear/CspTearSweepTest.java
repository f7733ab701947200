package dev.cardsmith.tear;

import dev.cardsmith.csp.CspCard;
import dev.cardsmith.csp.KeyAlgorithm;
import dev.cardsmith.csp.SlotInfo;
import dev.cardsmith.simulator.AppletRegistry;
import dev.cardsmith.simulator.tear.TearingSimulator;
import dev.cardsmith.transport.CardSession;
import dev.cardsmith.transport.CardStatusException;
import dev.cardsmith.transport.CardTransport;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Tear sweep of csp key generation (into an empty slot and over an existing key) and PIN change
 * (docs/robustness.md, "Tearing"). Invariants: after the tear the slot is empty or holds a key
 * pair that signs under the public key the card reports (over an existing key: never empty);
 * exactly one of the old and the new PIN works and a tear gives no PIN try back; after the re-run
 * the slot holds a working key and the new PIN works with all tries.
 */
@dev.cardsmith.support.SimulatorOnly("tears inside a command need the rollback runtime (TearingSimulator), which only a simulated card has")
class CspTearSweepTest {
    private static final char[] PIN = "123456".toCharArray();
    private static final char[] NEW_PIN = "654321".toCharArray();
    private static final int SLOT = 0;
    private static final int PIN_TRIES = 3;

    private static TearingSimulator newCsp() {
        return new TearingSimulator(List.of(AppletRegistry.byName("csp")));
    }

    private static CspCard csp(CardTransport t) {
        CspCard c = new CspCard(new CardSession(t));
        c.select();
        return c;
    }

    private static void generate(CspCard c) {
        c.login(PIN);
        c.generate(SLOT, KeyAlgorithm.EC_P256, "tear");
    }

    /** The slot's private key signs and the card's public key of the slot verifies it. */
    private static void assertKeyWorks(CspCard c) {
        PublicKey pub = c.publicKey(SLOT);
        byte[] data = "a tear never loses a key".getBytes(StandardCharsets.US_ASCII);
        try {
            byte[] sig = c.signEcdsa(SLOT, MessageDigest.getInstance("SHA-256").digest(data));
            Signature v = Signature.getInstance("SHA256withECDSA");
            v.initVerify(pub);
            v.update(data);
            assertTrue(v.verify(sig), "the slot's key pair does not match");
        } catch (java.security.GeneralSecurityException e) {
            throw new AssertionError(e);
        }
    }

    private static SlotInfo slot(CspCard c) {
        return c.slots().stream().filter(s -> s.slot() == SLOT).findFirst().orElseThrow();
    }

    private static TearSweep.Result sweepKeyGeneration(String name, boolean occupied) {
        return TearSweep.sweep(name, "csp", new TearSweep.Flow() {
            @Override
            public TearingSimulator start() {
                TearingSimulator card = newCsp();
                if (occupied) generate(csp(card));
                return card;
            }

            @Override public void run(CardTransport t) { generate(csp(t)); }

            @Override
            public void recover(TearingSimulator card, TearSweep.Point p, Map<String, String> before) {
                CspCard c = csp(card);
                c.login(PIN);
                if (occupied) assertTrue(slot(c).hasKey(), "the old key is gone and no new one is there");
                if (slot(c).hasKey()) assertKeyWorks(c);
                generate(c);
                assertKeyWorks(c);
            }
        });
    }

    @Test
    void generateIntoAnEmptySlot() {
        TearSweep.assertNothingBroken(sweepKeyGeneration("csp keygen", false), 5);
    }

    /** Finding T2 (docs/robustness.md, fixed): the new key is made in the spare key record, the slot flips to it. */
    @Test
    void generateOverAnExistingKey() {
        TearSweep.assertNothingBroken(sweepKeyGeneration("csp regenerate", true), 5);
    }

    @Test
    void changePin() {
        TearSweep.Result r = TearSweep.sweep("csp pin change", "csp", new TearSweep.Flow() {
            @Override public TearingSimulator start() { return newCsp(); }

            @Override public void run(CardTransport t) { csp(t).changePin(PIN, NEW_PIN); }

            @Override
            public void recover(TearingSimulator card, TearSweep.Point p, Map<String, String> before) {
                CspCard c = csp(card);
                int tries = c.pinTriesLeft();
                assertTrue(tries == PIN_TRIES || tries == PIN_TRIES - 1, "PIN tries after the tear: " + tries);
                boolean oldWorks;
                try {
                    c.login(PIN);
                    oldWorks = true;
                } catch (CardStatusException wrong) {
                    oldWorks = false;
                }
                if (oldWorks) {
                    c.changePin(PIN, NEW_PIN);
                } else {
                    c.login(NEW_PIN); // the old PIN failed: the new one must work
                }
                c.select();
                c.login(NEW_PIN);
                c.select();
                assertEquals(PIN_TRIES, c.pinTriesLeft(), "PIN tries after the re-run");
            }
        });
        // CHANGE REFERENCE DATA has no write point: the PIN lives in an OwnerPIN, framework state the
        // runtime does not see (docs/tearing.md); so this sweep tears at the APDU boundaries only
        TearSweep.assertNothingBroken(r, 2);
    }

    /** A certificate for a fresh key (its content does not matter to the card, only its DER shape and size). */
    private static byte[] certificate(String alg, int bits, String cn) {
        try {
            java.security.KeyPairGenerator g = java.security.KeyPairGenerator.getInstance(alg);
            g.initialize(bits);
            java.security.KeyPair kp = g.generateKeyPair();
            org.bouncycastle.asn1.x500.X500Name name = new org.bouncycastle.asn1.x500.X500Name("CN=" + cn);
            return new org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder(name, java.math.BigInteger.ONE,
                    new java.util.Date(0), new java.util.Date(4_102_444_800_000L), name, kp.getPublic())
                    .build(new org.bouncycastle.operator.jcajce.JcaContentSignerBuilder(alg.equals("EC") ? "SHA256withECDSA" : "SHA256withRSA")
                            .build(kp.getPrivate())).getEncoded();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] certOf(CspCard c) {
        try {
            java.security.cert.X509Certificate x = c.certificate(SLOT);
            return x == null ? null : x.getEncoded();
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new AssertionError(e);
        }
    }

    /**
     * PUT CERTIFICATE over an existing one: the new certificate (RSA-2048 subject key, about 700
     * bytes) goes in as an ISO 7816-4 chain. Invariants: the slot holds the old or the new
     * certificate, whole; its key still works; the re-run stores the new one.
     */
    @Test
    void putCertificateOverAnExistingOne() {
        byte[] old = certificate("EC", 256, "old");
        byte[] fresh = certificate("RSA", 2048, "new");
        assertTrue(fresh.length > 255, "the new certificate must need a chain");
        TearSweep.Result r = TearSweep.sweep("csp certificate", "csp", new TearSweep.Flow() {
            @Override
            public TearingSimulator start() {
                TearingSimulator card = newCsp();
                CspCard c = csp(card);
                generate(c);
                c.putCertificate(SLOT, old);
                return card;
            }

            @Override
            public void run(CardTransport t) {
                CspCard c = csp(t);
                c.login(PIN);
                c.putCertificate(SLOT, fresh);
            }

            @Override
            public void recover(TearingSimulator card, TearSweep.Point p, Map<String, String> before) {
                CspCard c = csp(card);
                byte[] now = certOf(c);
                assertTrue(java.util.Arrays.equals(now, old) || java.util.Arrays.equals(now, fresh),
                        "the slot holds neither the old nor the new certificate: " + (now == null ? "none" : now.length + " bytes"));
                c.login(PIN);
                assertKeyWorks(c);
                c.putCertificate(SLOT, fresh);
                assertArrayEquals(fresh, certOf(c));
                assertKeyWorks(c);
            }
        });
        TearSweep.assertNothingBroken(r, 5);
    }
}
