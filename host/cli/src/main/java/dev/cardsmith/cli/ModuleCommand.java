package dev.cardsmith.cli;

import dev.cardsmith.module.CentralSystem;
import dev.cardsmith.module.LocalModule;
import dev.cardsmith.module.Manufacturing;
import dev.cardsmith.module.PersonalizationUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.LinkedHashMap;
import java.util.Map;

/** {@code cardsmith module enroll|personalize|status|reset}: the security module of system 002. */
@Command(name = "module", description = "Security module: enrollment, personalization, status, reset.",
        subcommands = {ModuleCommand.Enroll.class, ModuleCommand.Personalize.class, ModuleCommand.Status.class, ModuleCommand.Reset.class})
final class ModuleCommand {

    @Command(name = "enroll", description = "Manufacturing: checking key (if not installed), identity key + manufacturer certificate.")
    static final class Enroll implements Runnable {
        @Spec CommandSpec spec;
        @Option(names = "--date", description = "Issue date YYYY-MM-DD (default today).") String date;

        @Override
        public void run() {
            try (CliContext ctx = CliContext.of(spec)) {
                Manufacturing.Enrolled e = ModuleCliSupport.verifying(() ->
                        new Manufacturing(ModuleCliSupport.ca(ctx)).enroll(ctx.card(), ModuleCliSupport.today(date)));
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("module", e.moduleId());
                m.put("identityCertificate", e.identity().chr());
                m.put("alreadyEnrolled", e.alreadyEnrolled());
                ctx.emit(m);
            }
        }
    }

    @Command(name = "personalize", description = "Personalize the module in the local reader (TAN from the identification unit).")
    static final class Personalize implements Runnable {
        @Spec CommandSpec spec;
        @Option(names = "--tan", paramLabel = "TAN", description = "One-time transaction number issued for this module (8 digits): "
                + Secrets.FORMS + " (default: $CARDSMITH_TAN, else a prompt).") String tan;
        @Option(names = "--short-apdus", description = "Command chaining + GET RESPONSE instead of extended length.") boolean shortApdus;
        @Option(names = "--date", description = "Issue date YYYY-MM-DD (default today).") String date;

        @Override
        public void run() {
            String secret = ModuleCliSupport.tan(tan);
            try (CliContext ctx = CliContext.of(spec)) {
                Map<String, Object> m = ModuleCliSupport.verifying(() -> new LocalModule(ctx.card()).select()
                        .personalize(new PersonalizationUnit(ModuleCliSupport.ca(ctx)), secret, !shortApdus, ModuleCliSupport.today(date)));
                ctx.emit(m);
            }
        }
    }

    @Command(name = "status", description = "State, keys and certificates of the module.")
    static final class Status implements Runnable {
        @Spec CommandSpec spec;

        @Override
        public void run() {
            try (CliContext ctx = CliContext.of(spec)) {
                ctx.emit(ModuleCliSupport.verifying(() -> new LocalModule(ctx.card()).select().describe()));
            }
        }
    }

    @Command(name = "reset", description = "Back to the personalization state: erases module key, certificate and transaction key "
            + "(an operating module only with the central system's release authorization, signed with its HSM key).")
    static final class Reset implements Runnable {
        @Spec CommandSpec spec;

        @Override
        public void run() {
            try (CliContext ctx = CliContext.of(spec)) {
                String id = ModuleCliSupport.verifying(() -> new LocalModule(ctx.card()).select().reset(new CentralSystem(ModuleCliSupport.ca(ctx))));
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("module", id == null ? "(not enrolled)" : id);
                m.put("state", "personalization");
                ctx.emit(m);
            }
        }
    }
}
