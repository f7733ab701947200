package dev.cardsmith.module;

import dev.cardsmith.codec.Tlv;
import dev.cardsmith.applet.module.Constants;
import dev.cardsmith.transport.CardsmithAids;

import javax.smartcardio.CommandAPDU;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/** Pure builders and parsers for the module applet's APDUs (docs/module.md), from its Constants. */
public final class ModuleApdus {

    /** Instance AID F0 43 53 4D 54 02 01. */
    public static final byte[] INSTANCE_AID = CardsmithAids.MODULE.instanceAid();
    public static final byte[] PACKAGE_AID = CardsmithAids.MODULE.packageAid();

    private ModuleApdus() {}

    private static CommandAPDU cmd(byte ins, int p1, byte[] data, boolean extended, boolean expectsData) {
        int cla = Constants.CLA_PROPRIETARY & 0xFF;
        int ne = !expectsData ? 0 : extended ? 65536 : 256;
        if (data == null || data.length == 0) {
            return ne == 0 ? new CommandAPDU(cla, ins & 0xFF, p1, 0) : new CommandAPDU(cla, ins & 0xFF, p1, 0, ne);
        }
        return ne == 0 ? new CommandAPDU(cla, ins & 0xFF, p1, 0, data) : new CommandAPDU(cla, ins & 0xFF, p1, 0, data, ne);
    }

    public static CommandAPDU getStatus(int what) { return cmd(Constants.INS_GET_STATUS, what, null, false, true); }

    public static CommandAPDU setCheckingKey(byte[] point) { return cmd(Constants.INS_SET_CHECKING_KEY, 0, point, false, false); }

    public static CommandAPDU generateIdentity() { return cmd(Constants.INS_GENERATE_IDENTITY, 0, null, false, true); }

    public static CommandAPDU storeIdentityCert(byte[] cert, boolean extended) { return cmd(Constants.INS_STORE_IDENTITY_CERT, 0, cert, extended, false); }

    /** From the personalization state (no data). An operating module needs {@link #enterPersonalization(byte[])}. */
    public static CommandAPDU enterPersonalization() { return cmd(Constants.INS_ENTER_PERSONALIZATION, 0, null, false, false); }

    /** From the operating state: 5F37 release authorization (DER ECDSA over {@link #releaseTranscript}). */
    public static CommandAPDU enterPersonalization(byte[] derSignature) {
        return cmd(Constants.INS_ENTER_PERSONALIZATION, 0, Tlv.of(Constants.TAG_SIGNATURE, derSignature), false, false);
    }

    public static CommandAPDU releaseChallenge() { return cmd(Constants.INS_RELEASE_CHALLENGE, 0, null, false, true); }

    /** What a release authorization signs: 'E' || challenge || module public key (docs/module.md). */
    public static byte[] releaseTranscript(byte[] challenge, byte[] modulePoint) {
        return Tlv.concat(new byte[]{Constants.SIG_CONTEXT_RELEASE}, challenge, modulePoint);
    }

    /** RELEASE CHALLENGE response: 81 challenge || 85 module public key. */
    public record ReleaseChallenge(byte[] challenge, byte[] modulePoint) {}

    public static ReleaseChallenge parseReleaseChallenge(byte[] r) {
        Tlv.Reader rd = new Tlv.Reader(r, ModuleException::new);
        byte[] challenge = rd.expect(Constants.TAG_NONCE).value();
        byte[] point = rd.expect(Constants.TAG_MODULE_KEY).value();
        rd.expectEnd();
        if (challenge.length != Constants.NONCE_LENGTH) throw new ModuleException("release challenge has a wrong length");
        CvCertificate.point(point);
        return new ReleaseChallenge(challenge, point);
    }

    public static CommandAPDU enterTan(String tan) {
        return cmd(Constants.INS_ENTER_TAN, 0, tan.getBytes(StandardCharsets.US_ASCII), false, false);
    }

    public static CommandAPDU persoInitiate(byte[] persoCert, byte[] ephemeralPoint, boolean extended) {
        return cmd(Constants.INS_PERSO_INITIATE, 0, Tlv.concat(persoCert, Tlv.of(Constants.TAG_EPHEMERAL_KEY, ephemeralPoint)), extended, true);
    }

    public static CommandAPDU persoAuthenticate(byte[] protectedData) {
        return cmd(Constants.INS_PERSO_AUTHENTICATE, 0, protectedData, false, true);
    }

    public static CommandAPDU persoStoreCerts(byte[] protectedData, boolean extended) {
        return cmd(Constants.INS_PERSO_STORE_CERTS, 0, protectedData, extended, true);
    }

    public static CommandAPDU centralAuthenticate(byte[] ephemeralPoint, boolean extended) {
        return cmd(Constants.INS_CENTRAL_AUTHENTICATE, 0, Tlv.of(Constants.TAG_EPHEMERAL_KEY, ephemeralPoint), extended, true);
    }

    public static CommandAPDU centralConfirm(byte[] derSignature) {
        return cmd(Constants.INS_CENTRAL_CONFIRM, 0, Tlv.of(Constants.TAG_SIGNATURE, derSignature), false, false);
    }

    public static CommandAPDU transaction(byte[] counterPayloadMac) {
        return cmd(Constants.INS_TRANSACTION, 0, counterPayloadMac, false, true);
    }

    /** GET STATUS P1=00 response. */
    public record Status(int state, int flags, String certificateDate, long transactionCounter) {
        public boolean operating() { return state == Constants.STATE_OPERATING; }
        public boolean has(byte flag) { return (flags & flag) != 0; }

        public String stateName() {
            return state == Constants.STATE_OPERATING ? "operating" : state == Constants.STATE_PERSONALIZATION ? "personalization" : "unknown";
        }
    }

    public static Status parseStatus(byte[] r) {
        if (r.length != 12) throw new ModuleException("GET STATUS returned " + r.length + " bytes");
        StringBuilder d = new StringBuilder();
        for (int i = 2; i < 8; i++) d.append((char) ('0' + r[i]));
        long ctr = ((r[8] & 0xFFL) << 24) | ((r[9] & 0xFF) << 16) | ((r[10] & 0xFF) << 8) | (r[11] & 0xFF);
        return new Status(r[0] & 0xFF, r[1] & 0xFF, d.toString(), ctr);
    }
}
