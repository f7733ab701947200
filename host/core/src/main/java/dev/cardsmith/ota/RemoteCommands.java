package dev.cardsmith.ota;

import dev.cardsmith.codec.Imei;
import dev.cardsmith.applet.sim.Constants;

import java.io.ByteArrayOutputStream;
import java.time.LocalDate;

/**
 * The sim applet's remote commands in the compact format of ETSI TS 102 226 5.1.1
 * (CLA INS P1 P2 Lc data, concatenated), built from the applet's own {@link Constants}.
 */
public final class RemoteCommands {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    public static RemoteCommands create() { return new RemoteCommands(); }

    public byte[] bytes() { return out.toByteArray(); }

    private RemoteCommands add(byte ins, int p1, byte[] data) {
        if (data.length > 255) throw new IllegalArgumentException("remote command data > 255 bytes");
        out.write(Constants.CLA_PROPRIETARY);
        out.write(ins);
        out.write(p1);
        out.write(0);
        out.write(data.length);
        out.writeBytes(data);
        return this;
    }

    private static byte[] day(LocalDate d) {
        int n = OtaDates.toDay(d);
        return new byte[] {(byte) (n >> 8), (byte) n};
    }

    public RemoteCommands setDate(LocalDate today) { return add(Constants.INS_OTA_SET_DATE, 0, day(today)); }

    /**
     * INIT_TRUST (Fig. 1 steps 20-22): authentication key (16-byte AES key, or 65-byte uncompressed
     * EC P-256 public key), terminal characteristics (IMEI, maximum output), expiry, key lifetime
     * in days for SIM-generated updates, and the current date.
     */
    public RemoteCommands initTrust(byte keyType, byte[] authKey, String imei, int maxOutput, LocalDate expiry,
                                    int lifetimeDays, LocalDate today) {
        if (lifetimeDays < 1 || lifetimeDays > Short.MAX_VALUE) throw new IllegalArgumentException("lifetime must be 1..32767 days");
        ByteArrayOutputStream t = new ByteArrayOutputStream();
        tlv(t, Constants.TAG_KEY_TYPE, new byte[] {keyType});
        tlv(t, Constants.TAG_AUTH_KEY, authKey);
        tlv(t, Constants.TAG_IMEI, Imei.mobileIdentity(imei));
        tlv(t, Constants.TAG_MAX_OUTPUT, new byte[] {(byte) maxOutput});
        tlv(t, Constants.TAG_EXPIRY, day(expiry));
        tlv(t, Constants.TAG_LIFETIME, new byte[] {(byte) (lifetimeDays >> 8), (byte) lifetimeDays});
        tlv(t, Constants.TAG_CURRENT_DATE, day(today));
        return add(Constants.INS_OTA_INIT_TRUST, 0, t.toByteArray());
    }

    public RemoteCommands revoke() { return add(Constants.INS_OTA_REVOKE, 0, new byte[0]); }

    public RemoteCommands requestUpdate() { return add(Constants.INS_OTA_REQUEST_UPDATE, 0, new byte[0]); }

    /** SIM_KEY P1 00: the SIM answers its identity key's public point (EC variant). */
    public RemoteCommands readSimKey() { return add(Constants.INS_OTA_SIM_KEY, Constants.P1_SIM_KEY_READ, new byte[0]); }

    /** SIM_KEY P1 01: the operator's certificate (DER ECDSA signature over 'O' || point) for the SIM to keep. */
    public RemoteCommands simCertificate(byte[] der) { return add(Constants.INS_OTA_SIM_KEY, Constants.P1_SIM_KEY_CERTIFY, der); }

    public RemoteCommands status() { return add(Constants.INS_OTA_STATUS, 0, new byte[0]); }

    /** DRM license: content id, content key, play count (0xFFFF unlimited), validity window. */
    public RemoteCommands license(int contentId, byte[] contentKey, int plays, LocalDate from, LocalDate until) {
        if (contentKey.length != 16) throw new IllegalArgumentException("content key must be 16 bytes");
        if (plays < 0 || plays > 0xFFFF) throw new IllegalArgumentException("plays must be 0..65535");
        ByteArrayOutputStream d = new ByteArrayOutputStream();
        d.write(contentId >> 8);
        d.write(contentId);
        d.writeBytes(contentKey);
        d.write(plays >> 8);
        d.write(plays);
        d.writeBytes(day(from));
        d.writeBytes(day(until));
        return add(Constants.INS_OTA_LICENSE, Constants.P1_LICENSE_PUT, d.toByteArray());
    }

    public RemoteCommands deleteLicense(int contentId) {
        return add(Constants.INS_OTA_LICENSE, Constants.P1_LICENSE_DELETE, new byte[] {(byte) (contentId >> 8), (byte) contentId});
    }

    private static void tlv(ByteArrayOutputStream o, byte tag, byte[] v) {
        o.write(tag);
        o.write(v.length);
        o.writeBytes(v);
    }
}
