package dev.cardsmith.cli;

import dev.cardsmith.crypto.Hex;
import dev.cardsmith.hsm.Hsm;
import dev.cardsmith.ota.OtaStore;
import dev.cardsmith.vault.VaultKeys;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code cardsmith hsm init}: the one explicit step that creates the station's HSM keys (a
 * keystore file when the HSM is a PKCS#12 file). No other command mints a manufacturer key or
 * the OTA key-encryption key outside development mode; {@code ca init} and {@code kms init} create their own systems' keys.
 */
@Command(name = "hsm", description = "The station's HSM (--keystore / --hsm): create its keys.",
        subcommands = {HsmCommand.Init.class})
final class HsmCommand implements Runnable {
    @Spec CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "choose a subcommand: init");
    }

    @Command(name = "init", description = "Create the keystore (PKCS#12) if missing and the device-vault keys: manufacturer "
            + "key pair, master key and key-pool wrapping key, and the OTA store's key-encryption key. Keys that exist are kept.")
    static final class Init implements Runnable {
        @Spec CommandSpec spec;

        @Override
        public void run() {
            try (CliContext ctx = CliContext.of(spec).creatingKeys()) {
                Hsm hsm = ctx.hsm();
                Map<String, Object> keys = new LinkedHashMap<>();
                for (String label : List.of(VaultKeys.MANUFACTURER, VaultKeys.MASTER, VaultKeys.POOL, OtaStore.KEK_LABEL)) {
                    keys.put(label, hsm.contains(label) ? "kept" : "created");
                }
                new VaultKeys(hsm).ensure().ensurePool();
                OtaStore.createKek(hsm);
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("hsm", hsm.describe());
                out.put("keys", keys);
                out.put("manufacturerPublicKey", Hex.of(new VaultKeys(hsm).manufacturerPoint()));
                ctx.emit(out);
            }
        }
    }
}
