package dev.cardsmith.cli;

import dev.cardsmith.crypto.Hex;
import dev.cardsmith.hsm.Hsm;
import dev.cardsmith.psd.AccessServer;
import dev.cardsmith.psd.KeyManagementServer;
import dev.cardsmith.psd.KeyTransfer;
import dev.cardsmith.psd.KeyTransferFile;
import dev.cardsmith.psd.PsdKeys;
import dev.cardsmith.psd.PsdStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code cardsmith kms …}: the key management server's HSM (the "second HSM" of seed 001) and
 * the secure transfer of its keys to the access server's HSM ({@code --hsm}).
 */
@Command(name = "kms", description = "PSD key management server: MK/KRK data blocks, RSA key pair, transfer to the access server.",
        subcommands = {KmsCommand.Init.class, KmsCommand.RotateMk.class, KmsCommand.RotateKrk.class, KmsCommand.SigningKey.class, KmsCommand.ExportTransfer.class, KmsCommand.Transfer.class, KmsCommand.ImportTransportKey.class})
final class KmsCommand {

    @Option(names = "--kms-hsm", scope = ScopeType.INHERIT, paramLabel = "SPEC",
            description = "The KMS HSM: pkcs12:FILE (default $CARDSMITH_HOME/kms-keystore.p12) or pkcs11:library=…;token=….")
    String kmsHsm;

    @Option(names = "--kms-pin", scope = ScopeType.INHERIT, paramLabel = "SECRET",
            description = "KMS keystore password / token PIN: " + Secrets.FORMS + " (default: $CARDSMITH_KMS_PASSWORD, else a prompt; "
                    + "the development default only with --dev).")
    String kmsPin;

    Hsm openKms(CliContext ctx) {
        String spec = kmsHsm != null ? kmsHsm : "pkcs12:" + CliContext.home().resolve("kms-keystore.p12");
        return ctx.openHsm(spec, kmsPin, "CARDSMITH_KMS_PASSWORD", "--kms-pin", "KMS keystore password");
    }

