package dev.cardsmith.vault;

import dev.cardsmith.crypto.EcP256;
import dev.cardsmith.applet.vault.Constants;
import dev.cardsmith.crypto.Hex;
import dev.cardsmith.store.OperationJournal;
import dev.cardsmith.transport.CardSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.interfaces.ECPrivateKey;
import java.util.Arrays;

/**
 * The secure processing point (claims 1-8, 25, 26): provisions a device and wipes one.
 *
 * <p>Provision, after SELECT (which already returns the chip ID and the chip agreement key):
 * [SET MANUFACTURER KEY, only on a chip whose install parameters did not carry it] -> GET
 * CHALLENGE -> STORE PACKAGE, sealed to this chip's agreement key and challenge ({@link
 * PackageSeal}; answer: backup, authenticated by the chip) -> public database (chip ID, identity,
 * backup, certificate as a new version) -> STORE CERTIFICATE. The identity is bound to the chip
 * before anything is written; the operation journal (operations store) records intent before the
 * card is written and completion after.
 */
public final class SecureProcessingPoint {
    private static final Logger LOG = LoggerFactory.getLogger(SecureProcessingPoint.class);

    /** What a provision did. Nothing in it is secret. */
    public record Provisioned(String chipId, String identity, int databaseVersion, int packageVersion,
                              String poolEntry, boolean manufacturerKeyWritten, byte[] devicePublicKey,
                              boolean resumed, CardSession.Stats cardStats) {}

    private final VaultKeys keys;
    private final PublicDatabase publicDb;
    private final OperationJournal journal;
    private final KeyPool pool;

    /**
     * @param journal the operation journal in the operations store (never the public database)
     * @param pool the secure store's key pool, or null to generate every key pair now
     */
    public SecureProcessingPoint(VaultKeys keys, PublicDatabase publicDb, OperationJournal journal, KeyPool pool) {
        this.keys = keys;
        this.publicDb = publicDb;
        this.journal = journal;
        this.pool = pool;
    }

    public Provisioned provision(VaultCard card, byte[] identity) {
        CardSession.Stats before = card.session().stats().snapshot();
        return provision(card, card.select(), identity, before);
    }

    /**
     * The flow's one resume entry (the factory line calls it): provisions the chip, or finishes
     * an interrupted provision of it (certificate missing, backup not yet stored, journal open),
     * or, when the chip is already provisioned with exactly the newest public record of this
     * identity, reports it as done without writing anything. {@link Provisioned#resumed()} tells
     * the last two apart from a fresh provision.
     */
    public Provisioned provisionOrResume(VaultCard card, byte[] identity) {
        CardSession.Stats before = card.session().stats().snapshot();
        ChipInfo info = card.select();
        if (info.state() == Constants.STATE_PROVISIONED && publicDb != null) {
            Provisioned done = alreadyDone(card, info, new String(identity, StandardCharsets.US_ASCII), before, false);
            if (done != null) return done;
        }
        return provision(card, info, identity, before);
    }

