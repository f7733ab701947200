package dev.cardsmith.vault;

import dev.cardsmith.applet.vault.Constants;

import java.util.Arrays;

/**
 * The backup package the card returns (claims 1, 9, 18): opaque to everyone but the chip.
 * <pre>
 *   off  len
 *   0    1    format 01
 *   1    16   chip ID
 *   17   2    package version (big endian)
 *   19   16   IV
 *   35   n    AES-128-CBC(K_enc, IV, package || 80 00..)   n = 16..160, multiple of 16
 *   35+n 16   AES-CMAC(K_mac, bytes 0 .. 35+n)
 * </pre>
 * K_enc/K_mac = SP 800-108 counter-mode CMAC of the chip key (see docs/vault.md). The host can
 * read the header, never the contents.
 */
public record BackupPackage(byte[] encoded, byte[] chipId, int packageVersion) {

    public static BackupPackage parse(byte[] b) {
        int ct = b.length - Constants.BACKUP_OVERHEAD;
        if (ct < Constants.AES_BLOCK || ct > Constants.PACKAGE_PADDED_MAX || ct % 16 != 0) {
            throw new IllegalArgumentException("not a vault backup package: length " + b.length);
        }
        if (b[Constants.BACKUP_OFF_FORMAT] != Constants.BACKUP_FORMAT) {
            throw new IllegalArgumentException("unknown backup package format " + (b[0] & 0xFF));
        }
        byte[] chip = Arrays.copyOfRange(b, Constants.BACKUP_OFF_CHIP_ID, Constants.BACKUP_OFF_CHIP_ID + Constants.CHIP_ID_LENGTH);
        int version = ((b[Constants.BACKUP_OFF_VERSION] & 0xFF) << 8) | (b[Constants.BACKUP_OFF_VERSION + 1] & 0xFF);
        return new BackupPackage(b.clone(), chip, version);
    }

    @Override
    public byte[] encoded() { return encoded.clone(); }

    @Override
    public byte[] chipId() { return chipId.clone(); }
}
