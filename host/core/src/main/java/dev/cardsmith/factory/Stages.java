package dev.cardsmith.factory;

import dev.cardsmith.codec.Imei;
import dev.cardsmith.hsm.Hsm;
import dev.cardsmith.module.CertificateAuthority;
import dev.cardsmith.module.ModuleStore;
import dev.cardsmith.module.PersonalizationUnit;
import dev.cardsmith.psd.AccessServer;
import dev.cardsmith.psd.PsdStore;
import dev.cardsmith.store.Database;
import dev.cardsmith.store.OperationJournal;
import dev.cardsmith.vault.PublicDatabase;
import dev.cardsmith.vault.SecureProcessingPoint;
import dev.cardsmith.vault.VaultCard;
import dev.cardsmith.vault.VaultKeys;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;

/**
 * The stages the line knows, each a thin adapter over its system's own flow (the factory is the
 * one package allowed to call several systems). Each stage calls that flow's one resume entry
 * ({@code SecureProcessingPoint.provisionOrResume}, {@code AccessServer.issueOrResume},
 * {@code PersonalizationUnit.personalizeOrResume}), which asks the card and the store whether the
 * work is done, so a resumed device never gets a stage twice and the line keeps no copy of a
 * flow's "already done?" rules.
 */
public final class Stages {
    /** The stage names in line order. */
    public static final List<String> KNOWN = List.of("vault", "psd", "module");

    private Stages() {}

    /** Parses {@code vault,psd,module}: known names, each once. */
    public static List<String> parse(String spec) {
        List<String> out = new ArrayList<>();
        for (String s : spec.split(",")) {
            String name = s.strip().toLowerCase(java.util.Locale.ROOT);
            if (name.isEmpty()) continue;
            if (!KNOWN.contains(name)) {
                throw new FactoryException(FactoryException.Kind.USAGE, "unknown stage '" + name + "': the line has " + String.join(", ", KNOWN)
                        + (List.of("csp", "sim").contains(name) ? " (" + name + " needs per-device keys or PINs the line does not issue yet)" : ""));
            }
            if (out.contains(name)) throw new FactoryException(FactoryException.Kind.USAGE, "stage '" + name + "' is given twice");
            out.add(name);
        }
        if (out.isEmpty()) throw new FactoryException(FactoryException.Kind.USAGE, "no stage given: use --stages " + String.join(",", KNOWN));
        return out;
    }

    /**
     * Builds the stages named in {@code names} over one HSM, the line's operations store {@code db}
     * (intents, journal, PSD and module records) and the permanent public database {@code publicDb}
     * (the vault stage's device records and identity bindings, as {@code device provision} writes them).
     */
    public static List<Stage> build(List<String> names, Hsm hsm, Database db, PublicDatabase publicDb, LocalDate today) {
        List<Stage> out = new ArrayList<>();
        for (String n : names) {
            out.add(switch (n) {
                case "vault" -> new Vault(new VaultKeys(hsm), publicDb, new OperationJournal(db));
                case "psd" -> new Psd(new AccessServer(hsm, new PsdStore(db)));
                case "module" -> new Module(new CertificateAuthority(hsm, new ModuleStore(db)), today);
                default -> throw new FactoryException(FactoryException.Kind.USAGE, "unknown stage " + n);
            });
        }
        return out;
    }

    /** Seed 000: the secure processing point's provision; identity from the pool. */
    static final class Vault implements Stage {
        private final SecureProcessingPoint spp;

        Vault(VaultKeys keys, PublicDatabase publicDb, OperationJournal journal) {
            this.spp = new SecureProcessingPoint(keys, publicDb, journal, null);
        }

        @Override public String name() { return "vault"; }

        @Override public boolean needsIdentity() { return true; }

        @Override
        public Done run(Device d) {
            if (d.identity() == null) throw new FactoryException(FactoryException.Kind.USAGE, "the vault stage needs an identity (--imei-range or --identities)");
            // the flow's own resume entry: provisions, finishes an interrupted provision (no wipe), or reports it done
            SecureProcessingPoint.Provisioned p = spp.provisionOrResume(new VaultCard(d.card()), Imei.identityBytes(d.identity()));
            return new Done("chip " + p.chipId() + " provisioned as " + p.identity() + " (public database version " + p.databaseVersion()
                    + ", package version " + p.packageVersion() + (p.resumed() ? ", resumed" : "") + ")", p.chipId());
        }
    }

    /** Seed 001: the access server's issue (its own resume entry decides what is already done). */
    static final class Psd implements Stage {
        private final AccessServer access;

        Psd(AccessServer access) { this.access = access; }

        @Override public String name() { return "psd"; }

        @Override
        public Done run(Device d) {
            AccessServer.Outcome o = access.issueOrResume(d.card());
            return new Done("PSD " + o.psdId() + " " + o.action() + " (MK v" + o.mkVersion() + ")", null);
        }
    }

    /** Seed 002: enrollment at manufacture, then personalization with a fresh TAN (the unit's own resume entry). */
    static final class Module implements Stage {
        private final PersonalizationUnit unit;
        private final LocalDate today;

        Module(CertificateAuthority ca, LocalDate today) {
            this.unit = new PersonalizationUnit(ca);
            this.today = today;
        }

        @Override public String name() { return "module"; }

        @Override
        public Done run(Device d) {
            PersonalizationUnit.Resumed r = unit.personalizeOrResume(d.card(), today, "factory");
            return new Done("module " + r.moduleId() + " " + r.action() + " (" + r.moduleChr() + ")", null);
        }
    }
}
