package dev.cardsmith.cli;

import dev.cardsmith.crypto.Hex;
import dev.cardsmith.ota.DevKeys;
import dev.cardsmith.ota.DrmContent;
import dev.cardsmith.ota.OtaKeys;
import dev.cardsmith.ota.OtaSecurityException;
import dev.cardsmith.ota.OtaServer;
import dev.cardsmith.ota.OtaStore;
import dev.cardsmith.ota.PorStatus;
import dev.cardsmith.ota.ResponsePacket;
import dev.cardsmith.ota.SimStatus;
import dev.cardsmith.ota.Spi;
import dev.cardsmith.ota.handset.Handset;
import dev.cardsmith.ota.terminal.Terminal;
import dev.cardsmith.ota.terminal.TerminalKeyStore;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import javax.smartcardio.CommandAPDU;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code cardsmith ota ...}: the network's secured OTA server (seed 004). */
@Command(name = "ota", description = "OTA server: secured packets (TS 102 225 / TS 31.115) for the sim applet.",
        subcommands = {OtaCommand.AddSim.class, OtaCommand.AddKeySet.class, OtaCommand.InitTrust.class, OtaCommand.Update.class, OtaCommand.Revoke.class,
                OtaCommand.License.class, OtaCommand.Status.class, OtaCommand.Notify.class, OtaCommand.Bench.class})
final class OtaCommand {

    /** Options every packet-producing subcommand shares. */
    static final class PacketOptions {
        @Option(names = "--sim-id", required = true, paramLabel = "ICCID", description = "SIM identifier (ICCID, 18 to 22 digits) as registered with add-sim.")
        String simId;

        @Option(names = "--sms", description = "Print the SMS-DELIVER TPDU(s) in hex instead of sending to the card.")
        boolean sms;

        @Option(names = "--apdu", description = "Print the ENVELOPE APDU(s) (80 C2) in hex instead of sending to the card.")
        boolean apdu;

        @Option(names = "--today", paramLabel = "YYYY-MM-DD", description = "Authenticated current date sent to the SIM (default: today, UTC).")
        LocalDate today;

        @Option(names = "--key-set", defaultValue = "0", paramLabel = "N",
                description = "Protect the packet with the SIM's key set N (KIc/KID index, see add-keyset); 0 = the set given at add-sim. Default: ${DEFAULT-VALUE}.")
        int keySet;

        @Option(names = "--por-by-submit", description = "Ask the SIM for the proof of receipt by SMS-SUBMIT (SPI2 b6) instead of in the delivery report.")
        boolean porBySubmit;

        @Option(names = "--handset-imei", defaultValue = DEFAULT_HANDSET_IMEI, paramLabel = "IMEI",
                description = "IMEI the handset model in front of the card answers to PROVIDE LOCAL INFORMATION. Default: ${DEFAULT-VALUE}.")
        String handsetImei;

        LocalDate today() { return today != null ? today : LocalDate.now(java.time.ZoneOffset.UTC); }

        void check() {
            Checks.iccid(simId, "--sim-id");
            Checks.range(keySet, 0, 15, "--key-set");
            handsetImei = Checks.imei(handsetImei);
        }

        OtaServer server(CliContext ctx) { return OtaCommand.server(ctx).usingKeySet(keySet).porBySubmit(porBySubmit); }
    }

    /** The simulated handset's IMEI (a valid test IMEI, the one of the README demo). */
    static final String DEFAULT_HANDSET_IMEI = "490154203237518";

    static OtaServer server(CliContext ctx) {
        return new OtaServer(store(ctx));
    }

    /**
     * The OTA store once its key-encryption key is in the HSM: made by {@code hsm init}, or on
     * first use in development mode (said on stderr); otherwise a missing KEK is an error, never
     * silently replaced (the SIM key sets wrapped under the old one would be unreadable).
     */
    static OtaStore store(CliContext ctx) {
        dev.cardsmith.hsm.Hsm hsm = ctx.hsm();
        if (!hsm.contains(OtaStore.KEK_LABEL)) {
            if (!ctx.dev()) {
                throw new CliException("no OTA key-encryption key '" + OtaStore.KEK_LABEL + "' in " + hsm.describe()
                        + ": create it with 'cardsmith hsm init' (or use --dev for development keys)", ErrorHandler.EXIT_HSM);
            }
            OtaStore.createKek(hsm);
            ctx.notice("development mode: created development key " + OtaStore.KEK_LABEL + " in " + hsm.describe());
        }
        return new OtaStore(ctx.db(), hsm);
    }

