package dev.cardsmith.crypto;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Review finding: Cmac.verify accepted a MAC truncated to 1 byte, so any caller that let the
 * peer choose the length could be forged with probability 1/256.
 */
class CmacVerifyTest {

    static final byte[] KEY = Hex.parse("2B7E151628AED2A6ABF7158809CF4F3C");

    @Test
    void truncationBelowEightBytesIsRefused() {
        byte[] mac = Cmac.aes(KEY, "message".getBytes());
        for (int n = 0; n < Cmac.MIN_MAC_LENGTH; n++) {
            assertFalse(Cmac.verify(mac, Arrays.copyOf(mac, n)), n + "-byte MAC must be refused");
        }
        assertTrue(Cmac.verify(mac, Arrays.copyOf(mac, 8)));
        assertTrue(Cmac.verify(mac, mac));
    }

    @Test
    void wrongOrOverlongMacIsRefused() {
        byte[] mac = Cmac.aes(KEY, "message".getBytes());
        byte[] bad = mac.clone();
        bad[15] ^= 1;
        assertFalse(Cmac.verify(mac, bad));
        assertFalse(Cmac.verify(mac, Arrays.copyOf(mac, 17)));
        assertFalse(Cmac.verify(mac, null));
    }
}
