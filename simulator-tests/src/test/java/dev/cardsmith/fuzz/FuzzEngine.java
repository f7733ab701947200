package dev.cardsmith.fuzz;

import dev.cardsmith.crypto.Hex;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * Runs cases against one applet in one lifecycle state and checks, on every APDU:
 * <ol>
 * <li>no 6F00 and no exception out of the card (jCardSim turns an exception the applet does not
 * catch into 6F00), and no 6F01 (the applets' answer to an exception their own code did not expect);</li>
 * <li>a refused command changes no persistent field ({@link PersistentState} before and after),
 * except the staging areas declared in {@link Declarations#STAGING};</li>
 * <li>no response holds 8 consecutive bytes of a secret key the applet holds (before or after);</li>
 * <li>a state's own rule, when it has one ({@link StateFixture#violation}: the PSD drops its SCP03 session
 * after a command without a valid C-MAC).</li>
 * </ol>
 * Findings are grouped by (kind, INS, changed fields); the first example of each is kept.
 */
final class FuzzEngine {

    enum Kind { SW_6F00, SW_6F01, EXCEPTION, SW_OUTSIDE_ISO, STATE_CHANGED_ON_REFUSAL, KEY_IN_RESPONSE, STATE_RULE }

    /**
     * What the applets' one exception policy answers for an exception their code did not expect
     * (Sw.UNEXPECTED, docs/conventions.md "Exceptions: one policy"): caught, but still a bug.
     */
    static final int SW_UNEXPECTED = 0x6F01;

    record Finding(String applet, String state, Kind kind, int ins, String apduHex, int sw, Set<String> changed,
                   String recipe, long caseSeed) {
        String key() {
            return kind + "/" + String.format("%02X/%04X", ins, sw) + "/" + changed.stream().map(p -> p.replaceAll("\\[\\d+]", "[]")).toList();
        }

        String describe() {
            return String.format("%s/%s %s INS %02X SW %04X changed %s%n    apdu %s%n    case seed %d: %s",
                    applet, state, kind, ins, sw, changed, apduHex, caseSeed, recipe);
        }
    }

    record Result(String applet, String state, long cases, long apdus, long nanos, long buildNanos, int rebuilds,
                  Map<String, Finding> findings, Map<String, Integer> counts) {
        double perSecond() {
            return nanos == 0 ? 0 : apdus * 1e9 / nanos;
        }

        List<Finding> unexpected() {
            return findings.values().stream().filter(f -> Declarations.known(f) == null).toList();
        }

        String summary() {
            Map<String, Integer> shown = new LinkedHashMap<>(counts);
            shown.keySet().removeIf(k -> k.startsWith(OUTCOME));
            return String.format("%-7s %-15s %8d cases %9d APDUs %7.0f APDU/s (fuzzing) %3d rebuilds %6.1f s building; %3d INS/SW outcomes; %s",
                    applet, state, cases, apdus, perSecond(), rebuilds, buildNanos / 1e9, outcomes().size(), shown);
        }

        /** Distinct (INS, status word) pairs seen: which handlers and which of their exits the run reached. */
        List<String> outcomes() {
            return counts.keySet().stream().filter(k -> k.startsWith(OUTCOME)).map(k -> k.substring(OUTCOME.length())).sorted().toList();
        }
    }

    /** A lifecycle state of an applet and how to build it. */
    record Target(String applet, String state, Supplier<StateFixture> open) {
        String name() { return applet + "/" + state; }
    }

    private static final int REFRESH_EVERY = 8;
    /** Prefix of the (INS, SW) outcome counters: the cheap coverage proxy of a run. */
    static final String OUTCOME = "outcome ";
    private static final ThreadLocal<FramingOracle> ORACLE = ThreadLocal.withInitial(FramingOracle::new);

    private FuzzEngine() {}

    static Result run(Target t, long seed, long cases) {
        SplittableRandom seeds = new SplittableRandom(seed);
        Map<String, Finding> findings = new LinkedHashMap<>();
        Map<String, Integer> counts = new LinkedHashMap<>();
        long apdus = 0;
        int rebuilds = 0;
        long[] build = {0};
        Supplier<StateFixture> open = () -> {
            long b = System.nanoTime();
            StateFixture s = t.open().get();
            build[0] += System.nanoTime() - b;
            return s;
        };
        long start = System.nanoTime();
        StateFixture f = open.get();
        try {
            Object lifecycle = f.lifecycle();
            for (long i = 0; i < cases; i++) {
                if (i % REFRESH_EVERY == 0 && !refresh(f)) {
                    f.close();
                    f = open.get();
                    rebuilds++;
                }
                CaseGenerator.Case c = f.generator().generate(seeds.nextLong());
                apdus += runCase(t, f, c, findings, counts);
                if (!Objects.equals(f.lifecycle(), lifecycle)) {
                    f.close();
                    f = open.get();
                    rebuilds++;
                }
            }
        } finally {
            f.close();
        }
        long total = System.nanoTime() - start;
        return new Result(t.applet(), t.state(), cases, apdus, total - build[0], build[0], rebuilds, findings, counts);
    }

    private static boolean refresh(StateFixture f) {
        try {
            f.refresh();
            return true;
        } catch (RuntimeException e) {
            return false; // e.g. the PIN got blocked: build the state again
        }
    }

    /** Sends one case; returns the number of APDUs sent. */
    static int runCase(Target t, StateFixture f, CaseGenerator.Case c, Map<String, Finding> findings, Map<String, Integer> counts) {
        PersistentState.Snapshot before = PersistentState.of(f.card.applet(), f.card.transientMemory());
        int n = 0;
        for (byte[] apdu : c.apdus()) {
            n++;
            byte[] resp;
            Throwable thrown = null;
            try {
                resp = f.card.transmitRaw(apdu);
            } catch (RuntimeException | AssertionError e) {
                thrown = e;
                resp = new byte[] {0x6F, 0x00};
            }
            int sw = sw(resp);
            int ins = apdu.length > 1 ? apdu[1] & 0xFF : -1;
            PersistentState.Snapshot after = PersistentState.of(f.card.applet(), f.card.transientMemory());
            boolean framing = (thrown != null || sw == 0x6F00)
                    && ORACLE.get().simulatorRejects(apdu, f.card.applet() instanceof javacardx.apdu.ExtendedLength);
            if (framing) {
                counts.merge("not delivered (jCardSim framing)", 1, Integer::sum);
                before = after;
                continue;
            }
            counts.merge(String.format("%s%02X:%04X", OUTCOME, ins & 0xFF, sw & 0xFFFF), 1, Integer::sum);
            if (thrown != null) {
                add(findings, counts, new Finding(t.applet(), t.state(), Kind.EXCEPTION, ins, Hex.of(apdu), sw,
                        Set.of(thrown.toString()), c.recipe(), c.seed()));
            } else if (sw == 0x6F00) {
                add(findings, counts, new Finding(t.applet(), t.state(), Kind.SW_6F00, ins, Hex.of(apdu), sw, Set.of(), c.recipe(), c.seed()));
            } else if (sw == SW_UNEXPECTED) {
                add(findings, counts, new Finding(t.applet(), t.state(), Kind.SW_6F01, ins, Hex.of(apdu), sw, Set.of(), c.recipe(), c.seed()));
            } else if (!iso(sw)) {
                // jCardSim answers an uncaught CardRuntimeException with its reason code as the SW
                add(findings, counts, new Finding(t.applet(), t.state(), Kind.SW_OUTSIDE_ISO, ins, Hex.of(apdu), sw, Set.of(), c.recipe(), c.seed()));
            }
            Declarations.Refusal refusal = thrown != null ? Declarations.Refusal.STATUS_WORD : f.refusal(apdu, resp);
            if (refusal != null) {
                Set<String> changed = new TreeSet<>();
                for (String p : before.diff(after)) {
                    if (Declarations.staged(t.applet(), p, refusal)) counts.merge("staged " + p.replaceAll("\\[\\d+]", "[]"), 1, Integer::sum);
                    else changed.add(p);
                }
                if (!changed.isEmpty()) {
                    add(findings, counts, new Finding(t.applet(), t.state(), Kind.STATE_CHANGED_ON_REFUSAL, ins, Hex.of(apdu), sw,
                            changed, c.recipe(), c.seed()));
                }
            }
            String broken = thrown != null ? null : f.violation(apdu, resp);
            if (broken != null) {
                add(findings, counts, new Finding(t.applet(), t.state(), Kind.STATE_RULE, ins, Hex.of(apdu), sw, Set.of(broken),
                        c.recipe(), c.seed()));
            }
            if (leaks(resp, before.secrets()) || leaks(resp, after.secrets())) {
                add(findings, counts, new Finding(t.applet(), t.state(), Kind.KEY_IN_RESPONSE, ins, Hex.of(apdu), sw, Set.of(),
                        c.recipe(), c.seed()));
            }
            before = after;
        }
        return n;
    }

    private static void add(Map<String, Finding> findings, Map<String, Integer> counts, Finding f) {
        findings.putIfAbsent(f.key(), f);
        counts.merge(f.key(), 1, Integer::sum);
    }

    /**
     * ISO 7816-4 status words: 9000, 61xx-6Fxx (6F00 handled apart); and the UICC's own of
     * TS 102 221 10.2.1 that its toolkit runtime answers: 91xx (proactive command pending), 9300
     * (toolkit busy).
     */
    static boolean iso(int sw) {
        int sw1 = sw >> 8;
        return sw == 0x9000 || (sw1 >= 0x61 && sw1 <= 0x6F) || sw1 == 0x91 || sw == 0x9300;
    }

    static int sw(byte[] resp) {
        return resp.length < 2 ? -1 : ((resp[resp.length - 2] & 0xFF) << 8) | (resp[resp.length - 1] & 0xFF);
    }

    /** True when the response data holds 8 consecutive bytes of a secret (runs of one byte value excepted). */
    static boolean leaks(byte[] resp, List<byte[]> secrets) {
        if (resp.length < 10 || secrets.isEmpty()) return false;
        Set<Long> windows = new HashSet<>();
        for (byte[] s : secrets) {
            for (int i = 0; i + 8 <= s.length; i++) {
                if (!uniform(s, i)) windows.add(window(s, i));
            }
        }
        for (int i = 0; i + 8 <= resp.length - 2; i++) {
            if (windows.contains(window(resp, i))) return true;
        }
        return false;
    }

    private static long window(byte[] b, int off) {
        long v = 0;
        for (int i = 0; i < 8; i++) v = (v << 8) | (b[off + i] & 0xFF);
        return v;
    }

    private static boolean uniform(byte[] b, int off) {
        for (int i = 1; i < 8; i++) if (b[off + i] != b[off]) return false;
        return true;
    }

    static List<String> report(List<Result> results) {
        List<String> lines = new ArrayList<>();
        for (Result r : results) {
            lines.add(r.summary());
            for (Finding f : r.findings().values()) {
                Declarations.Known k = Declarations.known(f);
                lines.add("  " + (k == null ? "NEW " : "known " + k.id() + " (" + k.issue() + ") ") + f.describe());
            }
        }
        return lines;
    }
}