    /** Sends or prints a message, then emits the result. */
    /** Builds one message with the SIM's OTA server and delivers it (the commands that take only the packet options). */
    static void send(CommandSpec spec, PacketOptions o, java.util.function.Function<OtaServer, OtaServer.OtaMessage> message) {
        o.check();
        try (CliContext ctx = CliContext.of(spec)) {
            OtaServer s = o.server(ctx);
            deliver(ctx, s, message.apply(s), o, Map.of());
        }
    }

    static void deliver(CliContext ctx, OtaServer server, OtaServer.OtaMessage m, PacketOptions o, Map<String, Object> extra) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("sim", m.simId());
        out.put("command", m.command());
        out.put("counter", m.counter());
        out.put("spi", m.spi().toString());
        out.put("packetBytes", m.packet().length);
        out.put("sms", m.tpdus().size());
        out.putAll(extra);
        if (o.sms || o.apdu) {
            if (o.sms) {
                List<String> hex = new ArrayList<>();
                for (byte[] t : m.tpdus()) hex.add(Hex.of(t));
                out.put("tpdu", ctx.json() ? hex : String.join(" ", hex));
            }
            if (o.apdu) {
                List<String> hex = new ArrayList<>();
                for (CommandAPDU a : m.apdus()) hex.add(Hex.of(a.getBytes()));
                out.put("apdu", ctx.json() ? hex : String.join(" ", hex));
            }
            ctx.emit(out);
            return;
        }
        OtaServer.Result r;
        Handset handset = new Handset(ctx.card(), o.handsetImei);
        try {
            r = server.send(handset, m);
        } catch (OtaSecurityException e) {
            throw new CliException("proof of receipt rejected: " + e.getMessage(), ErrorHandler.EXIT_VERIFY);
        }
        out.put("envelopes", handset.envelopes().size());
        if (!handset.proactiveCommands().isEmpty()) {
            out.put("proactive", handset.proactiveCommands().stream().map(t -> String.format("%02X", t)).toList());
        }
        if (!handset.submitted().isEmpty()) out.put("smsSubmit", handset.submitted().size());
        ResponsePacket por = r.por();
        out.put("por", PorStatus.name(por.status()));
        if (por.ok()) {
            ResponsePacket.CompactResponse c = r.compact();
            out.put("sw", String.format("%04X", c.sw()));
            if (m.command().equals("status") && c.ok()) out.put("status", SimStatus.parse(c.data()).toMap());
            else if (c.data().length > 0) out.put("data", Hex.of(c.data()));
        }
        out.putAll(ctx.apduStats());
        ctx.emit(out);
        if (!por.ok()) throw new CliException("SIM refused the packet: " + PorStatus.name(por.status()), ErrorHandler.EXIT_CARD);
        if (!r.compact().ok()) throw new CliException(String.format("SIM command failed: SW %04X", r.compact().sw()), ErrorHandler.EXIT_CARD);
    }

    @Command(name = "add-sim", description = "Register a SIM's OTA key set (KIc/KID with indexes, TAR, counter mode). Keys are stored wrapped under an HSM-derived key.")
    static final class AddSim implements Runnable {
        @Spec CommandSpec spec;
        @Option(names = "--sim-id", required = true, paramLabel = "ICCID", description = "SIM identifier (ICCID, 18 to 22 digits).") String simId;
        @Option(names = "--dev-keys", description = "Use the simulator's published TEST key set (KIc#1, KID#1, TAR C5D704).") boolean dev;
        @Option(names = "--kic", paramLabel = "HEX", description = "Ciphering key KIc (16 bytes AES, 16 bytes 2-key 3DES).") String kic;
        @Option(names = "--kid", paramLabel = "HEX", description = "Integrity key KID (same length as KIc).") String kid;
        @Option(names = "--kic-index", defaultValue = "1", paramLabel = "N", description = "Key set index of KIc on the SIM (1..15). Default: ${DEFAULT-VALUE}.") int kicIndex;
        @Option(names = "--kid-index", defaultValue = "1", paramLabel = "N", description = "Key set index of KID on the SIM (1..15). Default: ${DEFAULT-VALUE}.") int kidIndex;
        @Option(names = "--tar", paramLabel = "HEX", defaultValue = "C5D704", description = "Toolkit application reference of the sim applet (3 bytes). Default: ${DEFAULT-VALUE}.") String tar;
        @Option(names = "--algorithm", defaultValue = "AES", description = "AES (AES-CBC/AES-CMAC) or TDES2 (two-key 3DES CBC/CBC-MAC).") OtaKeys.Algorithm algorithm;
        @Option(names = "--counter-mode", defaultValue = "HIGHER", description = "NONE, AVAILABLE, HIGHER or PLUS_ONE (SPI b4b5).") Spi.CounterMode mode;

        @Override
        public void run() {
            Checks.iccid(simId, "--sim-id");
            Checks.range(kicIndex, 1, 15, "--kic-index");
            Checks.range(kidIndex, 1, 15, "--kid-index");
            try (CliContext ctx = CliContext.of(spec)) {
                OtaKeys keys;
                if (dev) keys = DevKeys.keys();
                else if (kic != null && kid != null) keys = new OtaKeys(algorithm, kicIndex, Hex.parse(kic), kidIndex, Hex.parse(kid), Hex.parse(tar));
                else throw new CliException("give --dev-keys or --kic and --kid", ErrorHandler.EXIT_USAGE);
                store(ctx).register(simId, keys, mode);
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("sim", simId);
                m.put("keys", keys.toString());
                m.put("counterMode", mode.name());
                ctx.emit(m);
            }
        }
    }

    @Command(name = "add-keyset", description = "Add a further OTA key set to a registered SIM, under its own KIc/KID index (stored wrapped).")
    static final class AddKeySet implements Runnable {
        @Spec CommandSpec spec;
        @Option(names = "--sim-id", required = true, paramLabel = "ICCID", description = "SIM identifier (ICCID, 18 to 22 digits) as registered with add-sim.") String simId;
        @Option(names = "--index", required = true, paramLabel = "N", description = "Key set index on the SIM (1..15), used for KIc and KID.") int index;
        @Option(names = "--kic", required = true, paramLabel = "HEX", description = "Ciphering key KIc (AES 16/24/32, DES 8, TDES2 16, TDES3 24 bytes).") String kic;
        @Option(names = "--kid", required = true, paramLabel = "HEX", description = "Integrity key KID (same length as KIc).") String kid;
        @Option(names = "--algorithm", defaultValue = "AES", description = "AES, DES, TDES2 or TDES3 (TS 102 225 5.1.2). Default: ${DEFAULT-VALUE}.") OtaKeys.Algorithm algorithm;
        @Option(names = "--crc", defaultValue = "CRC32", description = "Redundancy check for packets with RC: CRC16 or CRC32. Default: ${DEFAULT-VALUE}.") OtaKeys.Crc crc;

        @Override
        public void run() {
            Checks.iccid(simId, "--sim-id");
            Checks.range(index, 1, 15, "--index");
            try (CliContext ctx = CliContext.of(spec)) {
                OtaStore store = store(ctx);
                OtaKeys keys;
                try {
                    keys = new OtaKeys(algorithm, index, Hex.parse(kic), index, Hex.parse(kid), store.require(simId).keys().tar(), crc);
                } catch (IllegalArgumentException e) {
                    throw new CliException("--kic/--kid: " + e.getMessage(), ErrorHandler.EXIT_USAGE);
                }
                store.addKeySet(simId, keys);
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("sim", simId);
                m.put("keys", keys.toString());
                m.put("crc", crc.name());
                ctx.emit(m);
            }
        }
    }

    @Command(name = "init-trust", description = "Send the terminal's authentication key, IMEI, maximum output and expiry to the SIM.")
    static final class InitTrust implements Runnable {
        @Spec CommandSpec spec;
        @Mixin PacketOptions o;
        @Option(names = "--imei", required = true, paramLabel = "IMEI", description = Checks.IMEI_HELP) String imei;
        @Option(names = "--max-output", required = true, paramLabel = "N", description = "Terminal's maximum output (0..255, as the network knows it).") int maxOutput;
        @Option(names = "--expiry", required = true, paramLabel = "YYYY-MM-DD", description = "Last day the trust is valid (after --today).") LocalDate expiry;
        @Option(names = "--lifetime", defaultValue = "90", paramLabel = "DAYS", description = "Validity in days of SIM-generated updated keys (1..3650).") int lifetime;
        @ArgGroup(exclusive = true, multiplicity = "1") KeySource key;

        static final class KeySource {
            @Option(names = "--init-key", paramLabel = "HEX", description = "Symmetric AES-128 key present in the terminal.") String aes;
            @Option(names = "--ec-public", paramLabel = "HEX", description = "Terminal's EC P-256 public key (uncompressed point).") String ec;
            @Option(names = "--terminal-store", paramLabel = "FILE", description = "Read the key from the terminal key store of terminal enrol (simulation).") Path store;
        }

        @Override
        public void run() {
            o.check();
            Checks.range(maxOutput, 0, 255, "--max-output");
            Checks.range(lifetime, 1, 3650, "--lifetime");
            Checks.after(expiry, o.today(), "--expiry");
            imei = Checks.imei(imei);
            if (key.store != null) TerminalCommand.requireEnrolled(key.store);
            try (CliContext ctx = CliContext.of(spec)) {
                OtaServer s = o.server(ctx);
                OtaServer.OtaMessage m;
                LocalDate today = o.today();
                Map<String, Object> extra = new LinkedHashMap<>();
                if (key.ec != null) {
                    m = s.initTrustEc(o.simId, Hex.parse(key.ec), imei, maxOutput, expiry, lifetime, today);
                    extra.put("operatorCa", Hex.of(certify(ctx, s, o)));
                } else if (key.aes != null) {
                    m = s.initTrustSymmetric(o.simId, Hex.parse(key.aes), imei, maxOutput, expiry, lifetime, today);
                } else {
                    TerminalKeyStore ts = TerminalCommand.existing(ctx, key.store);
                    byte[] ecPub = ts.attr("ecPublic") == null ? null : Hex.parse(ts.attr("ecPublic"));
                    if (ecPub != null) {
                        // simulation: the network provisions the terminal's trust anchor with it
                        Terminal.pinOperatorCa(ts, certify(ctx, s, o));
                        m = s.initTrustEc(o.simId, ecPub, imei, maxOutput, expiry, lifetime, today);
                    } else {
                        m = s.initTrustSymmetric(o.simId, requireKey(ts.secret("init")), imei, maxOutput, expiry, lifetime, today);
                    }
                }
                deliver(ctx, s, m, o, extra);
            }
        }

        /**
         * EC variant: the SIM's identity key certified by the operator CA (read by OTA, certificate
         * stored on the SIM) before the init; returns the CA point the terminal must pin. Needs the
         * card (not with --sms / --apdu).
         */
        private static byte[] certify(CliContext ctx, OtaServer s, PacketOptions o) {
            if (o.sms || o.apdu) {
                throw new CliException("the EC variant certifies the SIM's key over the air first: it needs the card (no --sms / --apdu)",
                        ErrorHandler.EXIT_USAGE);
            }
            try {
                s.certifySim(o.simId, new Handset(ctx.card(), o.handsetImei));
            } catch (OtaSecurityException e) {
                throw new CliException("SIM key certification failed: " + e.getMessage(), ErrorHandler.EXIT_VERIFY);
            }
            return s.operatorCa();
        }

        private static byte[] requireKey(byte[] k) {
            if (k == null) throw new CliException("terminal key store has no initialization key (terminal enrol)", ErrorHandler.EXIT_USAGE);
            return k;
        }
    }

    @Command(name = "update", description = "Ask the SIM to renew the trust key before expiry (sets the flag the terminal polls).")
    static final class Update implements Runnable {
        @Spec CommandSpec spec;
        @Mixin PacketOptions o;

        @Override
        public void run() { send(spec, o, s -> s.update(o.simId, o.today())); }
    }

    @Command(name = "revoke", description = "Revocation by the network: the SIM erases the terminal's keys.")
    static final class Revoke implements Runnable {
        @Spec CommandSpec spec;
        @Mixin PacketOptions o;

        @Override
        public void run() { send(spec, o, s -> s.revoke(o.simId)); }
    }

    @Command(name = "license", description = "DRM license (rights + content key) into the SIM; optionally protect a content file with a fresh key.")
    static final class License implements Runnable {
        @Spec CommandSpec spec;
        @Mixin PacketOptions o;
        @Option(names = "--content-id", required = true, paramLabel = "N", description = "Content identifier (0..65535).") int contentId;
        @Option(names = "--plays", defaultValue = "65535", description = "Play count (65535 = unlimited).") int plays;
        @Option(names = "--from", paramLabel = "YYYY-MM-DD", description = "First day of the license (default: --today).") LocalDate from;
        @Option(names = "--until", required = true, paramLabel = "YYYY-MM-DD", description = "Last day of the license.") LocalDate until;
        @Option(names = "--content-in", paramLabel = "FILE", description = "Clear content to protect with a new content key.") Path in;
        @Option(names = "--content-out", paramLabel = "FILE", description = "Where the protected content goes.") Path out;

        @Override
        public void run() {
            o.check();
            Checks.range(contentId, 0, 0xFFFF, "--content-id");
            Checks.range(plays, 1, 0xFFFF, "--plays");
            try (CliContext ctx = CliContext.of(spec)) {
                if ((in == null) != (out == null)) throw new CliException("--content-in and --content-out go together", ErrorHandler.EXIT_USAGE);
                byte[] key = DrmContent.newContentKey();
                if (in != null) {
                    try {
                        Files.write(out, DrmContent.encrypt(key, Files.readAllBytes(in)));
                    } catch (IOException e) {
                        throw new CliException("cannot protect content: " + e.getMessage());
                    }
                }
                OtaServer s = o.server(ctx);
                LocalDate start = from != null ? from : o.today();
                deliver(ctx, s, s.license(o.simId, contentId, key, plays, start, until), o, Map.of("contentKeyKcv", DrmContent.kcv(key)));
                java.util.Arrays.fill(key, (byte) 0);
            }
        }
    }

    @Command(name = "status", description = "Read the SIM's trust state and last event in a proof of receipt.")
    static final class Status implements Runnable {
        @Spec CommandSpec spec;
        @Mixin PacketOptions o;

        @Override
        public void run() { send(spec, o, s -> s.status(o.simId, o.today())); }
    }

    @Command(name = "notify", description = "Accept a SIM notification (trust ACK, revocation) that a terminal forwarded.")
    static final class Notify implements Runnable {
        @Spec CommandSpec spec;
        @Option(names = "--sim-id", required = true, paramLabel = "ICCID", description = "SIM identifier (ICCID, 18 to 22 digits).") String simId;
        @Option(names = "--data", required = true, paramLabel = "HEX", description = "The response-packet user data (02 71 00 ...).") String data;

        @Override
        public void run() {
            Checks.iccid(simId, "--sim-id");
            try (CliContext ctx = CliContext.of(spec)) {
                SimStatus.Event e;
                try {
                    e = server(ctx).acceptNotification(simId, Hex.parse(data));
                } catch (OtaSecurityException ex) {
                    throw new CliException("notification rejected: " + ex.getMessage(), ErrorHandler.EXIT_VERIFY);
                }
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("sim", simId);
                m.put("event", e.typeName());
                m.put("seq", e.seq());
                m.put("generation", e.generation());
                m.put("date", e.date().toString());
                ctx.emit(m);
            }
        }
    }

    @Command(name = "bench", description = "Benchmark: OTA codec on the host, envelope/authentication/content-key in jCardSim (in-memory card).")
    static final class Bench implements Runnable {
        @Spec CommandSpec spec;
        @Option(names = "--iterations", defaultValue = "200", paramLabel = "N", description = "Iterations per measured flow. Default: ${DEFAULT-VALUE}.") int iterations;

        @Override
        public void run() {
            try (CliContext ctx = CliContext.of(spec)) {
                ctx.emit(BenchProgress.run(ctx, "ota", iterations + " iterations per measurement", () -> dev.cardsmith.bench.OtaBench.run(iterations)));
            }
        }
    }
}
