package dev.cardsmith.cli;

import dev.cardsmith.crypto.Hex;
import dev.cardsmith.ota.DrmContent;
import dev.cardsmith.ota.OtaServer;
import dev.cardsmith.ota.SimStatus;
import dev.cardsmith.ota.SmsPp;
import dev.cardsmith.ota.terminal.Terminal;
import dev.cardsmith.ota.terminal.TerminalException;
import dev.cardsmith.ota.terminal.TerminalKeyStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.Map;

/** {@code cardsmith terminal ...}: the handset side of the SIM trust protocol (seed 004). */
@Command(name = "terminal", description = "Handset side of the SIM trust model: enrol, authenticate, ack, poll, content-key, revoke.",
        subcommands = {TerminalCommand.Enrol.class, TerminalCommand.Authenticate.class, TerminalCommand.Ack.class,
                TerminalCommand.Poll.class, TerminalCommand.ContentKeyCmd.class, TerminalCommand.Revoke.class})
final class TerminalCommand {

    /** $CARDSMITH_TERMINAL_PASSWORD, else a prompt; the development default only in development mode. */
    static char[] password(CliContext ctx) {
        String p = Secrets.given(null, "CARDSMITH_TERMINAL_PASSWORD", "terminal key store password");
        if (p == null && ctx.dev()) p = CliContext.DEFAULT_KEYSTORE_PASSWORD;
        if (p == null) p = Secrets.prompt("terminal key store password");
        if (p == null) throw new CliException("no terminal key store password: set $CARDSMITH_TERMINAL_PASSWORD (or use --dev)", ErrorHandler.EXIT_USAGE);
        return p.toCharArray();
    }

    /** An existing terminal key store; a missing file is named as such (it is made by terminal enrol). */
    static TerminalKeyStore existing(CliContext ctx, Path f) {
        return TerminalKeyStore.open(requireEnrolled(f), password(ctx));
    }

    static Path requireEnrolled(Path f) {
        if (!Files.exists(f)) {
            throw new CliException("terminal key store " + f + " does not exist: enrol the terminal first (cardsmith terminal enrol)", ErrorHandler.EXIT_USAGE);
        }
        return f;
    }

    static final class StoreOptions {
        @Option(names = "--terminal-store", paramLabel = "FILE",
                description = "Terminal key store (default $CARDSMITH_HOME/terminal.json; password $CARDSMITH_TERMINAL_PASSWORD or the development default).")
        Path file;

        @Option(names = "--today", paramLabel = "YYYY-MM-DD", description = "The terminal's current date (default: today, UTC).")
        LocalDate today;

        LocalDate today() { return today != null ? today : LocalDate.now(java.time.ZoneOffset.UTC); }

        Path file() { return file != null ? file : CliContext.home().resolve("terminal.json"); }

        /** The store of an enrolled terminal (must exist). */
        TerminalKeyStore open(CliContext ctx) {
            return existing(ctx, file());
        }
    }

    static <T> T guard(java.util.function.Supplier<T> s) {
        try {
            return s.get();
        } catch (TerminalException e) {
            throw new CliException(e.getMessage(), e.verification() ? ErrorHandler.EXIT_VERIFY : ErrorHandler.EXIT_FAILURE);
        }
    }

    static void putNotification(Map<String, Object> m, byte[] note) {
        m.put("notification", Hex.of(note));
        m.put("notificationSmsSubmit", Hex.of(SmsPp.submit(OtaServer.DEFAULT_ORIGINATOR, 0, note)));
    }

    @Command(name = "enrol", description = "Give the terminal its IMEI, maximum output and initialization key (AES-128, or --ec for a P-256 key pair).")
    static final class Enrol implements Runnable {
        @Spec CommandSpec spec;
        @Mixin StoreOptions s;
        @Option(names = "--imei", required = true, paramLabel = "IMEI", description = Checks.IMEI_HELP) String imei;
        @Option(names = "--max-output", required = true, paramLabel = "N", description = "The terminal's maximum output (0..255).") int maxOutput;
        @Option(names = "--ec", description = "Asymmetric variant: EC P-256 key pair, only the public key is exported.") boolean ec;
        @Option(names = "--operator-ca", paramLabel = "HEX", description = "EC variant: the operator CA's P-256 point (from ota init-trust); the terminal takes trust keys only from SIMs it certified.") String operatorCa;

        @Override
        public void run() {
            Checks.range(maxOutput, 0, 255, "--max-output");
            imei = Checks.imei(imei);
            try (CliContext ctx = CliContext.of(spec)) {
                TerminalKeyStore ks = TerminalKeyStore.open(s.file(), password(ctx));
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("imei", imei);
                m.put("maxOutput", maxOutput);
                if (ec) {
                    m.put("ecPublic", Hex.of(Terminal.enrolEc(ks, imei, maxOutput)));
                    if (operatorCa != null) {
                        try {
                            Terminal.pinOperatorCa(ks, Hex.parse(operatorCa));
                        } catch (IllegalArgumentException e) {
                            throw new CliException("--operator-ca: not a P-256 point", ErrorHandler.EXIT_USAGE);
                        }
                        m.put("operatorCa", operatorCa);
                    }
                } else {
                    Terminal.enrolSymmetric(ks, imei, maxOutput);
                    m.put("initKey", "stored in " + ks.file() + " (hand it to the network with: ota init-trust --terminal-store)");
                }
                ctx.emit(m);
            }
        }
    }

