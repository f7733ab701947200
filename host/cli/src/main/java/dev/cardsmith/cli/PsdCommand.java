package dev.cardsmith.cli;

import dev.cardsmith.psd.AccessServer;
import dev.cardsmith.psd.PsdException;
import dev.cardsmith.psd.PsdStore;
import dev.cardsmith.psd.Scp03;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiFunction;
import dev.cardsmith.transport.CardSession;

/** {@code cardsmith psd …}: the access server's PSD flows (seed 001). */
@Command(name = "psd", description = "Personal security device: initial issuance, master key replacement, status, reconcile.",
        subcommands = {PsdCommand.Issue.class, PsdCommand.Replace.class, PsdCommand.ChangeKrk.class, PsdCommand.Status.class, PsdCommand.Reconcile.class,
                PsdCommand.ImportKey.class, PsdCommand.TrustKms.class, PsdCommand.ImportTransfer.class})
final class PsdCommand {

    static void run(CommandSpec spec, BiFunction<AccessServer, CardSession, Map<String, Object>> flow) {
        try (CliContext ctx = CliContext.of(spec)) {
            AccessServer access = new AccessServer(ctx.hsm(), new PsdStore(ctx.db()));
            Map<String, Object> m;
            try {
                m = new LinkedHashMap<>(flow.apply(access, ctx.card()));
            } catch (Scp03.Scp03Exception e) {
                throw new CliException(e.getMessage(), ErrorHandler.EXIT_VERIFY);
            } catch (PsdException e) {
                throw new CliException(e.getMessage(), ErrorHandler.EXIT_FAILURE);
            }
            m.putAll(ctx.apduStats());
            ctx.emit(m);
        }
    }

    static Map<String, Object> outcome(AccessServer.Outcome o) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("psdId", o.psdId());
        m.put("result", o.action());
        m.put("mkVersion", o.mkVersion());
        m.put("krkVersion", o.krkVersion());
        return m;
    }

    @Command(name = "issue", description = "Generate and inject the KRK and the MK into the PSD.")
    static final class Issue implements Runnable {
        @Spec CommandSpec spec;

        @picocli.CommandLine.Option(names = "--transport-key-version", paramLabel = "N",
                description = "The transport key version of the card's batch (default: the newest imported).")
        Integer transportKeyVersion;

        @Override
        public void run() {
            PsdCommand.run(spec, (a, card) -> outcome(transportKeyVersion == null ? a.issue(card) : a.issue(card, transportKeyVersion)));
        }
    }

    @Command(name = "replace-master-key", description = "Post-issuance MK replacement to the newest MK block "
            + "(a blocked security executive is recovered with the KRK in the same session).")
    static final class Replace implements Runnable {
        @Spec CommandSpec spec;

        @Override
        public void run() {
            PsdCommand.run(spec, (a, card) -> outcome(a.replaceMasterKey(card)));
        }
    }

    @Command(name = "change-krk", description = "Move the PSD to the newest KRK block version (new random, new cryptogram; "
            + "a blocked security executive is recovered with the current KRK on the way).")
    static final class ChangeKrk implements Runnable {
        @Spec CommandSpec spec;

        @Override
        public void run() {
            PsdCommand.run(spec, (a, card) -> outcome(a.changeKrk(card)));
        }
    }

    @Command(name = "status", description = "The PSD's public status next to the store's record.")
    static final class Status implements Runnable {
        @Spec CommandSpec spec;

        @Override
        public void run() {
            PsdCommand.run(spec, (a, card) -> a.status(card));
        }
    }

    @Command(name = "reconcile", description = "Settle an issuance or replacement interrupted between card and store.")
    static final class Reconcile implements Runnable {
        @Spec CommandSpec spec;

        @Override
        public void run() {
            PsdCommand.run(spec, (a, card) -> {
                    AccessServer.ReconcileResult r = a.reconcile(card);
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("psdId", r.psdId());
                    m.put("result", r.action());
                    m.put("cardMkVersion", r.cardMkVersion());
                    m.put("storeMkVersion", r.storeMkVersion());
                    return m;
                });
        }
    }

    /** The access server's side of a key-transfer file: the import key out, the KMS signing key pinned, the file in. */
    static void keyWork(CommandSpec spec, java.util.function.Function<AccessServer, Map<String, Object>> work) {
        try (CliContext ctx = CliContext.of(spec).creatingKeys()) {
            ctx.emit(work.apply(new AccessServer(ctx.hsm(), new PsdStore(ctx.db()))));
        } catch (PsdException e) {
            throw new CliException(e.getMessage(), ErrorHandler.EXIT_FAILURE);
        }
    }

    @Command(name = "import-key", description = "Write the access server's KTK import public key (PEM) for `cardsmith kms export-transfer`.")
    static final class ImportKey implements Runnable {
        @Spec CommandSpec spec;

        @picocli.CommandLine.Option(names = "--out", required = true, paramLabel = "FILE", description = "Where to write the PEM public key.")
        java.nio.file.Path out;

        @Override
        public void run() {
            keyWork(spec, a -> {
                java.security.PublicKey k = a.keyTransferImportKey();
                try {
                    java.nio.file.Files.writeString(out, dev.cardsmith.psd.KeyTransferFile.pem(k));
                } catch (java.io.IOException e) {
                    throw new CliException("cannot write " + out + ": " + e.getMessage(), ErrorHandler.EXIT_FAILURE);
                }
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("importKey", out.toString());
                m.put("fingerprint", dev.cardsmith.psd.KeyTransferFile.fingerprint(k));
                return m;
            });
        }
    }

    @Command(name = "trust-kms", description = "Pin the KMS's key-transfer signing key (PEM from `cardsmith kms signing-key`); compare its fingerprint out of band.")
    static final class TrustKms implements Runnable {
        @Spec CommandSpec spec;

        @picocli.CommandLine.Option(names = "--kms-key", required = true, paramLabel = "FILE", description = "The KMS signing public key (PEM).")
        java.nio.file.Path kmsKey;

        @picocli.CommandLine.Option(names = "--replace", description = "Replace a different key pinned before (a KMS key change).")
        boolean replace;

        @Override
        public void run() {
            keyWork(spec, a -> {
                java.security.PublicKey k;
                try {
                    k = dev.cardsmith.psd.KeyTransferFile.fromPem(java.nio.file.Files.readString(kmsKey), "EC");
                } catch (java.io.IOException e) {
                    throw new CliException("cannot read " + kmsKey + ": " + e.getMessage(), ErrorHandler.EXIT_FAILURE);
                }
                a.trustKms(k, replace);
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("pinned", dev.cardsmith.psd.KeyTransferFile.fingerprint(k));
                return m;
            });
        }
    }

    @Command(name = "import-transfer", description = "Import a key-transfer file from the KMS (refused when unsigned, signed by another key, "
            + "made for another access server, replayed or downgraded).")
    static final class ImportTransfer implements Runnable {
        @Spec CommandSpec spec;

        @picocli.CommandLine.Parameters(paramLabel = "FILE", description = "The key-transfer file from `cardsmith kms export-transfer`.")
        java.nio.file.Path file;

        @Override
        public void run() {
            keyWork(spec, a -> {
                try {
                    return a.importTransferFile(java.nio.file.Files.readAllBytes(file));
                } catch (java.io.IOException e) {
                    throw new CliException("cannot read " + file + ": " + e.getMessage(), ErrorHandler.EXIT_FAILURE);
                }
            });
        }
    }
}
