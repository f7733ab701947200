package dev.cardsmith.tear;

import dev.cardsmith.simulator.AppletRegistry;
import dev.cardsmith.simulator.tear.TearingSimulator;
import dev.cardsmith.support.RawPiv;
import dev.cardsmith.transport.CardSession;
import dev.cardsmith.transport.CardTransport;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Tear sweep of the PIV applet's writes (docs/robustness.md, "Tearing"): GENERATE into an empty
 * slot and over an existing key (finding T2: the spare key record), CHANGE REFERENCE DATA, and
 * PUT DATA of a chained certificate over an existing one. Invariants: the slot is empty or holds
 * a key pair that signs under the public key the card reports (over an existing key: never
 * empty); exactly one of the old and new PIN works and a tear gives no try back; the certificate
 * object holds the old or the new certificate, whole; every re-run completes.
 */
@dev.cardsmith.support.SimulatorOnly("tears inside a command need the rollback runtime (TearingSimulator), which only a simulated card has")
class PivTearSweepTest {
    private static final byte[] PIN = RawPiv.pin("123456");
    private static final byte[] NEW_PIN = RawPiv.pin("24681357");
    private static final int KEY = 0x9A;
    private static final int CERT_OBJECT = 0x05;
    private static final int PIN_TRIES = 3;

    private static TearingSimulator newPiv() {
        return new TearingSimulator(List.of(AppletRegistry.byName("piv")));
    }

    private static RawPiv piv(CardTransport t) {
        RawPiv p = new RawPiv(new CardSession(t));
        p.select();
        return p;
    }

    /** A card the holder initialised: PIN changed away from the default. */
    private static TearingSimulator initialised() {
        TearingSimulator card = newPiv();
        assertEquals(0x9000, piv(card).changePin(PIN, NEW_PIN));
        return card;
    }

    private static void generate(RawPiv p) {
        p.admin(RawPiv.DEFAULT_MGMT);
        p.generate(KEY, 0x11);
    }

    private static void assertKeyWorks(RawPiv p) {
        try {
            byte[] w = p.ecPoint(KEY);
            assertNotNull(w, "no key");
            PublicKey pub = dev.cardsmith.crypto.EcP256.decode(w);
            byte[] data = "a tear never loses a key".getBytes(StandardCharsets.US_ASCII);
            assertEquals(0x9000, p.verify(NEW_PIN));
            byte[] sig = p.signEc(KEY, MessageDigest.getInstance("SHA-256").digest(data));
            Signature v = Signature.getInstance("SHA256withECDSA");
            v.initVerify(pub);
            v.update(data);
            assertTrue(v.verify(sig), "the slot's key pair does not match");
        } catch (java.security.GeneralSecurityException e) {
            throw new AssertionError(e);
        }
    }

    private static TearSweep.Result sweepKeyGeneration(String name, boolean occupied) {
        return TearSweep.sweep(name, "piv", new TearSweep.Flow() {
            @Override
            public TearingSimulator start() {
                TearingSimulator card = initialised();
                if (occupied) generate(piv(card));
                return card;
            }

            @Override public void run(CardTransport t) { generate(piv(t)); }

            @Override
            public void recover(TearingSimulator card, TearSweep.Point p, Map<String, String> before) {
                RawPiv c = piv(card);
                if (occupied) assertNotNull(c.metadata(KEY), "the old key is gone and no new one is there");
                if (c.metadata(KEY) != null) assertKeyWorks(c);
                generate(c);
                assertKeyWorks(c);
            }
        });
    }

    @Test
    void generateIntoAnEmptySlot() {
        TearSweep.assertNothingBroken(sweepKeyGeneration("piv keygen", false), 5);
    }

    /** Finding T2 (docs/robustness.md, fixed in csp, kept in piv): the new key is made in the spare record, the slot flips to it. */
    @Test
    void generateOverAnExistingKey() {
        TearSweep.assertNothingBroken(sweepKeyGeneration("piv regenerate", true), 5);
    }

    @Test
    void changePin() {
        TearSweep.Result r = TearSweep.sweep("piv pin change", "piv", new TearSweep.Flow() {
            @Override public TearingSimulator start() { return newPiv(); }

            @Override public void run(CardTransport t) { assertEquals(0x9000, piv(t).changePin(PIN, NEW_PIN)); }

            @Override
            public void recover(TearingSimulator card, TearSweep.Point p, Map<String, String> before) {
                RawPiv c = piv(card);
                int tries = c.pinTriesLeft();
                assertTrue(tries == PIN_TRIES || tries == PIN_TRIES - 1, "PIN tries after the tear: " + tries);
                if (c.verify(PIN) == 0x9000) {
                    assertEquals(0x9000, c.changePin(PIN, NEW_PIN));
                } else {
                    assertEquals(0x9000, c.verify(NEW_PIN), "neither the old nor the new PIN works");
                }
                c.select();
                assertEquals(0x9000, c.verify(NEW_PIN));
                c.release();
                assertEquals(PIN_TRIES, c.pinTriesLeft(), "PIN tries after the re-run");
            }
        });
        // the PIN lives in an OwnerPIN, framework state the runtime does not see: APDU boundaries only
        TearSweep.assertNothingBroken(r, 2);
    }

    /** PUT DATA of an RSA-2048 certificate (about 700 bytes, a chain of APDUs) over an EC one. */
    @Test
    void putCertificateOverAnExistingOne() {
        byte[] old = SelfSigned.certificate("EC", 256, "old");
        byte[] fresh = SelfSigned.certificate("RSA", 2048, "new");
        assertTrue(fresh.length > 255, "the new certificate must need a chain");
        TearSweep.Result r = TearSweep.sweep("piv certificate", "piv", new TearSweep.Flow() {
            @Override
            public TearingSimulator start() {
                TearingSimulator card = initialised();
                RawPiv c = piv(card);
                generate(c);
                c.putCertificate(CERT_OBJECT, old);
                return card;
            }

            @Override
            public void run(CardTransport t) {
                RawPiv c = piv(t);
                c.admin(RawPiv.DEFAULT_MGMT);
                c.putCertificate(CERT_OBJECT, fresh);
            }

            @Override
            public void recover(TearingSimulator card, TearSweep.Point p, Map<String, String> before) {
                RawPiv c = piv(card);
                byte[] now = c.certificate(CERT_OBJECT);
                assertTrue(Arrays.equals(now, old) || Arrays.equals(now, fresh),
                        "the object holds neither the old nor the new certificate: " + (now == null ? "none" : now.length + " bytes"));
                assertKeyWorks(c);
                c.admin(RawPiv.DEFAULT_MGMT);
                c.putCertificate(CERT_OBJECT, fresh);
                assertArrayEquals(fresh, c.certificate(CERT_OBJECT));
                assertKeyWorks(c);
            }
        });
        TearSweep.assertNothingBroken(r, 5);
    }

}