    /** Runs one rotation in the KMS HSM and prints the new version under {@code key}. */
    void rotate(CommandSpec spec, String key, java.util.function.ToIntFunction<KeyManagementServer> rotation) {
        try (CliContext ctx = CliContext.of(spec); Hsm h = openKms(ctx)) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put(key, rotation.applyAsInt(new KeyManagementServer(h)));
            ctx.emit(m);
        }
    }

    @Command(name = "init", description = "Generate the MK data block v1, the KRK data block and the RSA key pair in the KMS HSM (idempotent).")
    static final class Init implements Runnable {
        @Spec CommandSpec spec;
        @ParentCommand KmsCommand kms;

        @Override
        public void run() {
            try (CliContext ctx = CliContext.of(spec).creatingKeys(); Hsm h = kms.openKms(ctx)) {
                ctx.emit(new KeyManagementServer(h).init());
            }
        }
    }

    @Command(name = "rotate-mk", description = "Generate the next MK data block version (for post-issuance replacement).")
    static final class RotateMk implements Runnable {
        @Spec CommandSpec spec;
        @ParentCommand KmsCommand kms;

        @Override
        public void run() {
            kms.rotate(spec, "mkVersion", KeyManagementServer::rotateMasterKeyBlock);
        }
    }

    @Command(name = "rotate-krk", description = "Generate the next KRK data block version (PSDs move to it with `psd change-krk`).")
    static final class RotateKrk implements Runnable {
        @Spec CommandSpec spec;
        @ParentCommand KmsCommand kms;

        @Override
        public void run() {
            kms.rotate(spec, "krkVersion", KeyManagementServer::rotateKrkBlock);
        }
    }

    @Command(name = "signing-key", description = "Write the KMS's key-transfer signing public key (PEM) for `cardsmith psd trust-kms` on the access server.")
    static final class SigningKey implements Runnable {
        @Spec CommandSpec spec;
        @ParentCommand KmsCommand kms;

        @Option(names = "--out", required = true, paramLabel = "FILE", description = "Where to write the PEM public key.")
        java.nio.file.Path out;

        @Override
        public void run() {
            try (CliContext ctx = CliContext.of(spec); Hsm h = kms.openKms(ctx)) {
                java.security.PublicKey k = new KeyManagementServer(h).transferSigningKey();
                Files.writeString(out, KeyTransferFile.pem(k));
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("signingKey", out.toString());
                m.put("fingerprint", KeyTransferFile.fingerprint(k));
                ctx.emit(m);
            } catch (java.io.IOException e) {
                throw new CliException("cannot write " + out + ": " + e.getMessage(), ErrorHandler.EXIT_FAILURE);
            }
        }
    }

    @Command(name = "export-transfer", description = "Write a signed key-transfer file for the access server whose import key is given "
            + "(`cardsmith psd import-key`); the access server reads it with `cardsmith psd import-transfer`.")
    static final class ExportTransfer implements Runnable {
        @Spec CommandSpec spec;
        @ParentCommand KmsCommand kms;

        @Option(names = "--import-key", required = true, paramLabel = "FILE", description = "The access server's KTK import public key (PEM).")
        java.nio.file.Path importKey;

        @Option(names = "--out", required = true, paramLabel = "FILE", description = "Where to write the key-transfer file.")
        java.nio.file.Path out;

        @Option(names = "--with-private-key", description = "Also transfer the RSA private key (needed for post-issuance replacement).")
        boolean withPrivateKey;

        @Option(names = "--sequence", paramLabel = "N", description = "Export sequence (default: the clock in milliseconds); must grow from file to file.")
        Long sequence;

        @Override
        public void run() {
            try (CliContext ctx = CliContext.of(spec); Hsm h = kms.openKms(ctx)) {
                java.security.PublicKey to = KeyTransferFile.fromPem(Files.readString(importKey), "RSA");
                long seq = sequence != null ? sequence : System.currentTimeMillis();
                Files.write(out, new KeyManagementServer(h).exportTransferFile(to, withPrivateKey, seq));
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("transferFile", out.toString());
                m.put("sequence", seq);
                m.put("recipient", KeyTransferFile.fingerprint(to));
                ctx.emit(m);
            } catch (java.io.IOException e) {
                throw new CliException("cannot read/write the key-transfer files: " + e.getMessage(), ErrorHandler.EXIT_FAILURE);
            } catch (dev.cardsmith.psd.PsdException e) {
                throw new CliException(e.getMessage(), ErrorHandler.EXIT_FAILURE);
            }
        }
    }

    @Command(name = "transfer", description = "Transfer MK/KRK data blocks and the public key (and with --with-private-key the private key) "
            + "from the KMS HSM to the access server HSM (--hsm), wrapped under a one-time key-transfer key.")
    static final class Transfer implements Runnable {
        @Spec CommandSpec spec;
        @ParentCommand KmsCommand kms;

        @Option(names = "--with-private-key", description = "Also transfer the RSA private key (needed for post-issuance replacement).")
        boolean withPrivateKey;

        @Override
        public void run() {
            try (CliContext ctx = CliContext.of(spec).creatingKeys(); Hsm h = kms.openKms(ctx)) {
                AccessServer access = new AccessServer(ctx.hsm(), new PsdStore(ctx.db()));
                KeyTransfer t = new KeyManagementServer(h).export(access.keyTransferImportKey(), withPrivateKey);
                Map<String, Object> m = new LinkedHashMap<>(access.importKeys(t));
                m.put("from", h.describe());
                m.put("to", ctx.hsm().describe());
                ctx.emit(m);
            }
        }
    }

    @Command(name = "import-transport-key", description = "Import the next version of the transport key agreed with the card issuer into the access server HSM "
            + "(default: the documented development key every simulated PSD is installed with).")
    static final class ImportTransportKey implements Runnable {
        @Spec CommandSpec spec;

        @Option(names = "--hex", paramLabel = "HEX",
                description = "The 16-byte transport key in hex (key ceremony): " + Secrets.FORMS + " (default: $CARDSMITH_TRANSPORT_KEY, "
                        + "else a prompt; the documented development key only with --dev).")
        String hex;

        @Override
        public void run() {
            try (CliContext ctx = CliContext.of(spec).creatingKeys()) {
                String given = Secrets.given(hex, "CARDSMITH_TRANSPORT_KEY", "transport key");
                boolean devKey = given == null && ctx.dev();
                if (devKey) ctx.notice("development mode: importing the documented development transport key");
                else if (given == null) given = Secrets.require(null, "CARDSMITH_TRANSPORT_KEY", "--hex", "transport key");
                byte[] v;
                try {
                    v = Hex.parse(devKey ? PsdKeys.DEV_TRANSPORT_KEY_HEX : given);
                } catch (IllegalArgumentException e) {
                    throw new CliException("transport key must be 32 hex digits (16 bytes)", ErrorHandler.EXIT_USAGE);
                }
                if (v.length != 16) throw new CliException("transport key must be 32 hex digits (16 bytes)", ErrorHandler.EXIT_USAGE);
                int version = new AccessServer(ctx.hsm(), new PsdStore(ctx.db())).importTransportKey(v);
                java.util.Arrays.fill(v, (byte) 0);
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("transportKey", devKey ? "imported (development key)" : "imported");
                m.put("transportKeyVersion", version);
                ctx.emit(m);
            }
        }
    }
}
