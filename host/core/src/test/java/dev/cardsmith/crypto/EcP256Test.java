package dev.cardsmith.crypto;

import org.junit.jupiter.api.Test;

import java.security.KeyPair;
import java.security.interfaces.ECPrivateKey;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The one host P-256: raw encodings, point validation on decode, ECDH and both signature forms. */
class EcP256Test {

    @Test
    void encodingsRoundTrip() {
        KeyPair kp = EcP256.generate();
        byte[] w = EcP256.encode(kp.getPublic());
        assertEquals(EcP256.POINT_LENGTH, w.length);
        assertEquals(0x04, w[0]);
        assertEquals(kp.getPublic(), EcP256.decode(w));
        assertEquals(32, EcP256.encodePrivate((ECPrivateKey) kp.getPrivate()).length);
    }

    @Test
    void decodeRefusesPointsOffTheCurve() {
        byte[] w = EcP256.encode(EcP256.generate().getPublic());
        byte[] off = w.clone();
        off[64] ^= 1; // y no longer matches x
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EcP256.decode(off));
        assertEquals("point is not on P-256", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> EcP256.decode(new byte[65]), "04 00..00 is not a point");
        byte[] zero = new byte[65];
        zero[0] = 4;
        assertThrows(IllegalArgumentException.class, () -> EcP256.decode(zero));
        assertThrows(IllegalArgumentException.class, () -> EcP256.decode(Arrays.copyOf(w, 64)), "short");
        byte[] compressedTag = w.clone();
        compressedTag[0] = 2;
        assertThrows(IllegalArgumentException.class, () -> EcP256.decode(compressedTag));
        assertThrows(IllegalArgumentException.class, () -> EcP256.decode(null));
        assertThrows(IllegalArgumentException.class, () -> EcP256.agree(EcP256.generate().getPrivate(), off), "no ECDH with an invalid point");
    }

    @Test
    void ecdhAgreesBothWays() {
        KeyPair a = EcP256.generate();
        KeyPair b = EcP256.generate();
        byte[] z = EcP256.agree(a.getPrivate(), EcP256.encode(b.getPublic()));
        assertEquals(32, z.length);
        assertArrayEquals(z, EcP256.agree(b.getPrivate(), a.getPublic()));
    }

    @Test
    void signaturesInDerAndPlainForm() {
        KeyPair kp = EcP256.generate();
        byte[] msg = "cardsmith".getBytes();
        byte[] der = EcP256.signDer(kp.getPrivate(), msg);
        assertTrue(EcP256.verifyDer(kp.getPublic(), msg, der));
        assertFalse(EcP256.verifyDer(kp.getPublic(), "other".getBytes(), der));
        assertFalse(EcP256.verifyDer(kp.getPublic(), msg, new byte[] {0x30, 0}), "malformed DER is just invalid");
        byte[] plain = EcP256.derToPlain(der);
        assertEquals(64, plain.length);
        assertTrue(EcP256.verifyDer(kp.getPublic(), msg, EcP256.plainToDer(plain)));
        assertThrows(IllegalArgumentException.class, () -> EcP256.plainToDer(new byte[63]), "not r || s");
        assertThrows(IllegalArgumentException.class, () -> EcP256.derToPlain(new byte[] {1, 2, 3}));
    }

    @Test
    void randomBytesAreFresh() {
        assertEquals(16, Rng.bytes(16).length);
        assertFalse(Arrays.equals(Rng.bytes(16), Rng.bytes(16)));
    }
}
