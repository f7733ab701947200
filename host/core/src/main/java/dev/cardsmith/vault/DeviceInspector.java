package dev.cardsmith.vault;

import dev.cardsmith.crypto.EcP256;
import dev.cardsmith.applet.vault.Constants;
import dev.cardsmith.transport.CardStatusException;

import java.security.PublicKey;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * {@code device show} and {@code device verify}: what the card and the public database say, and
 * whether they agree. The certificate is checked against the manufacturer public key (the one
 * the card holds in write-once storage, or a pinned one), and the card must prove with a fresh
 * challenge that it holds the private key the certificate names.
 */
public final class DeviceInspector {

    public record Check(String name, boolean ok, String detail) {}

    /**
     * @param keyPinned whether the checks ran against a manufacturer key the caller trusts (pinned,
     *        or the station's HSM); without one they only show that the card agrees with itself
     */
    public record Report(ChipInfo card, Optional<DeviceRecord> latest, int databaseVersions, List<Check> checks,
                         boolean keyPinned) {
        public boolean ok() { return checks.stream().allMatch(Check::ok); }

        /** True only when every check passed against a pinned manufacturer key. */
        public boolean verified() { return keyPinned && ok(); }

        /** "verified", "failed" (a check failed) or "unverified" (all passed, but no pinned key). */
        public String status() { return !ok() ? "failed" : keyPinned ? "verified" : "unverified"; }
    }

    private DeviceInspector() {}

    public static Report show(VaultCard card, PublicDatabase db) {
        ChipInfo info = card.select();
        List<DeviceRecord> history = db == null ? List.of() : db.history(info.chipIdHex());
        Optional<DeviceRecord> latest = history.isEmpty() ? Optional.empty() : Optional.of(history.get(history.size() - 1));
        return new Report(info, latest, history.size(), List.of(), false);
    }

    /**
     * @param pinnedManufacturerKey the manufacturer key to trust (e.g. from the HSM or a
     *        published value); null runs the checks against the key the card reports, and the
     *        report is at best "unverified": a forged card reports the forger's key
     */
    public static Report verify(VaultCard card, PublicDatabase db, byte[] pinnedManufacturerKey) {
        ChipInfo info = card.select();
        List<Check> checks = new ArrayList<>();
        List<DeviceRecord> history = db.history(info.chipIdHex());
        Optional<DeviceRecord> latest = history.isEmpty() ? Optional.empty() : Optional.of(history.get(history.size() - 1));

        byte[] manufacturer = pinnedManufacturerKey != null ? pinnedManufacturerKey : info.manufacturerKey();
        checks.add(new Check("manufacturer key on card", info.manufacturerKey() != null
                && (pinnedManufacturerKey == null || Arrays.equals(pinnedManufacturerKey, info.manufacturerKey())),
                info.manufacturerKey() == null ? "not set" : pinnedManufacturerKey == null ? "present (trusted as is)"
                        : Arrays.equals(pinnedManufacturerKey, info.manufacturerKey()) ? "matches the pinned key" : "differs from the pinned key"));
        checks.add(new Check("card provisioned", info.state() == Constants.STATE_PROVISIONED, info.stateName()));
        checks.add(new Check("public database has the chip", latest.isPresent(),
                latest.map(r -> "version " + r.version()).orElse("no record")));
        boolean pinned = pinnedManufacturerKey != null;
        if (info.state() != Constants.STATE_PROVISIONED || manufacturer == null) return new Report(info, latest, history.size(), checks, pinned);

        DeviceCertificate cert = DeviceCertificate.parse(card.certificate());
        PublicKey mk = EcP256.decode(manufacturer);
        checks.add(new Check("certificate signed by manufacturer key", cert.verify(mk), "ECDSA-SHA256 P-256"));
        checks.add(new Check("certificate names this chip", Arrays.equals(cert.chipId(), info.chipId()), info.chipIdHex()));
        checks.add(new Check("certificate names the card's identity", Arrays.equals(cert.identity(), info.identity()), cert.identityText()));
        byte[] cardKey = card.devicePublicKey();
        checks.add(new Check("certificate names the card's device key", Arrays.equals(cardKey, cert.devicePublicKey()), "P-256"));
        byte[] challenge = new byte[32];
        new SecureRandom().nextBytes(challenge);
        boolean proved;
        try {
            proved = EcP256.verifyDer(EcP256.decode(cert.devicePublicKey()), VaultCard.proveInput(challenge), card.proveDeviceKey(challenge));
        } catch (CardStatusException e) {
            proved = false;
        }
        checks.add(new Check("card signs a fresh challenge with the certified key", proved, "INTERNAL AUTHENTICATE"));
        latest.ifPresent(r -> {
            checks.add(new Check("database certificate equals the card's", Arrays.equals(r.certificate(), cert.encoded()), "version " + r.version()));
            BackupPackage b = BackupPackage.parse(r.backup());
            checks.add(new Check("database backup is this chip's current package",
                    Arrays.equals(b.chipId(), info.chipId()) && b.packageVersion() == info.packageVersion(),
                    "package version " + b.packageVersion() + " (card " + info.packageVersion() + ")"));
            checks.add(new Check("database identity equals the card's", r.identity().equals(info.identityText()), r.identity()));
        });
        Optional<byte[]> pinnedAgreement = db.agreementKey(info.chipIdHex());
        checks.add(new Check("agreement key as first recorded", pinnedAgreement.map(k -> Arrays.equals(k, info.agreementKey())).orElse(false),
                pinnedAgreement.isEmpty() ? "not recorded" : Arrays.equals(pinnedAgreement.get(), info.agreementKey()) ? "matches" : "differs"));
        Optional<String> bound = db.boundChip(cert.identityText());
        checks.add(new Check("identity bound to this chip", bound.map(info.chipIdHex()::equals).orElse(false),
                bound.map(c -> c.equals(info.chipIdHex()) ? "bound" : "bound to chip " + c + " (a clone)").orElse("not bound")));
        return new Report(info, latest, history.size(), checks, pinned);
    }
}
