package dev.cardsmith.factory;

import dev.cardsmith.codec.Imei;
import dev.cardsmith.csp.PinMailer;
import dev.cardsmith.csp.PivCard;
import dev.cardsmith.csp.PivIssuance;
import dev.cardsmith.hsm.Hsm;
import dev.cardsmith.module.CertificateAuthority;
import dev.cardsmith.ota.OtaServer;
import dev.cardsmith.ota.OtaStore;
import dev.cardsmith.ota.SimCard;
import dev.cardsmith.ota.SimIssuance;
import dev.cardsmith.ota.handset.Handset;
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
 * {@code PersonalizationUnit.personalizeOrResume}, {@code PivIssuance.issueOrResume}, {@code SimIssuance.issueOrResume}), which asks the card and the store whether the
 * work is done, so a resumed device never gets a stage twice and the line keeps no copy of a
 * flow's "already done?" rules.
 */
public final class Stages {
    /** The stage names in line order. */
    public static final List<String> KNOWN = List.of("vault", "psd", "module", "piv", "sim");

    private Stages() {}

    /** Parses {@code vault,psd,module}: known names, each once. */
    public static List<String> parse(String spec) {
        List<String> out = new ArrayList<>();
        for (String s : spec.split(",")) {
            String name = s.strip().toLowerCase(java.util.Locale.ROOT);
            if (name.isEmpty()) continue;
            if (!KNOWN.contains(name)) {
                throw new FactoryException(FactoryException.Kind.USAGE, "unknown stage '" + name + "': the line has " + String.join(", ", KNOWN)
                        + (name.equals("csp") ? " (the csp card edge is issued by the piv stage)" : ""));
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
        return build(names, hsm, db, publicDb, today, null);
    }

    /** As above; {@code pinMailer} is the operator's key the piv stage seals each card's PIN, PUK and management key to. */
    public static List<Stage> build(List<String> names, Hsm hsm, Database db, PublicDatabase publicDb, LocalDate today, PinMailer pinMailer) {
        return build(names, hsm, db, publicDb, today, pinMailer, null);
    }

    /** As above; {@code simTransportKey} is the AES-128 transport key the sim stage's SIMs were installed with (the SIM vendor's). */
    public static List<Stage> build(List<String> names, Hsm hsm, Database db, PublicDatabase publicDb, LocalDate today, PinMailer pinMailer,
                                    byte[] simTransportKey) {
        requireMailer(names, pinMailer);
        requireTransportKey(names, simTransportKey);
        List<Stage> out = new ArrayList<>();
        for (String n : names) {
            out.add(switch (n) {
                case "vault" -> new Vault(new VaultKeys(hsm), publicDb, new OperationJournal(db));
                case "psd" -> new Psd(new AccessServer(hsm, new PsdStore(db)));
                case "module" -> new Module(new CertificateAuthority(hsm, new ModuleStore(db)), today);
                case "piv" -> new Piv(new PivLineCa(hsm, db), db, pinMailer);
                case "sim" -> new Sim(new OtaServer(new OtaStore(db, hsm)), db, simTransportKey, hsm.contains(OtaServer.OPERATOR_CA_LABEL), today);
                default -> throw new FactoryException(FactoryException.Kind.USAGE, "unknown stage " + n);
            });
        }
        return out;
    }

    /** The piv stage's refusal without a PIN mailer key: checked before any card (or HSM key) is touched. */
    public static void requireMailer(List<String> names, PinMailer pinMailer) {
        if (names.contains("piv") && pinMailer == null) {
            throw new FactoryException(FactoryException.Kind.USAGE, "the piv stage needs --pin-mailer-key FILE.pem (the operator's public key "
                    + "each card's PIN, PUK and management key are sealed to)");
        }
    }

    /** The sim stage's refusal without a SIM transport key: checked before any card (or HSM key) is touched. */
    public static void requireTransportKey(List<String> names, byte[] simTransportKey) {
        if (names.contains("sim") && (simTransportKey == null || simTransportKey.length != 16)) {
            throw new FactoryException(FactoryException.Kind.USAGE, "the sim stage needs --sim-transport-key HEX (the AES-128 key the SIM "
                    + "vendor installed the sim applet with; --dev uses the published development key)");
        }
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

    /**
     * Seed 003's card edge: a P-256 key pair in 9A with a certificate from the line's PIV CA, and
     * fresh PIN, PUK and management key sealed to the operator's PIN mailer (the csp package's own
     * resume entry, {@code PivIssuance.issueOrResume}, decides what the card already has).
     */
    static final class Piv implements Stage {
        private final PivLineCa ca;
        private final Database db;
        private final PinMailer mailer;

        Piv(PivLineCa ca, Database db, PinMailer mailer) {
            this.ca = ca;
            this.db = db;
            this.mailer = mailer;
        }

        @Override public String name() { return "piv"; }

        @Override
        public Done run(Device d) {
            String subject = d.identity() != null ? d.identity() : d.runId().substring(0, 8) + "-" + d.slot();
            PivIssuance.Outcome o = PivIssuance.issueOrResume(new PivCard(d.card()), key -> ca.issue(key, subject), mailer,
                    new PivRecords(db, d.runId(), d.slot()));
            return new Done("PIV 9A P-256 certified as CN=" + subject + " (serial " + o.certificate().getSerialNumber().toString(16) + ", "
                    + o.action().name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ') + "); PIN, PUK, management key sealed to mailer "
                    + mailer.fingerprint().substring(0, 16), null);
        }
    }

    /**
     * Seed 004's SIM: a fresh random OTA key set per SIM, registered wrapped under the OTA KEK,
     * personalized with PERSONALIZE under the SIM's transport key, proven by an OTA STATUS through
     * the handset path, the SIM key certified when the line has the operator CA (the ota package's
     * own resume entry, {@code SimIssuance.issueOrResume}, decides what the card already has). The
     * SIM ID is the device's identity (an ICCID from {@code --identities}), else {@code sim-RUN8-SLOT}.
     */
    static final class Sim implements Stage {
        /** The bench handset's IMEI (the OTA path's handset model; the SIM keeps nothing of it at this stage). */
        static final String BENCH_IMEI = "490154203237518";
        private final OtaServer server;
        private final Database db;
        private final byte[] transportKey;
        private final boolean certify;
        private final LocalDate today;

        Sim(OtaServer server, Database db, byte[] transportKey, boolean certify, LocalDate today) {
            this.server = server;
            this.db = db;
            this.transportKey = transportKey.clone();
            this.certify = certify;
            this.today = today;
        }

        @Override public String name() { return "sim"; }

        static String simId(Device d) {
            return d.identity() != null ? d.identity() : "sim-" + d.runId().substring(0, 8) + "-" + d.slot();
        }

        @Override
        public Done run(Device d) {
            SimIssuance.Outcome o = SimIssuance.issueOrResume(new SimCard(d.card()), server, c -> new Handset(c.channel(), BENCH_IMEI),
                    simId(d), transportKey, certify, today, new SimRecords(db, d.runId(), d.slot()));
            return new Done("SIM " + o.simId() + " OTA key set (AES-128 KIc/KID #" + SimIssuance.KEY_INDEX + ", MSL "
                    + String.format("%02X", SimIssuance.MSL) + ") " + o.action().name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ')
                    + ", OTA STATUS PoR good" + (o.certified() ? ", SIM key certified" : ""), null);
        }
    }
}
