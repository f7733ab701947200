package dev.cardsmith.vault;

import dev.cardsmith.applet.vault.Constants;
import dev.cardsmith.transport.CardsmithAids;

import javax.smartcardio.CommandAPDU;

/** The vault's commands as pure functions (docs/vault.md); values from the applet's Constants. */
public final class VaultApdus {
    private VaultApdus() {}

    private static final int CLA = Constants.CLA_PROPRIETARY & 0xFF;

    public static byte[] instanceAid() {
        return CardsmithAids.VAULT.instanceAid();
    }

    public static CommandAPDU getData(short p1p2) {
        return new CommandAPDU(CLA, Constants.INS_GET_DATA & 0xFF, (p1p2 >> 8) & 0xFF, p1p2 & 0xFF, 256);
    }

    public static CommandAPDU setManufacturerKey(byte[] point) {
        return new CommandAPDU(CLA, Constants.INS_PUT_DATA & 0xFF, 0x00, Constants.P1P2_MANUFACTURER_KEY & 0xFF, point);
    }

    public static CommandAPDU storePackage(byte[] dataPackage) {
        return new CommandAPDU(CLA, Constants.INS_STORE_PACKAGE & 0xFF, 0, 0, dataPackage, 256);
    }

    public static CommandAPDU storeCertificate(byte[] certificate) {
        return new CommandAPDU(CLA, Constants.INS_STORE_CERTIFICATE & 0xFF, 0, 0, certificate);
    }

    public static CommandAPDU restore(byte[] backup) {
        return new CommandAPDU(CLA, Constants.INS_RESTORE & 0xFF, 0, 0, backup);
    }

    public static CommandAPDU getChallenge() {
        return new CommandAPDU(CLA, Constants.INS_GET_CHALLENGE & 0xFF, 0, 0, Constants.CHALLENGE_LENGTH);
    }

    public static CommandAPDU wipe(byte[] signature) {
        return new CommandAPDU(CLA, Constants.INS_WIPE & 0xFF, 0, 0, signature);
    }

    /** GET BACKUP with its request MAC (see {@link #backupRequestInput}). */
    public static CommandAPDU getBackup(byte[] requestMac) {
        return new CommandAPDU(CLA, Constants.INS_GET_BACKUP & 0xFF, 0, 0, requestMac, 256);
    }

    /** What the channel key MACs to ask for GET BACKUP: 51 || chip ID || challenge. */
    public static byte[] backupRequestInput(byte[] chipId, byte[] challenge) {
        return concat(Constants.BACKUP_REQUEST_DOMAIN, chipId, challenge);
    }

    /** What the card's GET BACKUP answer MAC covers: 42 || challenge || device public key || backup. */
    public static byte[] backupResponseInput(byte[] challenge, byte[] devicePublicKey, byte[] backup) {
        return concat(Constants.BACKUP_RESPONSE_DOMAIN, challenge, devicePublicKey, backup);
    }

    private static byte[] concat(byte domain, byte[]... parts) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.write(domain);
        for (byte[] p : parts) out.writeBytes(p);
        return out.toByteArray();
    }

    /** p2 = Constants.P2_PROVE_CHANNEL_KEY or P2_PROVE_DEVICE_KEY. */
    public static CommandAPDU prove(byte p2, byte[] challenge) {
        return new CommandAPDU(CLA, Constants.INS_PROVE & 0xFF, 0, p2 & 0xFF, challenge, 256);
    }

    /** The bytes the manufacturer key signs to authorize a WIPE: 57 || chip ID || challenge. */
    public static byte[] wipeToBeSigned(byte[] chipId, byte[] challenge) {
        byte[] tbs = new byte[1 + chipId.length + challenge.length];
        tbs[0] = Constants.WIPE_DOMAIN;
        System.arraycopy(chipId, 0, tbs, 1, chipId.length);
        System.arraycopy(challenge, 0, tbs, 1 + chipId.length, challenge.length);
        return tbs;
    }
}
