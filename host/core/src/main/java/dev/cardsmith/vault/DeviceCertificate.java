package dev.cardsmith.vault;

import dev.cardsmith.codec.Tlv;
import dev.cardsmith.crypto.EcP256;
import dev.cardsmith.applet.vault.Constants;
import dev.cardsmith.hsm.Hsm;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.util.Arrays;
import java.util.List;

/**
 * The device-identity certificate (claims 2, 10, 19, 26): the association of the device
 * identity with the chip ID (and the device public key), signed with the manufacturer private
 * key. A compact card-verifiable format the applet parses in place (an X.509 parser does not
 * fit a card):
 * <pre>
 *   C0 01 01           format
 *   C1 10 chip ID
 *   C3 Ln identity     (an IMEI: 15 ASCII digits)
 *   C6 41 04||X||Y     device public key
 *   9E Ls signature    ECDSA-SHA256 (DER) by the manufacturer key over every byte before 9E
 * </pre>
 * Built with the HSM's ECDSA, verified on the host with the JCA and on the card with
 * javacard.security.Signature.
 */
public record DeviceCertificate(byte[] encoded, byte[] chipId, byte[] identity, byte[] devicePublicKey,
                                byte[] signature, int tbsLength) {

    public static byte[] tbs(byte[] chipId, byte[] identity, byte[] devicePublicKey) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Tlv.putShort(out, Constants.TAG_FORMAT, new byte[] {Constants.CERTIFICATE_FORMAT});
        Tlv.putShort(out, Constants.TAG_CHIP_ID, chipId);
        Tlv.putShort(out, Constants.TAG_IDENTITY, identity);
        Tlv.putShort(out, Constants.TAG_DEVICE_PUBLIC_KEY, devicePublicKey);
        return out.toByteArray();
    }

    /** Signs with the manufacturer key inside the HSM. */
    public static DeviceCertificate issue(Hsm hsm, String manufacturerLabel, byte[] chipId, byte[] identity, byte[] devicePublicKey) {
        byte[] tbs = tbs(chipId, identity, devicePublicKey);
        byte[] sig = hsm.signSha256WithEcdsa(manufacturerLabel, tbs);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(tbs);
        Tlv.putShort(out, Constants.TAG_SIGNATURE, sig);
        return parse(out.toByteArray());
    }

    /** Strict parse: the four fields and the signature in this order, nothing else. */
    public static DeviceCertificate parse(byte[] b) {
        List<Tlv.Element> items = Tlv.parseShort(b);
        byte[] tags = {Constants.TAG_FORMAT, Constants.TAG_CHIP_ID, Constants.TAG_IDENTITY, Constants.TAG_DEVICE_PUBLIC_KEY, Constants.TAG_SIGNATURE};
        if (items.size() != tags.length) throw new IllegalArgumentException("not a vault device certificate");
        for (int i = 0; i < tags.length; i++) {
            if ((byte) items.get(i).tag() != tags[i]) throw new IllegalArgumentException("not a vault device certificate");
        }
        if (items.get(0).value().length != 1 || items.get(0).value()[0] != Constants.CERTIFICATE_FORMAT) {
            throw new IllegalArgumentException("unknown certificate format");
        }
        if (items.get(1).value().length != Constants.CHIP_ID_LENGTH) throw new IllegalArgumentException("bad chip ID in certificate");
        if (items.get(3).value().length != Constants.EC_POINT_LENGTH) throw new IllegalArgumentException("bad device key in certificate");
        return new DeviceCertificate(b.clone(), items.get(1).value(), items.get(2).value(), items.get(3).value(),
                items.get(4).value(), items.get(4).start());
    }

    /** True when the signature verifies under the manufacturer public key. */
    public boolean verify(PublicKey manufacturerKey) {
        return EcP256.verifyDer(manufacturerKey, Arrays.copyOf(encoded, tbsLength), signature);
    }

    public String identityText() { return new String(identity, StandardCharsets.US_ASCII); }

    @Override public byte[] encoded() { return encoded.clone(); }
}
