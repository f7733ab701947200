package dev.cardsmith.transport;

import javax.smartcardio.Card;
import javax.smartcardio.CardException;
import javax.smartcardio.CardTerminal;
import javax.smartcardio.CardTerminals;
import javax.smartcardio.CommandAPDU;
import javax.smartcardio.TerminalFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * A card in a PC/SC reader, through javax.smartcardio (pcsc-lite on Linux, WinSCard on Windows).
 *
 * <p>The connection is shared (SCARD_SHARE_SHARED), so other programs can use the card between
 * our operations; {@link #exclusive()} holds a PC/SC transaction (SCardBeginTransaction, in
 * javax.smartcardio {@code Card.beginExclusive}) over a multi-command operation, so that no other
 * process's command reaches the card in between (a SIGN slipped in after our VERIFY). Holds
 * nest; the transaction ends when the outermost hold is closed. javax.smartcardio binds a
 * transaction to the thread that began it, so every call to the card runs on this transport's
 * one I/O thread, whichever thread the caller is on.
 */
public final class PcscTransport implements CardTransport {

    static {
        // GET RESPONSE is handled once, in CardSession, for every transport.
        System.setProperty("sun.security.smartcardio.t0GetResponse", "false");
        System.setProperty("sun.security.smartcardio.t1GetResponse", "false");
        PcscLibrary.configure();
    }

    private final CardTerminal terminal;
    private final ExecutorService io;
    private Card card;
    private javax.smartcardio.CardChannel channel;
    /** Open {@link #exclusive()} holds; the PC/SC transaction is held while this is above 0. */
    private int holds;

