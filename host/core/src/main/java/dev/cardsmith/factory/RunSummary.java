package dev.cardsmith.factory;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a run did, counted as it goes (thread-safe): devices by outcome, and per stage the
 * APDUs, bytes, host CPU and card time. Host CPU is the driving thread's CPU outside the card
 * transport (host code, database, HSM); card time is spent inside it (for a simulated card, the
 * simulator and the persisting of its file).
 */
public final class RunSummary {

    /** Live counters for a progress display. */
    public record Progress(int total, int done, int failed, int setAside, long elapsedNanos) {
        public int finished() { return done + failed + setAside; }

        public double perHour() {
            return elapsedNanos <= 0 ? 0 : done * 3600e9 / elapsedNanos;
        }
    }

    private static final class StageCounts {
        long runs, apdus, bytesSent, bytesReceived, hostCpuNanos, cardNanos, cardCpuNanos, wallNanos;
    }

    private final String runId;
    private final List<String> stages;
    private final int total;
    private final long started = System.nanoTime();
    private final Map<String, StageCounts> perStage = new LinkedHashMap<>();
    private int done, failed, setAside, skipped, notStarted;
    private long openNanos, openCpuNanos, deviceHostCpuNanos, devicesMeasured;
    private long ended;
    private String stopReason;

    RunSummary(String runId, List<String> stages, int total) {
        this.runId = runId;
        this.stages = stages;
        this.total = total;
        for (String s : stages) perStage.put(s, new StageCounts());
    }

    public String runId() { return runId; }

    synchronized void stage(String stage, long apdus, long sent, long received, long hostCpu, long cardNanos, long cardCpu, long wall) {
        StageCounts c = perStage.get(stage);
        c.runs++;
        c.apdus += apdus;
        c.bytesSent += sent;
        c.bytesReceived += received;
        c.hostCpuNanos += hostCpu;
        c.cardNanos += cardNanos;
        c.cardCpuNanos += cardCpu;
        c.wallNanos += wall;
    }

    synchronized void opened(long wall, long cpu) {
        openNanos += wall;
        openCpuNanos += cpu;
    }

    /** Host CPU of one device outside the card and its stages' card time (line bookkeeping included). */
    synchronized void deviceHostCpu(long nanos) {
        deviceHostCpuNanos += nanos;
        devicesMeasured++;
    }

    synchronized void outcome(FactoryStore.DeviceState state) {
        switch (state) {
            case DONE -> done++;
            case FAILED -> failed++;
            case SET_ASIDE -> setAside++;
            default -> { }
        }
    }

    /** A device already finished before this invocation (a resume). */
    synchronized void alreadyFinished() { skipped++; }

    synchronized void notStarted(int n, String reason) {
        notStarted += n;
        if (stopReason == null) stopReason = reason;
    }

    synchronized void end() { ended = System.nanoTime(); }

    public synchronized Progress progress() {
        return new Progress(total, done + skipped, failed, setAside, (ended == 0 ? System.nanoTime() : ended) - started);
    }

    public synchronized int succeeded() { return done + skipped; }

    public synchronized int failed() { return failed; }

    public synchronized int setAside() { return setAside; }

    public synchronized int notStarted() { return notStarted; }

    /** Everything promised happened: every device of the run is done. */
    public synchronized boolean complete() { return done + skipped == total; }

    public synchronized Map<String, Object> toMap() {
        long wall = (ended == 0 ? System.nanoTime() : ended) - started;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("run", runId);
        m.put("stages", String.join(",", stages));
        m.put("devices", total);
        m.put("succeeded", done + skipped);
        if (skipped > 0) m.put("alreadyDoneBeforeThisInvocation", skipped);
        m.put("failed", failed);
        m.put("setAside", setAside);
        if (notStarted > 0) {
            m.put("notStarted", notStarted);
            m.put("stoppedBecause", stopReason);
        }
        m.put("seconds", round(wall / 1e9));
        m.put("devicesPerHour", Math.round(done * 3600e9 / Math.max(1, wall)));
        long n = Math.max(1, devicesMeasured);
        m.put("hostCpuMsPerDevice", round(deviceHostCpuNanos / 1e6 / n));
        m.put("lineOverheadCpuMsPerDevice", round(lineOverheadNanos() / 1e6 / n));
        m.put("cardOpenMsPerDevice", round(openNanos / 1e6 / n));
        Map<String, Object> st = new LinkedHashMap<>();
        for (Map.Entry<String, StageCounts> e : perStage.entrySet()) {
            StageCounts c = e.getValue();
            long runs = Math.max(1, c.runs);
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("runs", c.runs);
            s.put("apdusPerDevice", round((double) c.apdus / runs));
            s.put("bytesSentPerDevice", round((double) c.bytesSent / runs));
            s.put("bytesReceivedPerDevice", round((double) c.bytesReceived / runs));
            s.put("hostCpuMsPerDevice", round(c.hostCpuNanos / 1e6 / runs));
            s.put("cardCpuMsPerDevice", round(c.cardCpuNanos / 1e6 / runs));
            s.put("cardWallMsPerDevice", round(c.cardNanos / 1e6 / runs));
            s.put("wallMsPerDevice", round(c.wallNanos / 1e6 / runs));
            st.put(e.getKey(), s);
        }
        m.put("perStage", st);
        return m;
    }

    /** Host CPU outside every stage: the line's own records (identity, device row, intents), opening the card's session. */
    private long lineOverheadNanos() {
        long stagesHost = 0;
        for (StageCounts c : perStage.values()) stagesHost += c.hostCpuNanos;
        return Math.max(0, deviceHostCpuNanos - stagesHost);
    }

    /** Raw per-device figures for a benchmark: [host CPU ms, card CPU ms, card wall ms, open wall ms, stage wall ms, line overhead CPU ms]. */
    public synchronized double[] perDeviceMillis() {
        long n = Math.max(1, devicesMeasured);
        long cardCpu = 0, card = 0, wall = 0;
        for (StageCounts c : perStage.values()) {
            cardCpu += c.cardCpuNanos;
            card += c.cardNanos;
            wall += c.wallNanos;
        }
        return new double[] {deviceHostCpuNanos / 1e6 / n, cardCpu / 1e6 / n, card / 1e6 / n, openNanos / 1e6 / n, wall / 1e6 / n,
                lineOverheadNanos() / 1e6 / n};
    }

    static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }
}
