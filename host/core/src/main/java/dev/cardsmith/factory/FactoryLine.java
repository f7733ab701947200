package dev.cardsmith.factory;

import dev.cardsmith.hsm.HsmException;
import dev.cardsmith.store.ReusedConnections;
import dev.cardsmith.store.StoreException;
import dev.cardsmith.transport.CardSession;
import dev.cardsmith.transport.TransportException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * The factory line: takes each device of a run through the stages, K at a time. The store
 * records, in this order, the identity allocated to the device, the device row naming its card,
 * an intent before each stage writes the card and its completion after. A run stopped at any
 * moment (kill -9 included) is finished by {@link #resume}: devices that are done are skipped,
 * stages that are done are skipped, and an interrupted stage reconciles from the card and the
 * store (each {@link Stage} is re-runnable), so no device gets a stage twice and no identity is
 * handed out twice.
 */
public final class FactoryLine {
    private static final Logger LOG = LoggerFactory.getLogger(FactoryLine.class);

    /** Attempts per stage when the card stops answering (pulled, reader error) before the device is set aside. */
    static final int CARD_ATTEMPTS = 3;

    private final FactoryStore store;
    private final List<Stage> stages;
    private final IdentityPool identities;
    private final CardSource cards;
    private final String station;

    /** @param identities the pool, or null when no stage needs an identity */
    public FactoryLine(FactoryStore store, List<Stage> stages, IdentityPool identities, CardSource cards, String station) {
        this.store = store;
        this.stages = stages;
        this.identities = identities;
        this.cards = cards;
        this.station = station;
        if (identities == null && stages.stream().anyMatch(Stage::needsIdentity)) {
            throw new FactoryException(FactoryException.Kind.USAGE, "the vault stage needs identities: give --imei-range FIRST-LAST or --identities FILE.csv");
        }
    }

    private List<String> stageNames() {
        return stages.stream().map(Stage::name).toList();
    }

    /** A new run of {@code count} devices, {@code parallel} at a time. */
    public RunSummary start(int count, int parallel, Consumer<RunSummary.Progress> progress) {
        if (count < 1 || parallel < 1) throw new FactoryException(FactoryException.Kind.USAGE, "--count and --parallel must be positive");
        FactoryStore.Run run = new FactoryStore.Run(UUID.randomUUID().toString(), stageNames(), count,
                identities == null ? null : identities.name(), cards.describe(), station, "RUNNING", null, null);
        store.createRun(run);
        LOG.info("factory run {}: {} devices through {}", run.id(), count, String.join(",", run.stages()));
        return execute(run, parallel, progress);
    }

    /** Finishes a run: every device that is not done or set aside, from where it stopped. */
    public RunSummary resume(FactoryStore.Run run, int parallel, Consumer<RunSummary.Progress> progress) {
        if (!run.stages().equals(stageNames())) {
            throw new FactoryException(FactoryException.Kind.USAGE, "run " + run.id() + " has stages " + String.join(",", run.stages()) + ", not " + String.join(",", stageNames()));
        }
        if (!run.cardSource().equals(cards.describe())) {
            throw new FactoryException(FactoryException.Kind.USAGE, "run " + run.id() + " took its cards from " + run.cardSource() + ", not " + cards.describe());
        }
        LOG.info("resuming factory run {}", run.id());
        return execute(run, parallel, progress);
    }

    private RunSummary execute(FactoryStore.Run run, int parallel, Consumer<RunSummary.Progress> progress) {
        RunSummary summary = new RunSummary(run.id(), run.stages(), run.count());
        AtomicInteger next = new AtomicInteger();
        AtomicBoolean exhausted = new AtomicBoolean();
        List<Thread> workers = new ArrayList<>();
        List<Throwable> crashed = new ArrayList<>();
        for (int w = 0; w < Math.min(parallel, run.count()); w++) {
            Thread t = new Thread(() -> {
                // the worker's transactions (the line's records and the stages' own) reuse one connection per database
                try (ReusedConnections ignored = ReusedConnections.open()) {
                    for (int slot = next.getAndIncrement(); slot < run.count(); slot = next.getAndIncrement()) {
                        if (exhausted.get()) {
                            summary.notStarted(1, "identities used up");
                            continue;
                        }
                        device(run, slot, summary, exhausted);
                        if (progress != null) progress.accept(summary.progress());
                    }
                }
            }, "factory-" + w);
            t.setUncaughtExceptionHandler((th, e) -> {
                synchronized (crashed) {
                    crashed.add(e);
                }
            });
            workers.add(t);
            t.start();
        }
        for (Thread t : workers) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new FactoryException(FactoryException.Kind.FAILURE, "interrupted while the line was running");
            }
        }
        summary.end();
        if (!crashed.isEmpty()) {
            Throwable e = crashed.get(0);
            throw e instanceof RuntimeException re ? re : new FactoryException(FactoryException.Kind.FAILURE, "line worker failed: " + e, e);
        }
        boolean settled = store.devices(run.id()).stream()
                .filter(d -> d.state() == FactoryStore.DeviceState.DONE || d.state() == FactoryStore.DeviceState.SET_ASIDE).count() == run.count();
        store.runState(run.id(), settled ? "FINISHED" : "RUNNING");
        if (progress != null) progress.accept(summary.progress());
        return summary;
    }

    /** One device, start to end (or to where it must stop); never throws for a device's own failure. */
    private void device(FactoryStore.Run run, int slot, RunSummary summary, AtomicBoolean exhausted) {
        Optional<FactoryStore.Device> existing = store.device(run.id(), slot);
        if (existing.isPresent() && existing.get().state() == FactoryStore.DeviceState.DONE) {
            summary.alreadyFinished();
            return;
        }
        if (existing.isPresent() && existing.get().state() == FactoryStore.DeviceState.SET_ASIDE) {
            summary.outcome(FactoryStore.DeviceState.SET_ASIDE);
            return;
        }
        long cpu0 = TimedTransport.cpuNow();
        String identity = existing.map(FactoryStore.Device::identity).orElse(null);
        if (identity == null && identities != null) {
            try {
                identity = identities.allocate(run.id(), slot); // before the card is written (a resume gets the same one)
            } catch (IdentityPool.ExhaustedException e) {
                exhausted.set(true);
                summary.notStarted(1, e.getMessage());
                return;
            }
        }
        long o0 = System.nanoTime();
        long oc0 = TimedTransport.cpuNow();
        CardSource.Card card;
        if (existing.isPresent()) {
            card = cards.reopen(existing.get().card());
            if (card == null) {
                finish(run, slot, summary, FactoryStore.DeviceState.SET_ASIDE, "card " + existing.get().card() + " is not there any more");
                return;
            }
        } else {
            card = cards.next(run.id(), slot);
            store.addDevice(run.id(), slot, card.name(), identity); // the card exists before the row that names it
        }
        if (identity != null && existing.isPresent() && existing.get().identity() == null) store.deviceIdentity(run.id(), slot, identity);
        long openCpu = TimedTransport.cpuNow() - oc0;
        summary.opened(System.nanoTime() - o0, openCpu);

        Mounted m = new Mounted(card);
        boolean ok = false;
        try {
            for (Stage stage : stages) {
                if (!store.intendUnlessDone(run.id(), slot, stage.name())) continue; // done before a crash: skipped
                String failure = stage(run, slot, stage, identity, m, summary);
                if (failure != null) return;
            }
            store.deviceDone(run.id(), slot, identity); // the device and its identity (USED) in one commit
            summary.outcome(FactoryStore.DeviceState.DONE);
            ok = true;
        } finally {
            m.close();
            if (m.card != null) cards.finished(m.card, ok);
            summary.deviceHostCpu(TimedTransport.cpuNow() - cpu0 - m.cardCpuNanos() - openCpu);
        }
    }

    /** The card a device is on now; replaced when a pulled card comes back. */
    private static final class Mounted {
        CardSource.Card card;
        TimedTransport timed;
        CardSession session;
        long earlierCardCpu;

        Mounted(CardSource.Card card) {
            mount(card);
        }

        void mount(CardSource.Card c) {
            card = c;
            timed = new TimedTransport(c.transport());
            session = new CardSession(timed);
        }

        long cardCpuNanos() {
            return earlierCardCpu + (timed == null ? 0 : timed.cardCpuNanos);
        }

        void close() {
            if (session == null) return;
            try {
                session.close();
            } catch (RuntimeException e) {
                LOG.debug("closing card {}: {}", card.name(), e.toString());
            }
            earlierCardCpu += timed.cardCpuNanos;
            session = null;
            timed = null;
        }
    }

    /** Runs one stage with its intent; returns null when done, else the reason the device stopped (already recorded). */
    private String stage(FactoryStore.Run run, int slot, Stage stage, String identity, Mounted m, RunSummary summary) {
        for (int attempt = 1; ; attempt++) {
            if (attempt > 1) store.intend(run.id(), slot, stage.name()); // the first intent came with intendUnlessDone
            CardSession.Stats before = m.session.stats().snapshot();
            TimedTransport timed = m.timed;
            long w0 = System.nanoTime(), c0 = TimedTransport.cpuNow(), cn0 = timed.cardNanos, cc0 = timed.cardCpuNanos;
            try {
                Stage.Done done = stage.run(new Stage.Device(run.id(), slot, m.session, identity));
                long cardCpu = timed.cardCpuNanos - cc0;
                CardSession.Stats used = m.session.stats().since(before);
                summary.stage(stage.name(), used.apdus(), used.bytesSent(), used.bytesReceived(),
                        TimedTransport.cpuNow() - c0 - cardCpu, timed.cardNanos - cn0, cardCpu, System.nanoTime() - w0);
                store.completeDone(run.id(), slot, stage.name(), done.detail(), done.chipId()); // with the chip ID, one commit
                return null;
            } catch (TransportException e) {
                store.complete(run.id(), slot, stage.name(), FactoryStore.IntentState.FAILED, "card: " + e.getMessage());
                String name = m.card.name();
                m.close();
                if (attempt < CARD_ATTEMPTS) {
                    LOG.warn("device {} stage {}: card stopped answering ({}); waiting for it", slot, stage.name(), e.getMessage());
                    CardSource.Card back = cards.returned(name); // the stage reconciles from whatever the card committed
                    if (back != null) {
                        m.mount(back);
                        continue;
                    }
                }
                m.card = null;
                return finish(run, slot, summary, FactoryStore.DeviceState.FAILED,
                        "stage " + stage.name() + ": card not answering (" + e.getMessage() + "); --resume retries it when it is back");
            } catch (StoreException | HsmException e) {
                // the station's own failure: the device is fine and a resume retries it
                store.complete(run.id(), slot, stage.name(), FactoryStore.IntentState.FAILED, e.getMessage());
                return finish(run, slot, summary, FactoryStore.DeviceState.FAILED, "stage " + stage.name() + ": " + e.getMessage());
            } catch (RuntimeException e) {
                // the card refused or failed a check: it leaves the line with a record
                store.complete(run.id(), slot, stage.name(), FactoryStore.IntentState.FAILED, e.getMessage());
                return finish(run, slot, summary, FactoryStore.DeviceState.SET_ASIDE, "stage " + stage.name() + ": " + e.getMessage());
            }
        }
    }

    private String finish(FactoryStore.Run run, int slot, RunSummary summary, FactoryStore.DeviceState state, String reason) {
        LOG.warn("device {} of run {}: {}", slot, run.id(), reason);
        store.deviceState(run.id(), slot, state, reason);
        summary.outcome(state);
        return reason;
    }
}