    @Command(name = "authenticate", description = "GET CHALLENGE + AUTHENTICATE; receives a trust key when one is due and acknowledges it.")
    static final class Authenticate implements Runnable {
        @Spec CommandSpec spec;
        @Mixin StoreOptions s;
        @Option(names = "--update", description = "Ask for a new trust key (terminal-initiated update).") boolean update;
        @Option(names = "--no-ack", description = "Do not acknowledge a delivered key (simulates a lost acknowledgement).") boolean noAck;

        @Override
        public void run() {
            try (CliContext ctx = CliContext.of(spec)) {
                TerminalKeyStore ks = s.open(ctx);
                Terminal t = Terminal.onHandset(ctx.card(), ks);
                Map<String, Object> m = new LinkedHashMap<>();
                Terminal.AuthResult a = guard(() -> t.authenticate(update, s.today()));
                m.put("simState", SimStatus.stateName(a.state()));
                m.put("keyDelivered", a.keyDelivered());
                m.put("generation", a.generation());
                m.put("expiry", a.expiry().toString());
                m.put("updatePending", a.updatePending());
                if (a.keyDelivered() && !noAck) putNotification(m, guard(t::ack));
                m.putAll(ctx.apduStats());
                ctx.emit(m);
            }
        }
    }

    @Command(name = "ack", description = "Acknowledge a delivered trust key (also later, after a lost acknowledgement).")
    static final class Ack implements Runnable {
        @Spec CommandSpec spec;
        @Mixin StoreOptions s;

        @Override
        public void run() {
            try (CliContext ctx = CliContext.of(spec)) {
                Terminal t = Terminal.onHandset(ctx.card(), s.open(ctx));
                Map<String, Object> m = new LinkedHashMap<>();
                putNotification(m, guard(t::ack));
                ctx.emit(m);
            }
        }
    }

    @Command(name = "poll", description = "Pull mechanism: does the SIM want a key update, is the key revoked or expired?")
    static final class Poll implements Runnable {
        @Spec CommandSpec spec;
        @Mixin StoreOptions s;

        @Override
        public void run() {
            try (CliContext ctx = CliContext.of(spec)) {
                Terminal.Poll p = Terminal.onHandset(ctx.card(), s.open(ctx)).poll();
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("simState", SimStatus.stateName(p.state()));
                m.put("generation", p.generation());
                m.put("updatePending", p.updatePending());
                m.put("expired", (p.flags() & dev.cardsmith.applet.sim.Constants.FLAG_EXPIRED) != 0);
                m.put("expiry", p.expiry().toString());
                m.put("cardDate", p.cardDate().toString());
                m.put("eventSeq", p.eventSeq());
                ctx.emit(m);
            }
        }
    }

    @Command(name = "content-key", description = "Authenticate and obtain a content key (never printed; its KCV is), optionally decrypt content.")
    static final class ContentKeyCmd implements Runnable {
        @Spec CommandSpec spec;
        @Mixin StoreOptions s;
        @Option(names = "--content-id", required = true, paramLabel = "N", description = "Content identifier (0..65535), as licensed by ota license.") int contentId;
        @Option(names = "--in", paramLabel = "FILE", description = "Protected content (ota license --content-out).") Path in;
        @Option(names = "--out", paramLabel = "FILE", description = "Where the decrypted content goes.") Path out;

        @Override
        public void run() {
            try (CliContext ctx = CliContext.of(spec)) {
                if ((in == null) != (out == null)) throw new CliException("--in and --out go together", ErrorHandler.EXIT_USAGE);
                Terminal t = Terminal.onHandset(ctx.card(), s.open(ctx));
                guard(() -> t.authenticate(false, s.today()));
                Terminal.ContentKey k = guard(() -> t.contentKey(contentId));
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("contentId", contentId);
                m.put("playsLeft", k.playsLeft() == 0xFFFF ? "unlimited" : k.playsLeft());
                m.put("contentKeyKcv", DrmContent.kcv(k.key()));
                if (in != null) {
                    try {
                        Files.write(out, DrmContent.decrypt(k.key(), Files.readAllBytes(in)));
                    } catch (IOException e) {
                        throw new CliException("cannot decrypt content: " + e.getMessage());
                    }
                    m.put("decrypted", out.toString());
                }
                java.util.Arrays.fill(k.key(), (byte) 0);
                ctx.emit(m);
            }
        }
    }

    @Command(name = "revoke", description = "Revocation by the terminal: authenticate, then have the SIM erase the trust key; prints the SIM's notification for the network.")
    static final class Revoke implements Runnable {
        @Spec CommandSpec spec;
        @Mixin StoreOptions s;

        @Override
        public void run() {
            try (CliContext ctx = CliContext.of(spec)) {
                Terminal t = Terminal.onHandset(ctx.card(), s.open(ctx));
                guard(() -> t.authenticate(false, s.today()));
                Map<String, Object> m = new LinkedHashMap<>();
                putNotification(m, guard(t::revoke));
                ctx.emit(m);
            }
        }
    }
}
