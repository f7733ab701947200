package dev.cardsmith.ota;

import javax.smartcardio.CommandAPDU;
import java.util.Arrays;

/**
 * The personalization unit's side of the sim applet's PERSONALIZE (docs/ota.md "On the card"):
 * the key set (the 38-byte install-parameter format) under the transport key the SIM was installed
 * with: ENC(K_enc, key set || 80 00..) || CMAC8(K_mac, ciphertext), K_enc / K_mac = CMAC(KT, 'P' 01 / 02).
 */
public final class SimPersonalization {

    /** The development transport key (TEST KEY ONLY). */
    public static final byte[] DEV_TRANSPORT_KEY = OtaPersonalization.DEV_TRANSPORT_KEY;

    private SimPersonalization() {}

    public static CommandAPDU command(byte[] transportKey, OtaKeys keys, int msl) {
        return OtaPersonalization.command(transportKey, keys, msl);
    }

    static byte[] filled(int b) {
        byte[] k = new byte[16];
        Arrays.fill(k, (byte) b);
        return k;
    }
}
