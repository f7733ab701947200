package dev.cardsmith.vault;

import dev.cardsmith.applet.vault.Constants;
import dev.cardsmith.transport.CardSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Arrays;

/**
 * Claim 17: chip ID from the card -> public database -> backup -> card, then the stored
 * certificate. Needs neither the HSM nor the secure store: only the public database (a copy
 * over JDBC or the read-only HTTP service). The card itself checks the backup (chip binding,
 * MAC, version) and the certificate (manufacturer signature).
 */
public final class Recovery {
    private static final Logger LOG = LoggerFactory.getLogger(Recovery.class);

    public record Recovered(String chipId, String identity, int databaseVersion, int packageVersion,
                            CardSession.Stats cardStats) {}

    private Recovery() {}

    public static Recovered recover(VaultCard card, BackupSource source) {
        CardSession.Stats before = card.session().stats().snapshot();
        ChipInfo info = card.select();
        String chip = info.chipIdHex();
        if (info.state() != Constants.STATE_EMPTY) {
            throw new VaultException(VaultException.Kind.STATE, "chip " + chip + " already holds a data package (state "
                    + info.stateName() + "); nothing to recover");
        }
        DeviceRecord rec = source.latest(chip).orElseThrow(() -> new VaultException(VaultException.Kind.NOT_FOUND,
                "no backup for chip " + chip + " in the " + source.describe()));
        BackupPackage backup = BackupPackage.parse(rec.backup());
        if (!Arrays.equals(backup.chipId(), info.chipId())) {
            throw new VaultException(VaultException.Kind.VERIFICATION, "the " + source.describe() + " returned a backup of another chip");
        }
        card.restore(rec.backup());
        card.storeCertificate(rec.certificate());
        LOG.info("recovered chip {} from {} version {}", chip, source.describe(), rec.version());
        return new Recovered(chip, rec.identity(), rec.version(), backup.packageVersion(), card.session().stats().since(before));
    }
}