    private Provisioned provision(VaultCard card, ChipInfo info, byte[] identity, CardSession.Stats before) {
        String identityText = new String(identity, StandardCharsets.US_ASCII);
        String chip = info.chipIdHex();
        Provisioned resumed = resume(card, info, identityText, before);
        if (resumed != null) return resumed;
        if (info.state() != Constants.STATE_EMPTY) {
            throw new VaultException(VaultException.Kind.STATE, "chip " + chip + " already holds a data package (state "
                    + info.stateName() + "); wipe it first ('cardsmith device wipe')");
        }
        keys.ensure();
        byte[] manufacturer = keys.manufacturerPoint();
        boolean writeManufacturerKey = info.manufacturerKey() == null;
        if (!writeManufacturerKey && !Arrays.equals(info.manufacturerKey(), manufacturer)) {
            throw new VaultException(VaultException.Kind.VERIFICATION, "chip " + chip
                    + " trusts a different manufacturer key than " + VaultKeys.MANUFACTURER + " in " + keys.hsm().describe());
        }

        // one identity, one chip: a clone is refused before the card or the journal is written
        publicDb.bindIdentity(identityText, chip);
        // the package is sealed to the chip's agreement key: the key this chip ID showed first
        if (info.agreementKey() != null) publicDb.pinAgreementKey(chip, info.agreementKey());
        KeyPool.Entry entry = null;
        byte[] channelKey = null;
        byte[] privateKey = null;
        DataPackage pkg = null;
        byte[] encoded = null;
        boolean cardWritten = false;
        String op = null;
        try {
            byte[] publicKey;
            if (pool != null) {
                entry = pool.reserve(chip);
                privateKey = entry.privateKey().clone();
                publicKey = entry.publicKey();
            } else {
                KeyPair kp = EcP256.generate();
                privateKey = EcP256.encodePrivate((ECPrivateKey) kp.getPrivate());
                publicKey = EcP256.encode(kp.getPublic());
            }
            channelKey = keys.channelKey(identity);
            pkg = new DataPackage(identity, channelKey, privateKey, publicKey);
            encoded = pkg.encode();
            op = journal.begin("vault", chip, "provision", "identity=" + identityText
                    + (entry != null ? " pool=" + entry.id() : " keypair=generated"));

            if (writeManufacturerKey) card.setManufacturerKey(manufacturer);
            BackupPackage backup;
            try {
                cardWritten = true;
                backup = card.storeSealedPackage(info, encoded);
            } catch (dev.cardsmith.transport.CardStatusException refused) {
                cardWritten = false; // the card answered with an error: it stored nothing
                throw refused;
            }
            if (!Arrays.equals(backup.chipId(), info.chipId())) {
                throw new VaultException(VaultException.Kind.VERIFICATION, "backup package names another chip");
            }
            // claims 1, 2: the backup goes to the public database as soon as it exists, so a
            // card never holds keys without a backup for longer than one command
            DeviceCertificate cert = keys.certify(info.chipId(), identity, publicKey);
            int version = publicDb.append(info.chipId(), identityText, backup, cert);
            if (entry != null) pool.delete(entry.id()); // claim 7: gone once the backup is stored
            card.storeCertificate(cert.encoded());
            journal.finish(op, OperationJournal.State.DONE, "version=" + version + " package=" + backup.packageVersion());
            journal.settle("vault", chip, op, OperationJournal.State.FAILED, "interrupted; provisioned again by " + op);
            LOG.info("provisioned chip {} as {} (public database version {})", chip, identityText, version);
            return new Provisioned(chip, identityText, version, backup.packageVersion(),
                    entry == null ? null : entry.id(), writeManufacturerKey, publicKey, false,
                    card.session().stats().since(before));
        } catch (RuntimeException e) {
            if (op != null) journal.finish(op, OperationJournal.State.FAILED, e.getClass().getSimpleName());
            // a pool key the card never received goes back; one the card may hold never does
            if (entry != null && !cardWritten) pool.release(entry.id());
            throw e;
        } finally {
            if (channelKey != null) Arrays.fill(channelKey, (byte) 0);
            if (privateKey != null) Arrays.fill(privateKey, (byte) 0);
            if (encoded != null) Arrays.fill(encoded, (byte) 0);
            if (pkg != null) pkg.destroy();
            if (entry != null) entry.destroy();
        }
    }

    /**
     * Re-run after an interruption between the public-database write and STORE CERTIFICATE: the
     * card holds the package whose backup and certificate are the newest database record for
     * this chip (same package version, same identity, same device key), so only the certificate
     * is missing. Returns null when that is not the situation.
     */
    private Provisioned resume(VaultCard card, ChipInfo info, String identityText, CardSession.Stats before) {
        if (info.state() == Constants.STATE_PROVISIONED && publicDb != null) return alreadyDone(card, info, identityText, before, true);
        if (info.state() != Constants.STATE_PACKAGED || publicDb == null) return null;
        DeviceRecord rec = publicDb.latest(info.chipIdHex()).orElse(null);
        if (rec == null || rec.packageVersion() < info.packageVersion()) return backupAgain(card, info, identityText, before);
        if (!rec.identity().equals(identityText) || !identityText.equals(info.identityText())) return null;
        BackupPackage backup = BackupPackage.parse(rec.backup());
        DeviceCertificate cert = DeviceCertificate.parse(rec.certificate());
        if (backup.packageVersion() != info.packageVersion() || !Arrays.equals(backup.chipId(), info.chipId())
                || !Arrays.equals(cert.devicePublicKey(), card.devicePublicKey())) {
            return null;
        }
        card.storeCertificate(rec.certificate());
        journal.settle("vault", info.chipIdHex(), null, OperationJournal.State.DONE,
                "completed by a re-run (certificate stored)");
        LOG.info("resumed the interrupted provision of chip {} (public database version {})", info.chipIdHex(), rec.version());
        return new Provisioned(info.chipIdHex(), identityText, rec.version(), backup.packageVersion(), null, false,
                cert.devicePublicKey(), true, card.session().stats().since(before));
    }

