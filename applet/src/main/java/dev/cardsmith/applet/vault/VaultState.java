package dev.cardsmith.applet.vault;

import dev.cardsmith.applet.platform.P256;
import javacard.framework.JCSystem;
import javacard.framework.Util;
import javacard.security.AESKey;
import javacard.security.ECPrivateKey;
import javacard.security.ECPublicKey;
import javacard.security.ECKey;
import javacard.security.KeyBuilder;
import javacard.security.KeyPair;

/**
 * Everything the vault keeps in EEPROM, allocated once at install.
 *
 * <p>Write-once values: the chip ID and the manufacturer public key have no setter besides the
 * one-shot paths (install parameters, first SELECT, PUT DATA before provisioning), each guarded
 * by a flag. The chip key has no getter at all: it is only ever used as the key of the on-card
 * derivation of K_enc and K_mac.
 *
 * <p>Atomicity: the {@code state} byte is the commit point. Every multi-write change (package,
 * certificate, wipe) happens inside one transaction that writes {@code state} last, so a torn
 * card shows either the old or the new state; key objects written under an uncommitted state
 * are never used and are overwritten by the next attempt.
 */
final class VaultState {

    byte state;
    final byte[] chipId;
    boolean chipIdFromInstall;

    /** Secret chip key (claim 1: tamper-resistant secret storage). Never exported. */
    final AESKey chipKey;
    /** Backup encryption and MAC keys, derived on card from the chip key and chip ID. */
    final AESKey encKey;
    final AESKey macKey;

    final ECPublicKey manufacturerKey;
    boolean manufacturerKeySet;

    /**
     * Chip agreement key (P-256), generated on card at install, private half never exported:
     * a data package is sealed to it (ECDH with the host's ephemeral key), so only this chip
     * can open it. Public half in the chip info (C9).
     */
    final KeyPair agreement;

    // ---- the data package (claims 3-7) ----
    final byte[] identity;
    byte identityLength;
    final AESKey channelKey;
    final ECPrivateKey devicePrivate;
    final ECPublicKey devicePublic;
    final byte[] devicePublicW;
    /** Incremented by every STORE PACKAGE; a RESTORE only accepts the current one. */
    short packageVersion;

    /**
     * True while the package key objects and bytes may hold values no committed state owns:
     * set (one atomic write) before a package is loaded into the key objects, committed true by
     * WIPE together with state EMPTY, committed false with the state of a new package. While it
     * is set the state is EMPTY, and the next command (or the failing one) clears everything first.
     */
    boolean wipePending;

    // ---- the device-identity certificate (claim 19) ----
    final byte[] certificate;
    short certificateLength;

    VaultState() {
        state = Constants.STATE_NEW;
        chipId = new byte[Constants.CHIP_ID_LENGTH];
        chipKey = (AESKey) KeyBuilder.buildKey(KeyBuilder.TYPE_AES, KeyBuilder.LENGTH_AES_256, false);
        encKey = (AESKey) KeyBuilder.buildKey(KeyBuilder.TYPE_AES, KeyBuilder.LENGTH_AES_128, false);
        macKey = (AESKey) KeyBuilder.buildKey(KeyBuilder.TYPE_AES, KeyBuilder.LENGTH_AES_128, false);
        manufacturerKey = (ECPublicKey) KeyBuilder.buildKey(KeyBuilder.TYPE_EC_FP_PUBLIC, KeyBuilder.LENGTH_EC_FP_256, false);
        P256.setCurve(manufacturerKey);
        agreement = new KeyPair(KeyPair.ALG_EC_FP, KeyBuilder.LENGTH_EC_FP_256);
        P256.setCurve((ECKey) agreement.getPublic());
        P256.setCurve((ECKey) agreement.getPrivate());
        identity = new byte[Constants.IDENTITY_MAX];
        channelKey = (AESKey) KeyBuilder.buildKey(KeyBuilder.TYPE_AES, KeyBuilder.LENGTH_AES_128, false);
        devicePrivate = (ECPrivateKey) KeyBuilder.buildKey(KeyBuilder.TYPE_EC_FP_PRIVATE, KeyBuilder.LENGTH_EC_FP_256, false);
        P256.setCurve(devicePrivate);
        devicePublic = (ECPublicKey) KeyBuilder.buildKey(KeyBuilder.TYPE_EC_FP_PUBLIC, KeyBuilder.LENGTH_EC_FP_256, false);
        P256.setCurve(devicePublic);
        devicePublicW = new byte[Constants.EC_POINT_LENGTH];
        certificate = new byte[Constants.CERTIFICATE_MAX];
    }

    boolean hasPackage() {
        return state == Constants.STATE_PACKAGED || state == Constants.STATE_PROVISIONED;
    }

    /**
     * Completes installation (called from the constructor, before register): chip ID from the
     * card RNG unless the install parameters gave one, a fresh AES-256 chip key from the card
     * RNG, K_enc/K_mac derived from it, and the chip agreement key pair. The chip key value
     * passes through RAM only and is zeroed at once. Key objects are written outside any
     * transaction; the state byte (the commit point) is written last. Install is atomic anyway:
     * an applet whose install fails does not exist.
     */
    void initialize(VaultCrypto crypto, byte[] ram, short scratch) {
        if (!chipIdFromInstall) crypto.random.generateData(chipId, (short) 0, Constants.CHIP_ID_LENGTH);
        crypto.random.generateData(ram, scratch, (short) 32);
        chipKey.setKey(ram, scratch);
        Util.arrayFillNonAtomic(ram, scratch, (short) 32, (byte) 0);
        crypto.deriveAes128(chipKey, Constants.KDF_LABEL_ENC, chipId, (short) 0, Constants.CHIP_ID_LENGTH, encKey);
        crypto.deriveAes128(chipKey, Constants.KDF_LABEL_MAC, chipId, (short) 0, Constants.CHIP_ID_LENGTH, macKey);
        agreement.genKeyPair();
        state = Constants.STATE_EMPTY;
    }

    /**
     * Erases the data package and certificate; keeps chip ID, chip key, manufacturer key and the
     * package version. The state byte commits first (one transaction); the scrub after it only
     * touches data that is already unreachable.
     */
    void erasePackage() {
        JCSystem.beginTransaction();
        state = Constants.STATE_EMPTY;
        identityLength = 0;
        certificateLength = 0;
        wipePending = true; // a tear before the scrub below is finished by the next command
        JCSystem.commitTransaction();
        scrub();
    }

    /**
     * Clears the package key objects and bytes; only while the state is EMPTY (nothing reads
     * them). Idempotent. Key objects are cleared outside any transaction (clearKey is not
     * transactional on every card); wipePending drops last.
     */
    void scrub() {
        Util.arrayFillNonAtomic(identity, (short) 0, (short) identity.length, (byte) 0);
        Util.arrayFillNonAtomic(devicePublicW, (short) 0, (short) devicePublicW.length, (byte) 0);
        Util.arrayFillNonAtomic(certificate, (short) 0, (short) certificate.length, (byte) 0);
        channelKey.clearKey();
        devicePrivate.clearKey();
        devicePublic.clearKey();
        P256.setCurve(devicePrivate);
        P256.setCurve(devicePublic);
        wipePending = false;
    }
}
