package dev.cardsmith.cli;

import dev.cardsmith.module.CertificateAuthority;
import dev.cardsmith.module.CvCertificate;
import dev.cardsmith.crypto.Hex;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code cardsmith ca init|issue|list}: the certificate hierarchy of system 002 (docs/module.md). */
@Command(name = "ca", description = "Manufacturer, perso-unit and central-system keys (HSM) and their CV certificates.",
        subcommands = {CaCommand.Init.class, CaCommand.Issue.class, CaCommand.ListCerts.class})
final class CaCommand {

    static Map<String, Object> describe(CvCertificate c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("role", c.role().name());
        m.put("chr", c.chr());
        m.put("car", c.car());
        m.put("effective", c.effective().toString());
        m.put("expiry", c.expiry().toString());
        return m;
    }

    @Command(name = "init", description = "Create the three key pairs in the HSM (if missing) and issue the certificates.")
    static final class Init implements Runnable {
        @Spec CommandSpec spec;

        @Option(names = "--date", description = "Issue date YYYY-MM-DD (default today).")
        String date;

        @Override
        public void run() {
            try (CliContext ctx = CliContext.of(spec).creatingKeys()) {
                CertificateAuthority ca = ModuleCliSupport.ca(ctx);
                List<CvCertificate> certs = ca.init(ModuleCliSupport.today(date));
                Map<String, Object> out = new LinkedHashMap<>();
                List<Object> list = new ArrayList<>();
                for (CvCertificate c : certs) list.add(describe(c));
                out.put("certificates", ctx.json() ? list : list.size());
                out.put("checkingKey", Hex.of(ca.manufacturerPoint()));
                ctx.emit(out);
            }
        }
    }

    @Command(name = "issue", description = "Re-issue a certificate: perso-unit (by the manufacturer) or central (by the perso unit).")
    static final class Issue implements Runnable {
        @Spec CommandSpec spec;

        @Parameters(index = "0", description = "perso-unit | central")
        String role;

        @Option(names = "--effective", description = "Effective date YYYY-MM-DD (default today).")
        String effective;

        @Option(names = "--days", defaultValue = "1095", description = "Validity in days (default ${DEFAULT-VALUE}).")
        int days;

        @Override
        public void run() {
            try (CliContext ctx = CliContext.of(spec)) {
                CertificateAuthority ca = ModuleCliSupport.ca(ctx);
                LocalDate eff = ModuleCliSupport.today(effective);
                if (days < 1) throw new CliException("--days must be positive", ErrorHandler.EXIT_USAGE);
                CvCertificate c = switch (role) {
                    case "perso-unit" -> ca.issuePersoUnit(eff, eff.plusDays(days));
                    case "central" -> ca.issueCentral(eff, eff.plusDays(days));
                    default -> throw new CliException("role must be perso-unit or central", ErrorHandler.EXIT_USAGE);
                };
                ctx.emit(describe(c));
            }
        }
    }

    @Command(name = "list", description = "List every certificate issued (CA and perso unit).")
    static final class ListCerts implements Runnable {
        @Spec CommandSpec spec;

        @Option(names = "--hex", description = "Include the encoded certificates.")
        boolean hex;

        @Override
        public void run() {
            try (CliContext ctx = CliContext.of(spec)) {
                CertificateAuthority ca = ModuleCliSupport.ca(ctx);
                List<Object> list = new ArrayList<>();
                for (CvCertificate c : ca.store().allCertificates()) {
                    Map<String, Object> m = describe(c);
                    if (hex) m.put("certificate", c.hex());
                    list.add(m);
                }
                if (ctx.json()) {
                    ctx.emit(Map.of("certificates", list));
                } else {
                    for (Object o : list) {
                        @SuppressWarnings("unchecked") Map<String, Object> m = (Map<String, Object>) o;
                        ctx.out().println(m.get("role") + " " + m.get("chr") + " by " + m.get("car") + " " + m.get("effective") + ".." + m.get("expiry")
                                + (hex ? " " + m.get("certificate") : ""));
                    }
                    ctx.out().flush();
                }
            }
        }
    }
}