    /**
     * Re-run after an interruption between STORE PACKAGE and the public-database write: the card
     * holds a package newer than the database knows and the backup existed only in the lost
     * answer. The card gives it again (GET BACKUP, authenticated both ways by the channel key,
     * which only this HSM derives for the identity), so the provision finishes without a wipe and
     * without a new package version. Only for a package a secure processing point of this
     * factory started: the identity on the card is the requested one, the public database binds
     * it to this chip (bound before STORE PACKAGE), and the card accepts the request MAC of the
     * channel key derived for that identity (a package sealed by anyone else holds another channel
     * key: the card refuses, 6982). Returns null when that is not the situation.
     */
    private Provisioned backupAgain(VaultCard card, ChipInfo info, String identityText, CardSession.Stats before) {
        String chip = info.chipIdHex();
        if (!identityText.equals(info.identityText()) || !publicDb.boundChip(identityText).map(chip::equals).orElse(false)) return null;
        byte[] identity = identityText.getBytes(StandardCharsets.US_ASCII);
        byte[] channelKey = keys.channelKey(identity);
        try {
            byte[] devicePublicKey = card.devicePublicKey();
            BackupPackage backup = card.backupAgain(info.chipId(), channelKey, devicePublicKey);
            if (!Arrays.equals(backup.chipId(), info.chipId()) || backup.packageVersion() != info.packageVersion()) {
                throw new VaultException(VaultException.Kind.VERIFICATION, "the backup read again names another chip or package version");
            }
            DeviceCertificate cert = keys.certify(info.chipId(), identity, devicePublicKey);
            int version = publicDb.append(info.chipId(), identityText, backup, cert);
            if (pool != null) pool.deleteReserved(chip, devicePublicKey); // claim 7: gone once the backup is stored
            card.storeCertificate(cert.encoded());
            journal.settle("vault", chip, null, OperationJournal.State.DONE, "completed by a re-run (backup read again, no wipe)");
            LOG.info("resumed the provision of chip {} interrupted after STORE PACKAGE (public database version {})", chip, version);
            return new Provisioned(chip, identityText, version, backup.packageVersion(), null, false, devicePublicKey, true,
                    card.session().stats().since(before));
        } finally {
            Arrays.fill(channelKey, (byte) 0);
        }
    }

    /**
     * Re-run after an interruption between STORE CERTIFICATE and the journal's completion: the
     * card is provisioned with exactly the newest database record for this identity, and the
     * journal still holds the open intent. The re-run settles it instead of refusing the card.
     * Returns null when the card was provisioned by a finished operation ({@code openIntentOnly})
     * or by another one.
     */
    private Provisioned alreadyDone(VaultCard card, ChipInfo info, String identityText, CardSession.Stats before, boolean openIntentOnly) {
        boolean open = !journal.pending("vault", info.chipIdHex()).isEmpty();
        if (openIntentOnly && !open) return null;
        DeviceRecord rec = publicDb.latest(info.chipIdHex()).orElse(null);
        if (rec == null || !rec.identity().equals(identityText) || !identityText.equals(info.identityText())
                || BackupPackage.parse(rec.backup()).packageVersion() != info.packageVersion()) {
            return null;
        }
        byte[] devicePublicKey = card.devicePublicKey();
        if (!Arrays.equals(DeviceCertificate.parse(rec.certificate()).devicePublicKey(), devicePublicKey)) return null;
        if (open) {
            journal.settle("vault", info.chipIdHex(), null, OperationJournal.State.DONE, "completed (settled by a re-run)");
            LOG.info("chip {} was already provisioned by an interrupted run; journal settled", info.chipIdHex());
        }
        return new Provisioned(info.chipIdHex(), identityText, rec.version(), info.packageVersion(), null, false,
                devicePublicKey, true, card.session().stats().since(before));
    }

    /** What a wipe did. */
    public record Wiped(String chipId, String previousState, CardSession.Stats cardStats) {}

    /**
     * Authorized erase (repair): GET CHALLENGE, then WIPE with the manufacturer key's signature
     * over 57 || chip ID || challenge. Chip ID, chip key and manufacturer key stay.
     */
    public Wiped wipe(VaultCard card) {
        CardSession.Stats before = card.session().stats().snapshot();
        ChipInfo info = card.select();
        if (info.manufacturerKey() != null && !Arrays.equals(info.manufacturerKey(), keys.manufacturerPoint())) {
            throw new VaultException(VaultException.Kind.VERIFICATION, "chip " + info.chipIdHex()
                    + " trusts a different manufacturer key; this HSM cannot authorize its wipe");
        }
        byte[] challenge = card.challenge();
        card.wipe(keys.authorizeWipe(info.chipId(), challenge));
        LOG.info("wiped chip {}", info.chipIdHex());
        return new Wiped(info.chipIdHex(), info.stateName(), card.session().stats().since(before));
    }

    static String hex(byte[] b) { return Hex.of(b); }
}
