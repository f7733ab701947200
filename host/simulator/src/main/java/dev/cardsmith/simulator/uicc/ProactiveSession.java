package dev.cardsmith.simulator.uicc;

import javacard.framework.CardRuntimeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a toolkit applet's processToolkit the way a UICC does: it may stop in
 * ProactiveHandler.send() until the terminal has fetched the command (FETCH) and answered it
 * (TERMINAL RESPONSE), each a separate APDU (TS 102 221 7.4.2.2, TS 102 223 6.3). The applet runs
 * on a worker thread of this card; the APDU thread waits until the applet ends or stops in send(),
 * so exactly one of them runs at a time and the card stays single-threaded as seen by jCardSim.
 */
final class ProactiveSession {

    private static final Logger LOG = LoggerFactory.getLogger(ProactiveSession.class);

    /** Thrown inside the applet's send() when the card is reset while it waits: unwinds the worker. */
    static final class Aborted extends Error {
        Aborted() {
            super("toolkit session aborted by a card reset", null, false, false);
        }
    }

    private final Object lock = new Object();
    private final UiccToolkit card;
    private boolean running;
    private boolean aborted;
    private byte[] command;
    private boolean fetched;
    private byte[] terminalResponse;
    private Throwable failure;
    private boolean crashed;
    private Runnable onFirstSend;
    private int counter;

    ProactiveSession(UiccToolkit card) {
        this.card = card;
    }

    /** True while an applet waits for FETCH / TERMINAL RESPONSE: the card answers new ENVELOPEs 93 00. */
    boolean busy() {
        synchronized (lock) {
            return running;
        }
    }

    /** True when the last session's applet ended with an unexpected Java exception or error. */
    boolean crashed() {
        synchronized (lock) {
            return crashed;
        }
    }

    /** The pending proactive command (D0 BER-TLV), or null. */
    byte[] pending() {
        synchronized (lock) {
            return command;
        }
    }

    /**
     * Starts the task on the worker and returns when it has ended or stopped in send(). A card
     * exception ends the applet's processing quietly (TS 102 241 6.3); another exception or error
     * marks the session {@link #crashed}; the tear runtime's PowerLoss is rethrown here.
     */
    void start(Runnable task, Runnable beforeFirstSend) {
        synchronized (lock) {
            if (running) throw new IllegalStateException("a toolkit session is already running");
            running = true;
            aborted = false;
            failure = null;
            crashed = false;
            command = null;
            fetched = false;
            terminalResponse = null;
            onFirstSend = beforeFirstSend;
        }
        Thread t = new Thread(() -> {
            try {
                card.bindWorker();
                task.run();
            } catch (Aborted e) {
                // reset while waiting: nothing to report
            } catch (CardRuntimeException e) {
                LOG.debug("toolkit applet ended with a card exception (reason {})", reasonOf(e));
            } catch (dev.cardsmith.simulator.tear.PowerLoss e) {
                synchronized (lock) {
                    failure = e; // the rollback-and-tear runtime's power loss: the command dies on the APDU thread
                }
            } catch (Throwable e) {
                // an applet fault (or a test's injected tear): the card's OS answers 6F 00, as jCardSim does for process()
                LOG.warn("toolkit applet failed: {}", e.toString());
                synchronized (lock) {
                    crashed = true;
                }
            } finally {
                synchronized (lock) {
                    running = false;
                    command = null;
                    lock.notifyAll();
                }
            }
        }, "uicc-toolkit-" + (++counter));
        t.setDaemon(true);
        t.start();
        awaitApplet();
    }

    private static short reasonOf(Throwable e) {
        return e instanceof CardRuntimeException c ? c.getReason() : 0;
    }

    /** APDU thread: waits until the worker has ended or stopped in send() with a new command. */
    private void awaitApplet() {
        Throwable f;
        synchronized (lock) {
            while (running && (command == null || terminalResponse != null)) {
                waitUninterruptibly();
            }
            f = failure;
            failure = null;
        }
        if (f instanceof RuntimeException r) throw r;
        if (f instanceof Error e) throw e;
        if (f != null) throw new IllegalStateException(f);
    }

    /** Worker: publishes the command and waits for its TERMINAL RESPONSE; returns the general result. */
    byte send(byte[] cmd) {
        Runnable first;
        synchronized (lock) {
            first = onFirstSend;
            onFirstSend = null;
        }
        if (first != null) first.run();
        byte[] tr;
        synchronized (lock) {
            command = cmd;
            fetched = false;
            lock.notifyAll();
            while (terminalResponse == null && !aborted) waitUninterruptibly();
            if (aborted) throw new Aborted();
            tr = terminalResponse;
            terminalResponse = null;
            command = null;
        }
        return card.terminalResponseArrived(tr);
    }

    /** FETCH: the pending command, or null when there is none. */
    byte[] fetch() {
        synchronized (lock) {
            if (command == null) return null;
            fetched = true;
            return command;
        }
    }

    /** TERMINAL RESPONSE: false when no fetched command waits for one; else resumes the applet until it ends or sends again. */
    boolean respond(byte[] tr) {
        synchronized (lock) {
            if (command == null || !fetched) return false;
            terminalResponse = tr;
            lock.notifyAll();
        }
        awaitApplet();
        return true;
    }

    /** Card reset: a waiting applet is unwound; returns when the worker has ended. */
    void abort() {
        synchronized (lock) {
            if (!running) return;
            aborted = true;
            lock.notifyAll();
            while (running) waitUninterruptibly();
        }
    }

    private void waitUninterruptibly() {
        try {
            lock.wait();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the toolkit applet runs", e);
        }
    }
}
