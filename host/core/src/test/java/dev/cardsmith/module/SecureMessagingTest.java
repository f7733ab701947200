package dev.cardsmith.module;

import dev.cardsmith.applet.module.Constants;
import dev.cardsmith.crypto.Cmac;
import org.junit.jupiter.api.Test;

import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.util.Arrays;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Perso-channel secure messaging, checked against the format written out with JDK primitives. */
class SecureMessagingTest {

    static final SessionKeys.Perso KEYS = new SessionKeys.Perso(
            HexFormat.of().parseHex("000102030405060708090a0b0c0d0e0f"),
            HexFormat.of().parseHex("101112131415161718191a1b1c1d1e1f"),
            HexFormat.of().parseHex("202122232425262728292a2b2c2d2e2f"));

    static byte[] ssc(int n) {
        byte[] s = new byte[16];
        s[15] = (byte) n;
        return s;
    }

    @Test
    void commandFormat() throws Exception {
        SecureMessaging sm = new SecureMessaging(KEYS);
        byte[] plain = "hello module".getBytes();
        byte[] w = sm.wrapCommand(0x22, 0, 0, plain);
        assertEquals(32, w.length);
        byte[] ct = Arrays.copyOf(w, 16);
        Cipher ecb = Cipher.getInstance("AES/ECB/NoPadding");
        ecb.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(KEYS.enc(), "AES"));
        byte[] iv = ecb.doFinal(ssc(1));
        Cipher cbc = Cipher.getInstance("AES/CBC/NoPadding");
        cbc.init(Cipher.DECRYPT_MODE, new SecretKeySpec(KEYS.enc(), "AES"), new IvParameterSpec(iv));
        byte[] p = cbc.doFinal(ct);
        assertArrayEquals(plain, Arrays.copyOf(p, plain.length));
        assertEquals((byte) 0x80, p[plain.length]);
        assertArrayEquals(Cmac.aes(KEYS.mac(), Tlv.concat(ssc(1), new byte[]{0x22, 0, 0}, ct)), Arrays.copyOfRange(w, 16, 32));
    }

    @Test
    void responseMacIsCheckedAndSscAdvances() throws Exception {
        SecureMessaging host = new SecureMessaging(KEYS);
        host.wrapCommand(Constants.INS_PERSO_STORE_CERTS, 0, 0, new byte[0]);
        // what the card sends: SSC 2, empty plaintext -> R-MAC only
        byte[] rmac = Cmac.aes(KEYS.rmac(), ssc(2));
        assertEquals(0, host.unwrapResponse(rmac).length);
        SecureMessaging other = new SecureMessaging(KEYS);
        other.wrapCommand(0x26, 0, 0, new byte[0]);
        byte[] bad = rmac.clone();
        bad[0] ^= 1;
        assertThrows(ModuleException.class, () -> other.unwrapResponse(bad));
        assertThrows(ModuleException.class, () -> new SecureMessaging(KEYS).unwrapResponse(new byte[5]));
    }

    @Test
    void paddingIsIso9797Method2() {
        assertEquals(16, SecureMessaging.pad(new byte[15]).length);
        assertEquals(32, SecureMessaging.pad(new byte[16]).length);
        assertEquals((byte) 0x80, SecureMessaging.pad(new byte[16])[16]);
    }
}
