package dev.cardsmith.factory;

import dev.cardsmith.transport.CardTransport;
import dev.cardsmith.transport.PcscTransport;
import dev.cardsmith.transport.TransportException;

import javax.smartcardio.CardException;
import javax.smartcardio.CardTerminal;
import javax.smartcardio.CardTerminals;
import javax.smartcardio.TerminalFactory;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Cards from PC/SC readers whose names contain a pattern. A card inserted into any free matching
 * reader is the next device; when it is finished the operator is told to remove it, and that
 * reader takes a new card only after the removal. Waiting uses javax.smartcardio's card-presence
 * events ({@link CardTerminals#waitForChange}, {@link CardTerminal#waitForCardPresent},
 * {@link CardTerminal#waitForCardAbsent}), not a polling loop over the readers. A card pulled
 * mid-stage is reported to the operator and, when it is put back into the same reader within
 * {@link #COME_BACK_MILLIS}, the stage runs again and reconciles from what the card committed.
 */
public final class ReaderCards implements CardSource {

    /** How long a device waits for a card pulled mid-stage to come back before it is reported failed. */
    static final long COME_BACK_MILLIS = 30_000;
    /** How long {@link #next} waits in total for an inserted card. */
    static final long INSERT_MILLIS = 600_000;
    /** How long a device whose card stopped answering waits for pcscd to report the removal. */
    static final long REMOVAL_MILLIS = 3_000;
    /** The longest single wait for a PC/SC event. */
    static final long WAIT_SLICE_MILLIS = 500;

    private final String pattern;
    private final Consumer<String> operator;
    private final long comeBackMillis;
    private final CardTerminals terminals;
    private final Set<String> busy = new HashSet<>();
    private final Set<String> awaitingRemoval = new HashSet<>();

    /** @param operator where messages for the operator go (insert / remove / put back) */
    public ReaderCards(String pattern, Consumer<String> operator) {
        this(pattern, operator, COME_BACK_MILLIS);
    }

    /** @param comeBackMillis how long a device waits for its pulled card (tests shorten it) */
    ReaderCards(String pattern, Consumer<String> operator, long comeBackMillis) {
        this.pattern = pattern;
        this.operator = operator;
        this.comeBackMillis = comeBackMillis;
        PcscTransport.readers(); // loads the PC/SC configuration (library path, GET RESPONSE handling) and fails early without PC/SC
        try {
            this.terminals = TerminalFactory.getInstance("PC/SC", null).terminals();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new TransportException("PC/SC service not available (is pcscd running and libpcsclite installed?)", e);
        }
        if (matching().isEmpty()) throw new FactoryException(FactoryException.Kind.NO_CARD, "no PC/SC reader name contains '" + pattern + "'");
    }

    @Override
    public String describe() {
        return "readers:" + pattern;
    }

    private List<CardTerminal> matching() {
        List<CardTerminal> out = new ArrayList<>();
        try {
            for (CardTerminal t : terminals.list(CardTerminals.State.ALL)) {
                if (t.getName().toLowerCase(Locale.ROOT).contains(pattern.toLowerCase(Locale.ROOT))) out.add(t);
            }
        } catch (CardException e) {
            throw new TransportException("PC/SC: " + e.getMessage(), e);
        }
        return out;
    }

    @Override
    public Card next(String runId, int slot) {
        long deadline = System.currentTimeMillis() + INSERT_MILLIS;
        boolean told = false;
        while (true) {
            synchronized (this) {
                for (CardTerminal t : matching()) {
                    String name = t.getName();
                    boolean present = present(t);
                    if (!present) awaitingRemoval.remove(name);
                    if (present && !busy.contains(name) && !awaitingRemoval.contains(name)) {
                        busy.add(name);
                        operator.accept("device " + slot + ": card in '" + name + "'");
                        return new Card("pcsc:" + name, pulledIsTransportError(PcscTransport.open(name)));
                    }
                }
            }
            if (!told) {
                operator.accept("insert a card into a reader matching '" + pattern + "'");
                told = true;
            }
            long left = deadline - System.currentTimeMillis();
            if (left <= 0) throw new FactoryException(FactoryException.Kind.NO_CARD, "no card inserted into a reader matching '" + pattern + "' for " + INSERT_MILLIS / 1000 + " s");
            awaitChange(Math.min(left, WAIT_SLICE_MILLIS));
        }
    }

    @Override
    public Card reopen(String name) {
        String reader = readerOf(name);
        return awaitBack(name, reader, terminal(reader), false);
    }

    /**
     * A card stopped answering mid-stage. The transport error can arrive before pcscd reports the
     * removal, so this first waits (briefly) for the removal event of that reader; then it asks
     * the operator to put the card back and waits for the insertion event. A card that was never
     * removed (a reader hiccup) is opened again at once.
     */
    @Override
    public Card returned(String name) {
        String reader = readerOf(name);
        CardTerminal t = terminal(reader);
        boolean removed = waitFor(t, false, REMOVAL_MILLIS);
        if (removed) operator.accept("card pulled from '" + reader + "' mid-stage: put it back to finish it");
        return awaitBack(name, reader, t, removed);
    }

    /** Waits for the card of {@code reader} (insertion events) and opens it; null after {@code comeBackMillis}. */
    private Card awaitBack(String name, String reader, CardTerminal t, boolean told) {
        long deadline = System.currentTimeMillis() + comeBackMillis;
        while (true) {
            if (t != null && waitFor(t, true, 0)) {
                try {
                    Card c = new Card(name, pulledIsTransportError(PcscTransport.open(reader)));
                    synchronized (this) {
                        busy.add(reader);
                    }
                    return c;
                } catch (TransportException e) {
                    // gone again between the event and the connect: wait for the next insertion
                    waitFor(t, false, REMOVAL_MILLIS);
                }
            }
            if (!told) {
                operator.accept("card pulled from '" + reader + "' mid-stage: put it back to finish it");
                told = true;
            }
            long left = deadline - System.currentTimeMillis();
            if (left <= 0) return null;
            if (t == null) {
                awaitChange(Math.min(left, WAIT_SLICE_MILLIS));
                t = terminal(reader);
            } else {
                waitFor(t, true, Math.min(left, WAIT_SLICE_MILLIS));
            }
        }
    }

    private static String readerOf(String name) {
        return name.startsWith("pcsc:") ? name.substring(5) : name;
    }

    /** The matching reader named {@code reader}, or null when it is not attached. */
    private CardTerminal terminal(String reader) {
        for (CardTerminal t : matching()) if (t.getName().equals(reader)) return t;
        return null;
    }

    /**
     * Waits for the insertion ({@code present}) or removal event of one reader, at most {@code millis}
     * (0: only looks); true when the reader is in that state. The wait is pcscd's status-change event
     * (SCardGetStatusChange), cut into slices so that a wait never holds the process's one PC/SC
     * context for long while other devices are transmitting.
     */
    private static boolean waitFor(CardTerminal t, boolean present, long millis) {
        long deadline = System.currentTimeMillis() + millis;
        try {
            while (true) {
                boolean now = present ? t.waitForCardPresent(1) : t.waitForCardAbsent(1);
                if (now) return true;
                long left = deadline - System.currentTimeMillis();
                if (left <= 0) return false;
                now = present ? t.waitForCardPresent(Math.min(left, WAIT_SLICE_MILLIS)) : t.waitForCardAbsent(Math.min(left, WAIT_SLICE_MILLIS));
                if (now) return true;
            }
        } catch (CardException e) {
            return false; // the reader went away: not in either state we can use
        }
    }

    @Override
    public void finished(Card card, boolean ok) {
        String reader = card.name().substring("pcsc:".length());
        synchronized (this) {
            busy.remove(reader);
            awaitingRemoval.add(reader);
        }
        operator.accept((ok ? "done" : "not finished (see 'cardsmith factory status')") + ": remove the card from '" + reader + "'");
    }

    /**
     * A card pulled while a command is under way can leave javax.smartcardio with a response
     * shorter than a status word, which it reports as IllegalArgumentException; on the line that
     * is the card gone (a transport failure, retried when the card is back), not a refusal.
     */
    static CardTransport pulledIsTransportError(CardTransport t) {
        return new CardTransport() {
            @Override public byte[] transmit(byte[] apdu) {
                try {
                    return t.transmit(apdu);
                } catch (IllegalArgumentException e) {
                    throw new TransportException("reader '" + t.name() + "': no answer (card removed?)", e);
                }
            }

            @Override public byte[] atr() { return t.atr(); }

            @Override public String name() { return t.name(); }

            @Override public void reset() { t.reset(); }

            @Override public void close() { t.close(); }
        };
    }

    private static boolean present(CardTerminal t) {
        try {
            return t.isCardPresent();
        } catch (CardException e) {
            return false;
        }
    }

    /** Blocks until a card is inserted or removed in any reader, or the timeout passes. */
    private void awaitChange(long millis) {
        try {
            terminals.waitForChange(Math.max(1, millis));
        } catch (CardException e) {
            throw new TransportException("PC/SC: " + e.getMessage(), e);
        }
    }
}
