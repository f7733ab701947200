package dev.cardsmith.vault;

import dev.cardsmith.codec.Tlv;
import dev.cardsmith.applet.vault.Constants;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;

/**
 * The data package the secure processing point stores in the device (claims 1, 3-7): device
 * identity, symmetric channel key, device key pair. Encoded C3 identity | C4 channel key |
 * C5 private S | C6 public 04||X||Y. Holds secrets: {@link #toString()} redacts, {@link #destroy()}
 * zeroes.
 */
public final class DataPackage {
    private final byte[] identity;
    private final byte[] channelKey;
    private final byte[] privateKey;
    private final byte[] publicKey;

    public DataPackage(byte[] identity, byte[] channelKey, byte[] privateKey, byte[] publicKey) {
        if (identity.length < Constants.IDENTITY_MIN || identity.length > Constants.IDENTITY_MAX) {
            throw new IllegalArgumentException("device identity must be 1.." + Constants.IDENTITY_MAX + " bytes");
        }
        if (channelKey.length != Constants.CHANNEL_KEY_LENGTH) throw new IllegalArgumentException("channel key must be 16 bytes");
        if (privateKey.length != Constants.EC_PRIVATE_LENGTH) throw new IllegalArgumentException("device private key must be 32 bytes");
        if (publicKey.length != Constants.EC_POINT_LENGTH || publicKey[0] != 4) throw new IllegalArgumentException("device public key must be 04||X||Y");
        this.identity = identity.clone();
        this.channelKey = channelKey.clone();
        this.privateKey = privateKey.clone();
        this.publicKey = publicKey.clone();
    }

    public byte[] identity() { return identity.clone(); }
    public byte[] publicKey() { return publicKey.clone(); }

    /** The STORE PACKAGE command data. Contains secrets; the caller zeroes it after sending. */
    public byte[] encode() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Tlv.putShort(out, Constants.TAG_IDENTITY, identity);
        Tlv.putShort(out, Constants.TAG_CHANNEL_KEY, channelKey);
        Tlv.putShort(out, Constants.TAG_DEVICE_PRIVATE_KEY, privateKey);
        Tlv.putShort(out, Constants.TAG_DEVICE_PUBLIC_KEY, publicKey);
        return out.toByteArray();
    }

    public void destroy() {
        Arrays.fill(channelKey, (byte) 0);
        Arrays.fill(privateKey, (byte) 0);
    }

    @Override
    public String toString() {
        return "DataPackage[identity=" + new String(identity, java.nio.charset.StandardCharsets.US_ASCII) + ", keys redacted]";
    }
}
