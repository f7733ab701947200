package dev.cardsmith.factory;

import dev.cardsmith.applet.vault.Constants;
import dev.cardsmith.codec.Imei;
import dev.cardsmith.hsm.Hsm;
import dev.cardsmith.module.CertificateAuthority;
import dev.cardsmith.module.LocalModule;
import dev.cardsmith.module.Manufacturing;
import dev.cardsmith.module.ModuleApdus;
import dev.cardsmith.module.ModuleStore;
import dev.cardsmith.module.PersonalizationUnit;
import dev.cardsmith.module.TanIssuer;
import dev.cardsmith.psd.AccessServer;
import dev.cardsmith.psd.PsdStatus;
import dev.cardsmith.psd.PsdStore;
import dev.cardsmith.store.Database;
import dev.cardsmith.store.OperationJournal;
import dev.cardsmith.vault.ChipInfo;
import dev.cardsmith.vault.DeviceRecord;
import dev.cardsmith.vault.PublicDatabase;
import dev.cardsmith.vault.SecureProcessingPoint;
import dev.cardsmith.vault.VaultCard;
import dev.cardsmith.vault.VaultKeys;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The stages the line knows, each a thin adapter over its system's own flow (the factory is the
 * one package allowed to call several systems). Each stage first asks the card and the store
 * whether its work is already done, so a resumed device never gets a stage twice.
 */
public final class Stages {
    private static final Logger LOG = LoggerFactory.getLogger(Stages.class);

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
                throw new FactoryException("unknown stage '" + name + "': the line has " + String.join(", ", KNOWN)
                        + (List.of("csp", "sim").contains(name) ? " (" + name + " needs per-device keys or PINs the line does not issue yet)" : ""));
            }
            if (out.contains(name)) throw new FactoryException("stage '" + name + "' is given twice");
            out.add(name);
        }
        if (out.isEmpty()) throw new FactoryException("no stage given: use --stages " + String.join(",", KNOWN));
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
                default -> throw new FactoryException("unknown stage " + n);
            });
        }
        return out;
    }

    /** Seed 000: the secure processing point's provision; identity from the pool. */
    static final class Vault implements Stage {
        private final SecureProcessingPoint spp;
        private final PublicDatabase publicDb;

        Vault(VaultKeys keys, PublicDatabase publicDb, OperationJournal journal) {
            this.spp = new SecureProcessingPoint(keys, publicDb, journal, null);
            this.publicDb = publicDb;
        }

        @Override public String name() { return "vault"; }

        @Override public boolean needsIdentity() { return true; }

        @Override
        public Done run(Device d) {
            if (d.identity() == null) throw new FactoryException("the vault stage needs an identity (--imei-range or --identities)");
            VaultCard card = new VaultCard(d.card());
            ChipInfo info = card.select();
            String chip = info.chipIdHex();
            Optional<DeviceRecord> rec = publicDb.latest(chip);
            boolean recorded = rec.isPresent() && rec.get().identity().equals(d.identity())
                    && rec.get().packageVersion() == info.packageVersion() && d.identity().equals(info.identityText());
            if (info.state() == Constants.STATE_PROVISIONED && recorded) {
                return new Done("chip " + chip + " already provisioned (public database version " + rec.get().version() + ")", chip);
            }
            if (info.state() == Constants.STATE_PACKAGED && !recorded && d.identity().equals(info.identityText())) {
                // the process stopped between STORE PACKAGE and the database write: the backup
                // existed only in the lost response and the card cannot give it again, so the
                // package is replaced (authorized wipe, new package, same identity)
                LOG.warn("chip {}: package without a backup in the public database; wiping it to provision again", chip);
                spp.wipe(card);
            }
            SecureProcessingPoint.Provisioned p = spp.provision(card, Imei.identityBytes(d.identity()));
            return new Done("chip " + chip + " provisioned as " + p.identity() + " (public database version " + p.databaseVersion()
                    + (p.resumed() ? ", resumed" : "") + ")", chip);
        }
    }

    /** Seed 001: the access server's issue. */
    static final class Psd implements Stage {
        private final AccessServer access;

        Psd(AccessServer access) { this.access = access; }

        @Override public String name() { return "psd"; }

        @Override
        public Done run(Device d) {
            PsdStatus st = access.select(d.card());
            Optional<PsdStore.Row> row = access.store().find(st.idHex());
            if (st.issued() && row.isPresent() && row.get().state() == PsdStore.State.ISSUED) {
                return new Done("PSD " + st.idHex() + " already issued (MK v" + st.mkVersion() + ")", null);
            }
            AccessServer.Outcome o = access.issue(d.card());
            return new Done("PSD " + o.psdId() + " " + o.action() + " (MK v" + o.mkVersion() + ")", null);
        }
    }

    /** Seed 002: enrollment at manufacture, then personalization with a fresh TAN. */
    static final class Module implements Stage {
        private final CertificateAuthority ca;
        private final PersonalizationUnit unit;
        private final LocalDate today;

        Module(CertificateAuthority ca, LocalDate today) {
            this.ca = ca;
            this.unit = new PersonalizationUnit(ca);
            this.today = today;
        }

        @Override public String name() { return "module"; }

        @Override
        public Done run(Device d) {
            Manufacturing.Enrolled e = new Manufacturing(ca).enroll(d.card(), today);
            LocalModule module = new LocalModule(d.card()).select();
            ModuleApdus.Status st = module.status();
            ModuleStore store = ca.store();
            if (st.operating()) {
                Optional<ModuleStore.ModuleRecord> r = store.module(e.moduleId());
                if (r.isPresent() && "PERSONALIZED".equals(r.get().state())) {
                    return new Done("module " + e.moduleId() + " already personalized (" + r.get().moduleChr() + ")", null);
                }
                // operating, not recorded: the process stopped after the card committed; the unit reconciles from the card
                PersonalizationUnit.Result res = unit.personalize(module.card(true), today, "factory");
                return new Done("module " + res.moduleId() + " personalized (" + res.moduleCertificate().chr() + ", reconciled)", null);
            }
            String tan = new TanIssuer(ca).issue(e.moduleId(), 1).get(0);
            module.personalize(unit, tan, true, today);
            return new Done("module " + e.moduleId() + " personalized", null);
        }
    }
}
