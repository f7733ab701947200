package dev.cardsmith.psd;

import dev.cardsmith.crypto.Hex;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The host checks the key information of the INITIALIZE UPDATE response (GP Card Specification
 * v2.3 Amendment D 7.1.2: kvn || 03 || i) against what it asked for, before it computes or
 * sends anything else. Crafted responses, derived from the pySim SCP03 trace (level 11: kvn 30,
 * i = 70, 32 bytes); the key information bytes do not enter the KDF, so the card cryptogram of
 * the trace still verifies after they are changed: only the new checks can refuse them.
 */
class Scp03KeyInformationTest {
    Properties p;
    byte[] hostChallenge;
    byte[] response;

    @BeforeEach
    void load() throws Exception {
        p = Scp03KnownAnswerTest.v();
        hostChallenge = Arrays.copyOfRange(Hex.parse(p.getProperty("l11.init_upd_cmd")), 5, 13);
        response = Hex.parse(p.getProperty("l11.init_upd_rsp"));
    }

    private Scp03 host() {
        return new Scp03(Scp03.StaticKey.of(Hex.parse(p.getProperty("enc"))), Scp03.StaticKey.of(Hex.parse(p.getProperty("mac"))));
    }

    private static byte[] with(byte[] r, int index, int value) {
        byte[] c = r.clone();
        c[index] = (byte) value;
        return c;
    }

    @Test
    void traceAsPublishedPasses() {
        Scp03 s = host();
        s.initializeUpdate(0x30, hostChallenge);
        s.onInitializeUpdateResponse(response);
        assertEquals(0x30, s.keyVersion());
        assertEquals(0x70, s.scpParameter());
    }

    @Test
    void anotherKeyVersionThanRequestedInP1IsRefused() {
        Scp03 s = host();
        s.initializeUpdate(0x30, hostChallenge);
        Scp03.Scp03Exception e = assertThrows(Scp03.Scp03Exception.class, () -> s.onInitializeUpdateResponse(with(response, 10, 0x2F)));
        assertTrue(e.getMessage().contains("key version 2F, expected 30"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> s.externalAuthenticate(0x11), "no EXTERNAL AUTHENTICATE after the refusal");
    }

    @Test
    void withP1ZeroTheExpectedKeyVersionIsChecked() {
        Scp03 s = host().expectKeyVersion(0x31);
        s.initializeUpdate(0, hostChallenge);
        Scp03.Scp03Exception e = assertThrows(Scp03.Scp03Exception.class, () -> s.onInitializeUpdateResponse(response));
        assertTrue(e.getMessage().contains("key version 30, expected 31"), e.getMessage());
        // without an expectation P1 = 00 takes the card's default key set
        Scp03 any = host();
        any.initializeUpdate(0, hostChallenge);
        any.onInitializeUpdateResponse(response);
        assertEquals(0x30, any.keyVersion());
    }

    @Test
    void scpIdentifierOtherThan03IsRefused() {
        for (int id : new int[] {0x01, 0x02, 0x10, 0xFF}) {
            Scp03 s = host();
            s.initializeUpdate(0x30, hostChallenge);
            Scp03.Scp03Exception e = assertThrows(Scp03.Scp03Exception.class, () -> s.onInitializeUpdateResponse(with(response, 11, id)));
            assertTrue(e.getMessage().contains("SCP identifier"), e.getMessage());
        }
    }

    @Test
    void unsupportedIValuesAreRefused() {
        // S16 mode (b1), RFU bits, R-ENC without R-MAC
        for (int i : new int[] {0x71, 0x78, 0xF0, 0x50}) {
            Scp03 s = host();
            s.initializeUpdate(0x30, hostChallenge);
            Scp03.Scp03Exception e = assertThrows(Scp03.Scp03Exception.class, () -> s.onInitializeUpdateResponse(with(response, 12, i)), "i=" + i);
            assertTrue(e.getMessage().contains("i=" + String.format("%02X", i)), e.getMessage());
        }
    }

    @Test
    void lengthMustMatchTheChallengeModeOfI() {
        Scp03 s = host();
        s.initializeUpdate(0x30, hostChallenge);
        // i = 60 (random challenge) means 29 bytes: a 32-byte answer is refused
        assertThrows(Scp03.Scp03Exception.class, () -> s.onInitializeUpdateResponse(with(response, 12, 0x60)));
        Scp03 t = host();
        t.initializeUpdate(0x30, hostChallenge);
        // i = 70 (pseudo-random) means a sequence counter: 29 bytes are refused
        assertThrows(Scp03.Scp03Exception.class, () -> t.onInitializeUpdateResponse(Arrays.copyOf(response, 29)));
    }

    @Test
    void securityLevelMustBeSupportedByI() {
        Scp03 s = host();
        s.initializeUpdate(0x30, hostChallenge);
        s.onInitializeUpdateResponse(with(Arrays.copyOf(response, 29), 12, 0x00)); // random challenge, no R-MAC/R-ENC
        assertThrows(Scp03.Scp03Exception.class, () -> s.externalAuthenticate(0x11));
        assertThrows(Scp03.Scp03Exception.class, () -> s.externalAuthenticate(0x33));
        assertNotNull(s.externalAuthenticate(0x03));
        Scp03 r = host();
        r.initializeUpdate(0x30, hostChallenge);
        r.onInitializeUpdateResponse(with(response, 12, 0x30)); // R-MAC without R-ENC
        assertThrows(Scp03.Scp03Exception.class, () -> r.externalAuthenticate(0x33));
        assertNotNull(r.externalAuthenticate(0x13));
    }
}
