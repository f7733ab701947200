package dev.cardsmith.fuzz;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The one place that says which persistent changes a refused command may make (staging
 * areas, each named and justified from the applet's code) and which open findings the CI run
 * tolerates (each with its issue). Everything else that a refused command changes is a finding.
 */
final class Declarations {

    private Declarations() {}

    /** How a command was refused: by its status word, by the PoR status of a secured packet, or by the compact response of a remote command inside an authentic packet. */
    enum Refusal {
        STATUS_WORD, POR_STATUS, REMOTE_COMMAND,
        /** Inside an open SCP03 session: a command without this session's valid C-MAC, whatever its status word (GP: it must change nothing). */
        NO_VALID_MAC
    }

    /**
     * Persistent byte arrays that hold several separate variables, one per byte: the digest
     * names each byte ({@code PsdApplet.p.vars.tries}), so a declaration can allow one of them.
     * The names follow the applet's V_* indexes.
     */
    static final Map<String, List<String>> NAMED_BYTES = Map.of(
            "PsdApplet.p.vars", List.of("state", "mkKvn", "krkKvn", "tries", "active", "idLen", "krkActive"));

    /** A persistent field a refused command may change, and why that is safe. */
    record Staging(String applet, Pattern path, List<Refusal> when, String why) {
        boolean covers(String applet, String p, Refusal r) {
            return this.applet.equals(applet) && when.contains(r) && path.matcher(p).matches();
        }
    }

    /**
     * The platform layer's one persistent staging buffer (ApduIo): a command longer than the APDU
     * buffer (extended length or ISO chaining) is received into it before any validation; every
     * command parses it afresh from offset 0 after its last part and nothing reads it as committed
     * state (docs/conventions.md, "APDU I/O").
     */
    private static final String APDU_IO_STAGING = "ApduIo staging buffer for chained / extended commands and long responses: "
            + "received before validation, parsed afresh by every command, never read as committed state";

    static final List<Staging> STAGING = List.of(
            new Staging("module", Pattern.compile("ModuleApplet\\.io\\.staging"), List.of(Refusal.STATUS_WORD), APDU_IO_STAGING),
            new Staging("piv", Pattern.compile("PivApplet\\.io\\.staging"), List.of(Refusal.STATUS_WORD), APDU_IO_STAGING),
            new Staging("sim", Pattern.compile("SimApplet\\.io\\.staging"), List.of(Refusal.STATUS_WORD), APDU_IO_STAGING),
            new Staging("vault", Pattern.compile("VaultApplet\\.io\\.staging"), List.of(Refusal.STATUS_WORD), APDU_IO_STAGING),
            new Staging("psd", Pattern.compile("PsdApplet\\.io\\.staging"), List.of(Refusal.STATUS_WORD, Refusal.NO_VALID_MAC), APDU_IO_STAGING),
            new Staging("psd", Pattern.compile("PsdApplet\\.p\\.vars\\.tries"), List.of(Refusal.STATUS_WORD),
                    "KRK proof try counter: a wrong UNLOCK proof inside an authenticated session is counted before the proof is "
                            + "compared (63Cx, then 6983: executive blocked, only RECOVER helps); not counting it would allow "
                            + "unlimited guessing of KRK proofs by a holder of the MK"),
            new Staging("piv", Pattern.compile("PivApplet\\.pins\\.(pin|puk)\\.triesLeft"), List.of(Refusal.STATUS_WORD),
                    "OwnerPIN try counter: a wrong PIN/PUK (VERIFY, CHANGE REFERENCE DATA, RESET RETRY COUNTER) costs a try "
                            + "(SP 800-73-4: 63Cx, then 6983); not counting it would allow unlimited guessing"),
            new Staging("sim", Pattern.compile("SimApplet\\.st\\.failCount"), List.of(Refusal.STATUS_WORD),
                    "failed terminal authentications (AUTHENTICATE 6982) are counted before the proof is compared: past "
                            + "MAX_AUTH_FAILURES the SIM allows one attempt per power cycle (a throttle, never a revocation) and "
                            + "STATUS reports the count to the network; not counting them would allow unlimited guessing"),
            new Staging("sim", Pattern.compile("SimApplet\\.st\\.counter"), List.of(Refusal.REMOTE_COMMAND),
                    "TS 102 225 replay counter: an authentic packet (CC verified, counter accepted) consumes its counter even "
                            + "when a remote command in it fails (OtaReceiver.commandPacket commits the counter), so it cannot be replayed"));

    /** An open finding the CI run tolerates until the fix lands; KnownFindingsTest proves it still reproduces. */
    record Known(String id, String issue, String applet, int ins, Pattern path, String what) {
        boolean matches(FuzzEngine.Finding f) {
            return f.kind() == FuzzEngine.Kind.STATE_CHANGED_ON_REFUSAL && f.applet().equals(applet) && f.ins() == ins
                    && !f.changed().isEmpty() && f.changed().stream().allMatch(p -> path.matcher(p).matches());
        }
    }

    /** Open findings (none: module INS 20 and csp INS D8 were fixed by the applet platform migration; their corpus files are regressions now, csp's in its PIV form). */
    static final List<Known> KNOWN = List.of();

    static boolean staged(String applet, String path, Refusal r) {
        for (Staging s : STAGING) if (s.covers(applet, path, r)) return true;
        return false;
    }

    static Known known(FuzzEngine.Finding f) {
        for (Known k : KNOWN) if (k.matches(f)) return k;
        return null;
    }
}
