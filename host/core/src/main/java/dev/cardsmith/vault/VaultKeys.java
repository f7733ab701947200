package dev.cardsmith.vault;

import dev.cardsmith.crypto.EcP256;
import dev.cardsmith.hsm.Hsm;
import dev.cardsmith.hsm.HsmKdf;

import java.nio.charset.StandardCharsets;
import java.security.PublicKey;

/**
 * The manufacturer's keys in the HSM, by label, created on first use:
 * <ul>
 *   <li>{@value #MANUFACTURER} EC P-256: signs device-identity certificates and wipe authorizations;
 *       its public half is the chip's write-once manufacturer key (claims 2, 19)</li>
 *   <li>{@value #MASTER} AES-256: channel key = SP 800-108 KDF(master, identity) (claims 5, 13, 22)</li>
 *   <li>{@value #POOL} AES-256: wraps the pre-generated key pool (claim 7)</li>
 * </ul>
 */
public final class VaultKeys {
    public static final String MANUFACTURER = "vault.manufacturer";
    public static final String MASTER = "vault.master";
    public static final String POOL = "vault.pool";
    /** SP 800-108 label of the channel key derivation; the context is the device identity. */
    public static final byte[] CHANNEL_KEY_LABEL = "cardsmith vault channel key".getBytes(StandardCharsets.US_ASCII);

    private final Hsm hsm;

    public VaultKeys(Hsm hsm) {
        this.hsm = hsm;
    }

    public Hsm hsm() { return hsm; }

    /** Creates the manufacturer key pair and the master key if they do not exist yet. */
    public VaultKeys ensure() {
        if (!hsm.contains(MANUFACTURER)) hsm.generateEcKeyPair(MANUFACTURER);
        if (!hsm.contains(MASTER)) hsm.generateAesKey(MASTER, 256);
        return this;
    }

    public VaultKeys ensurePool() {
        if (!hsm.contains(POOL)) hsm.generateAesKey(POOL, 256);
        return this;
    }

    public PublicKey manufacturerPublicKey() {
        if (!hsm.contains(MANUFACTURER)) {
            throw new VaultException(VaultException.Kind.NOT_FOUND, "no manufacturer key '" + MANUFACTURER + "' in " + hsm.describe());
        }
        return hsm.publicKey(MANUFACTURER);
    }

    public byte[] manufacturerPoint() {
        return EcP256.encode(manufacturerPublicKey());
    }

    /** Claim 5: the symmetric channel key, a function of the master key and the device identity. */
    public byte[] channelKey(byte[] identity) {
        return HsmKdf.deriveKey(hsm, MASTER, CHANNEL_KEY_LABEL, identity, 16);
    }

    public DeviceCertificate certify(byte[] chipId, byte[] identity, byte[] devicePublicKey) {
        return DeviceCertificate.issue(hsm, MANUFACTURER, chipId, identity, devicePublicKey);
    }

    public byte[] authorizeWipe(byte[] chipId, byte[] challenge) {
        manufacturerPublicKey();
        return hsm.signSha256WithEcdsa(MANUFACTURER, VaultApdus.wipeToBeSigned(chipId, challenge));
    }
}
