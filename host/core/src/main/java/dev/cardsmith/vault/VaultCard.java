package dev.cardsmith.vault;

import dev.cardsmith.applet.vault.Constants;
import dev.cardsmith.transport.ApduChannel;
import dev.cardsmith.transport.CardSession;

/**
 * The vault applet over one {@link ApduChannel} (normally the reader's {@link CardSession}), with
 * one typed method per command. One small class per system wrapping a channel, like PivCard,
 * ModuleCard and PsdCard.
 */
public final class VaultCard {
    private final ApduChannel session;

    public VaultCard(ApduChannel channel) {
        this.session = channel;
    }

    public ApduChannel channel() { return session; }

    /** The reader session underneath, for APDU counts; only when this card was opened on one. */
    public CardSession session() { return CardSession.of(session); }

    /** SELECT; the vault answers with its chip info, so no separate read is needed. */
    public ChipInfo select() {
        return ChipInfo.parse(session.select(VaultApdus.instanceAid()));
    }

    public ChipInfo info() {
        return ChipInfo.parse(session.transmitOk("GET DATA chip info", VaultApdus.getData(Constants.P1P2_CHIP_INFO)).getData());
    }

    public byte[] getData(String what, short p1p2) {
        return session.transmitOk("GET DATA " + what, VaultApdus.getData(p1p2)).getData();
    }

    public byte[] certificate() { return getData("certificate", Constants.P1P2_CERTIFICATE); }

    public byte[] devicePublicKey() { return getData("device public key", Constants.P1P2_DEVICE_PUBLIC_KEY); }

    public void setManufacturerKey(byte[] point) {
        session.transmitOk("SET MANUFACTURER KEY", VaultApdus.setManufacturerKey(point));
    }

    /** STORE PACKAGE with sealed command data; returns the raw answer (backup | response MAC). */
    public byte[] storePackage(byte[] sealedPackage) {
        return session.transmitOk("STORE PACKAGE", VaultApdus.storePackage(sealedPackage)).getData();
    }

    /**
     * GET CHALLENGE, then STORE PACKAGE of {@code plainPackage} sealed to this chip (its chip ID
     * and agreement key from {@code info}); returns the backup package once the answer's MAC
     * shows this chip opened it.
     */
    public BackupPackage storeSealedPackage(ChipInfo info, byte[] plainPackage) {
        byte[] challenge = challenge();
        try (PackageSeal seal = PackageSeal.seal(info.chipId(), info.agreementKey(), challenge, plainPackage)) {
            return seal.openResponse(storePackage(seal.command()));
        }
    }

    /**
     * GET CHALLENGE, then GET BACKUP authenticated by the provisioning channel key; returns the
     * backup package of the package the card holds (PACKAGED state) once the answer's MAC shows
     * it comes from a card holding that channel key and the device public key
     * {@code devicePublicKey}, for this challenge.
     */
    public BackupPackage backupAgain(byte[] chipId, byte[] channelKey, byte[] devicePublicKey) {
        byte[] challenge = challenge();
        byte[] answer = session.transmitOk("GET BACKUP",
                VaultApdus.getBackup(dev.cardsmith.crypto.Cmac.aes(channelKey, VaultApdus.backupRequestInput(chipId, challenge)))).getData();
        if (answer.length <= Constants.MAC_LENGTH) throw new VaultException(VaultException.Kind.VERIFICATION, "GET BACKUP answer too short");
        byte[] backup = java.util.Arrays.copyOf(answer, answer.length - Constants.MAC_LENGTH);
        byte[] mac = java.util.Arrays.copyOfRange(answer, backup.length, answer.length);
        if (!java.security.MessageDigest.isEqual(dev.cardsmith.crypto.Cmac.aes(channelKey,
                VaultApdus.backupResponseInput(challenge, devicePublicKey, backup)), mac)) {
            throw new VaultException(VaultException.Kind.VERIFICATION,
                    "the GET BACKUP answer is not authenticated by this chip's channel key and device key");
        }
        return BackupPackage.parse(backup);
    }

    public void storeCertificate(byte[] certificate) {
        session.transmitOk("STORE CERTIFICATE", VaultApdus.storeCertificate(certificate));
    }

    public void restore(byte[] backup) {
        session.transmitOk("RESTORE", VaultApdus.restore(backup));
    }

    public byte[] challenge() {
        return session.transmitOk("GET CHALLENGE", VaultApdus.getChallenge()).getData();
    }

    public void wipe(byte[] signature) {
        session.transmitOk("WIPE", VaultApdus.wipe(signature));
    }

    /**
     * What PROVE authenticates: {@code 50 || challenge} (Constants.PROVE_DOMAIN), never the bare
     * challenge. Verify the MAC / signature of {@link #proveChannelKey} / {@link #proveDeviceKey}
     * over this.
     */
    public static byte[] proveInput(byte[] challenge) {
        byte[] m = new byte[challenge.length + 1];
        m[0] = Constants.PROVE_DOMAIN;
        System.arraycopy(challenge, 0, m, 1, challenge.length);
        return m;
    }

    /** AES-CMAC(channel key, proveInput(challenge)). */
    public byte[] proveChannelKey(byte[] challenge) {
        return session.transmitOk("PROVE channel key", VaultApdus.prove(Constants.P2_PROVE_CHANNEL_KEY, challenge)).getData();
    }

    /** ECDSA-SHA256 (DER) of the device key over proveInput(challenge). */
    public byte[] proveDeviceKey(byte[] challenge) {
        return session.transmitOk("PROVE device key", VaultApdus.prove(Constants.P2_PROVE_DEVICE_KEY, challenge)).getData();
    }
}
