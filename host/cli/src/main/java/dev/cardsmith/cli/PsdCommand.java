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
        subcommands = {PsdCommand.Issue.class, PsdCommand.Replace.class, PsdCommand.ChangeKrk.class, PsdCommand.Status.class, PsdCommand.Reconcile.class})
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
}