    private PcscTransport(CardTerminal terminal) {
        this.terminal = terminal;
        this.io = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "pcsc-io " + terminal.getName());
            t.setDaemon(true);
            return t;
        });
        try {
            onIo(() -> { connect(); return null; });
        } catch (RuntimeException e) {
            io.shutdown();
            throw e;
        }
    }

    /** Readers PC/SC knows, with whether a card is present. */
    public static List<Reader> readers() {
        List<Reader> out = new ArrayList<>();
        try {
            for (CardTerminal t : factory().terminals().list(CardTerminals.State.ALL)) {
                out.add(new Reader(t.getName(), t.isCardPresent()));
            }
        } catch (CardException e) {
            if (!noReaders(e)) throw new TransportException("PC/SC: " + rootMessage(e), e);
        }
        return out;
    }

    /** Connects to the reader whose name equals {@code name} or, failing that, contains it. */
    public static PcscTransport open(String name) {
        List<CardTerminal> all;
        try {
            all = factory().terminals().list(CardTerminals.State.ALL);
        } catch (CardException e) {
            if (noReaders(e)) throw new TransportException("no PC/SC reader named '" + name + "' (no readers attached)");
            throw new TransportException("PC/SC: " + rootMessage(e), e);
        }
        CardTerminal match = null;
        for (CardTerminal t : all) if (t.getName().equals(name)) match = t;
        if (match == null) {
            for (CardTerminal t : all) {
                if (t.getName().toLowerCase().contains(name.toLowerCase())) {
                    if (match != null) throw new TransportException("reader name '" + name + "' is ambiguous");
                    match = t;
                }
            }
        }
        if (match == null) throw new TransportException("no PC/SC reader named '" + name + "'");
        return new PcscTransport(match);
    }

    private static TerminalFactory factory() {
        try {
            return TerminalFactory.getInstance("PC/SC", null);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new TransportException("PC/SC service not available (is pcscd running and libpcsclite installed?)", e);
        }
    }

    private static boolean noReaders(CardException e) {
        String m = rootMessage(e);
        return m.contains("SCARD_E_NO_READERS_AVAILABLE") || m.contains("SCARD_E_NO_SERVICE");
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) t = t.getCause();
        return String.valueOf(t.getMessage());
    }

    /** Connects (shared) and, when holds are open, takes the transaction again. I/O thread only. */
    private void connect() {
        try {
            if (!terminal.isCardPresent()) throw new TransportException("no card in reader '" + terminal.getName() + "'");
            card = terminal.connect("*");
            channel = card.getBasicChannel();
            if (holds > 0) card.beginExclusive();
        } catch (CardException e) {
            throw new TransportException("cannot connect to card in '" + terminal.getName() + "': " + rootMessage(e), e);
        }
    }

    /** Runs {@code work} on the I/O thread (the one javax.smartcardio ties the transaction to). */
    private <T> T onIo(Callable<T> work) {
        Future<T> f = io.submit(work);
        try {
            return f.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            throw new TransportException("reader '" + terminal.getName() + "': " + rootMessage(e), e.getCause());
        } catch (InterruptedException e) {
            f.cancel(true);
            Thread.currentThread().interrupt();
            throw new TransportException("interrupted while talking to reader '" + terminal.getName() + "'");
        }
    }

    /**
     * Holds a PC/SC transaction until the returned hold is closed: no other PC/SC client's
     * command reaches the card in between (theirs fail with SCARD_E_SHARING_VIOLATION or wait).
     * Nested holds share the outermost transaction.
     */
    public Hold exclusive() {
        onIo(() -> {
            if (holds == 0) {
                try {
                    card.beginExclusive();
                } catch (CardException e) {
                    throw new TransportException("reader '" + terminal.getName() + "': cannot begin a transaction: " + rootMessage(e), e);
                }
            }
            holds++;
            return null;
        });
        return new Hold();
    }

    /** Whether a transaction is held now. */
    public boolean exclusiveHeld() {
        return onIo(() -> holds > 0);
    }

    /** One {@link #exclusive()} hold; closing it twice is harmless. */
    public final class Hold implements AutoCloseable {
        private boolean open = true;

        private Hold() {}

        @Override
        public void close() {
            if (!open) return;
            open = false;
            onIo(() -> {
                if (holds > 0 && --holds == 0) {
                    try {
                        card.endExclusive();
                    } catch (CardException | IllegalStateException e) {
                        // the card was removed or reset: the transaction is gone with it
                    }
                }
                return null;
            });
        }
    }

    @Override
    public byte[] transmit(byte[] commandApdu) {
        return onIo(() -> {
            try {
                return channel.transmit(new CommandAPDU(commandApdu)).getBytes();
            } catch (IllegalStateException e) {
                throw new TransportException("reader '" + terminal.getName() + "': " + e.getMessage(), e);
            } catch (CardException e) {
                if (!rootMessage(e).contains("SCARD_W_RESET_CARD")) {
                    throw new TransportException("reader '" + terminal.getName() + "': " + rootMessage(e), e);
                }
            }
            // another client reset the card: reconnect (our transaction again when held) and send once more;
            // the card comes back with nothing selected and no PIN verified
            reconnect(false);
            try {
                return channel.transmit(new CommandAPDU(commandApdu)).getBytes();
            } catch (CardException e) {
                throw new TransportException("reader '" + terminal.getName() + "': " + rootMessage(e), e);
            }
        });
    }

    private void reconnect(boolean reset) {
        try {
            card.disconnect(reset);
        } catch (CardException | IllegalStateException e) {
            if (reset) throw new TransportException("reset failed: " + rootMessage(e), e);
        }
        connect();
    }

    @Override
    public byte[] atr() {
        return onIo(() -> card.getATR().getBytes());
    }

    @Override
    public String name() {
        return terminal.getName();
    }

    @Override
    public void reset() {
        onIo(() -> { reconnect(true); return null; });
    }

    @Override
    public void close() {
        if (io.isShutdown()) return;
        try {
            onIo(() -> {
                try {
                    if (card != null) card.disconnect(false); // also ends a held transaction
                } catch (CardException | IllegalStateException ignored) {
                    // already gone
                }
                holds = 0;
                return null;
            });
        } finally {
            io.shutdown();
        }
    }

    public record Reader(String name, boolean cardPresent) {}
}
