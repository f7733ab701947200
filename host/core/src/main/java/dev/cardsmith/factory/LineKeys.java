package dev.cardsmith.factory;

import dev.cardsmith.crypto.Hex;
import dev.cardsmith.hsm.Hsm;
import dev.cardsmith.module.CertificateAuthority;
import dev.cardsmith.module.ModuleStore;
import dev.cardsmith.ota.OtaStore;
import dev.cardsmith.psd.AccessServer;
import dev.cardsmith.psd.KeyManagementServer;
import dev.cardsmith.psd.PsdKeys;
import dev.cardsmith.psd.PsdStore;
import dev.cardsmith.store.Database;
import dev.cardsmith.vault.VaultKeys;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The keys each stage needs in the station's HSM, checked before any card is touched. In
 * development mode the missing ones are created (the vault's manufacturer and master keys, the
 * PSD key blocks from a development KMS plus the documented transport key, the module
 * certificate hierarchy) and listed, so the caller can say so.
 */
public final class LineKeys {
    private LineKeys() {}

    /**
     * @param kms opens the development KMS HSM when PSD key blocks must be created (dev only)
     * @return what development mode created (empty when nothing was missing)
     */
    public static List<String> ready(List<String> stages, Hsm hsm, Database db, boolean dev, Supplier<Hsm> kms, LocalDate today) {
        List<String> created = new ArrayList<>();
        if (stages.contains("vault")) {
            VaultKeys keys = new VaultKeys(hsm);
            if (!hsm.contains(VaultKeys.MANUFACTURER) || !hsm.contains(VaultKeys.MASTER)) {
                if (!dev) throw missing("vault keys " + VaultKeys.MANUFACTURER + "/" + VaultKeys.MASTER, "cardsmith hsm init", hsm);
                keys.ensure();
                created.add("vault manufacturer and master keys");
            }
        }
        if (stages.contains("psd")) {
            AccessServer access = new AccessServer(hsm, new PsdStore(db));
            if (access.latestMkVersion() == 0 || access.latestKrkVersion() == 0 || !hsm.contains(PsdKeys.RSA_PUBLIC)) {
                if (!dev) throw missing("PSD key blocks", "cardsmith kms init && cardsmith kms transfer", hsm);
                try (Hsm k = kms.get()) {
                    KeyManagementServer server = new KeyManagementServer(k);
                    server.init();
                    access.importKeys(server.export(access.keyTransferImportKey(), true));
                }
                created.add("PSD key blocks (development KMS)");
            }
            if (access.latestTransportKeyVersion() == 0) {
                if (!dev) throw missing("PSD transport key", "cardsmith kms import-transport-key", hsm);
                access.importTransportKey(Hex.parse(PsdKeys.DEV_TRANSPORT_KEY_HEX));
                created.add("PSD development transport key");
            }
        }
        if (stages.contains("module")) {
            CertificateAuthority ca = new CertificateAuthority(hsm, new ModuleStore(db));
            if (!hsm.contains(CertificateAuthority.PERSO_UNIT_LABEL) || !hsm.contains(CertificateAuthority.MANUFACTURER_LABEL)) {
                if (!dev) throw missing("module certificate authority keys", "cardsmith ca init", hsm);
                created.add("module certificate hierarchy");
            }
            ca.init(today); // idempotent: issues only what the store lacks
        }
        if (stages.contains("piv")) {
            PivLineCa ca = new PivLineCa(hsm, db);
            if (!ca.ready()) {
                if (!dev && !hsm.contains(PivLineCa.LABEL)) throw missing("line PIV CA key " + PivLineCa.LABEL,
                        "pkcs11-tool --keypairgen --key-type EC:prime256v1 --label " + PivLineCa.LABEL, hsm);
                ca.init(); // the key exists: only the CA certificate is missing (idempotent)
                created.add("line PIV CA key and certificate");
            }
        }
        if (stages.contains("sim") && !hsm.contains(OtaStore.KEK_LABEL)) {
            // a new KEK cannot read key sets wrapped under another: minted only in development mode
            if (!dev) throw missing("OTA key-encryption key " + OtaStore.KEK_LABEL, "cardsmith hsm init", hsm);
            OtaStore.createKek(hsm);
            created.add("OTA key-encryption key");
        }
        return created;
    }

    private static FactoryException missing(String what, String command, Hsm hsm) {
        return new FactoryException(FactoryException.Kind.MISSING_KEY, "no " + what + " in " + hsm.describe() + ": run '" + command + "' (or use --dev for development keys)");
    }
}
