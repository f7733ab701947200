package dev.cardsmith.vault;

import dev.cardsmith.applet.vault.Constants;
import dev.cardsmith.crypto.Cmac;
import dev.cardsmith.crypto.EcP256;

import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.io.ByteArrayOutputStream;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * The sealed data package of STORE PACKAGE (docs/vault.md): the package reaches exactly one chip,
 * confidential and authenticated, and only once. Pure functions, no card.
 *
 * <p>Command data: {@code 02 | E (host ephemeral P-256 point) | AES-CBC(K_enc, 0, pad(package)) |
 * CMAC(K_mac, all before)}, with Z = ECDH(e, chip agreement key) (x only), K_enc / K_mac =
 * CMAC(Z, 01 || 'e' / 'm' || 00 || chip ID || challenge || 0080) and challenge the card's last
 * GET CHALLENGE. The card answers {@code backup | CMAC(K_mac, 52 || backup)}: only the chip that
 * holds the agreement key (and saw this challenge) can compute it.
 */
public final class PackageSeal implements AutoCloseable {
    private final byte[] command;
    private final byte[] kMac;

    private PackageSeal(byte[] command, byte[] kMac) {
        this.command = command;
        this.kMac = kMac;
    }

    /** Seals {@code plainPackage} (DataPackage.encode()) to one chip and one challenge. */
    public static PackageSeal seal(byte[] chipId, byte[] agreementKey, byte[] challenge, byte[] plainPackage) {
        if (agreementKey == null) {
            throw new VaultException(VaultException.Kind.STATE, "the card reports no chip agreement key: its vault applet is "
                    + "older than sealed packages (issue 13); load the current applet");
        }
        if (challenge.length != Constants.CHALLENGE_LENGTH) throw new VaultException(VaultException.Kind.VERIFICATION, "card challenge has the wrong length");
        KeyPair eph = EcP256.generate();
        byte[] z = EcP256.agree(eph.getPrivate(), agreementKey); // checks the chip's point on the curve
        byte[] kEnc = derive(z, Constants.KDF_LABEL_SEAL_ENC, chipId, challenge);
        byte[] kMac = derive(z, Constants.KDF_LABEL_SEAL_MAC, chipId, challenge);
        Arrays.fill(z, (byte) 0);
        byte[] padded = Arrays.copyOf(plainPackage, (plainPackage.length / Constants.AES_BLOCK + 1) * Constants.AES_BLOCK);
        padded[plainPackage.length] = (byte) 0x80;
        try {
            Cipher c = Cipher.getInstance("AES/CBC/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(kEnc, "AES"), new IvParameterSpec(new byte[Constants.AES_BLOCK]));
            ByteArrayOutputStream o = new ByteArrayOutputStream();
            o.write(Constants.SEALED_FORMAT);
            o.writeBytes(EcP256.encode(eph.getPublic()));
            o.writeBytes(c.doFinal(padded));
            o.writeBytes(Cmac.aes(kMac, o.toByteArray()));
            return new PackageSeal(o.toByteArray(), kMac);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-CBC unavailable", e);
        } finally {
            Arrays.fill(kEnc, (byte) 0);
            Arrays.fill(padded, (byte) 0);
        }
    }

    /** SP 800-108 counter mode, PRF AES-CMAC, one block, as the card computes it. */
    static byte[] derive(byte[] z, byte label, byte[] chipId, byte[] challenge) {
        ByteArrayOutputStream in = new ByteArrayOutputStream();
        in.write(0x01);
        in.write(label);
        in.write(0x00);
        in.writeBytes(chipId);
        in.writeBytes(challenge);
        in.write(0x00);
        in.write(0x80);
        return Cmac.aes(z, in.toByteArray());
    }

    /** The STORE PACKAGE command data (nothing in it is readable without the chip's agreement key). */
    public byte[] command() { return command.clone(); }

    /**
     * Checks the card's answer (backup | response MAC) and returns the backup package: a chip
     * without the agreement key the package was sealed to cannot produce the MAC.
     */
    public BackupPackage openResponse(byte[] response) {
        if (response.length <= Constants.MAC_LENGTH) {
            throw new VaultException(VaultException.Kind.VERIFICATION, "STORE PACKAGE answer too short");
        }
        int n = response.length - Constants.MAC_LENGTH;
        byte[] in = new byte[n + 1];
        in[0] = Constants.SEAL_RESPONSE_DOMAIN;
        System.arraycopy(response, 0, in, 1, n);
        if (!MessageDigest.isEqual(Cmac.aes(kMac, in), Arrays.copyOfRange(response, n, response.length))) {
            throw new VaultException(VaultException.Kind.VERIFICATION,
                    "the STORE PACKAGE answer is not authenticated by the chip the package was sealed to");
        }
        return BackupPackage.parse(Arrays.copyOf(response, n));
    }

    @Override
    public void close() {
        Arrays.fill(kMac, (byte) 0);
    }

    @Override
    public String toString() {
        return "PackageSeal[" + command.length + " bytes, keys redacted]";
    }
}
