package dev.cardsmith.transport;

import javax.smartcardio.Card;
import javax.smartcardio.CardException;
import javax.smartcardio.CardTerminal;
import javax.smartcardio.CardTerminals;
import javax.smartcardio.CommandAPDU;
import javax.smartcardio.TerminalFactory;
import java.util.ArrayList;
import java.util.List;

/** A card in a PC/SC reader, through javax.smartcardio (pcsc-lite on Linux, WinSCard on Windows). */
public final class PcscTransport implements CardTransport {

    static {
        // GET RESPONSE is handled once, in CardSession, for every transport.
        System.setProperty("sun.security.smartcardio.t0GetResponse", "false");
        System.setProperty("sun.security.smartcardio.t1GetResponse", "false");
        PcscLibrary.configure();
    }

    private final CardTerminal terminal;
    private Card card;
    private javax.smartcardio.CardChannel channel;

    private PcscTransport(CardTerminal terminal) {
        this.terminal = terminal;
        connect();
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

    private void connect() {
        try {
            if (!terminal.isCardPresent()) throw new TransportException("no card in reader '" + terminal.getName() + "'");
            card = terminal.connect("*");
            channel = card.getBasicChannel();
        } catch (CardException e) {
            throw new TransportException("cannot connect to card in '" + terminal.getName() + "': " + rootMessage(e), e);
        }
    }

    @Override
    public byte[] transmit(byte[] commandApdu) {
        try {
            return channel.transmit(new CommandAPDU(commandApdu)).getBytes();
        } catch (CardException e) {
            throw new TransportException("reader '" + terminal.getName() + "': " + rootMessage(e), e);
        }
    }

    @Override
    public byte[] atr() {
        return card.getATR().getBytes();
    }

    @Override
    public String name() {
        return terminal.getName();
    }

    @Override
    public void reset() {
        try {
            card.disconnect(true);
        } catch (CardException e) {
            throw new TransportException("reset failed: " + rootMessage(e), e);
        }
        connect();
    }

    @Override
    public void close() {
        try {
            if (card != null) card.disconnect(false);
        } catch (CardException ignored) {
            // already gone
        }
    }

    public record Reader(String name, boolean cardPresent) {}
}
