package dev.cardsmith.transport;

import javax.smartcardio.CommandAPDU;
import javax.smartcardio.ResponseAPDU;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;

/**
 * The one {@code transmit()} path for every APDU cardsmith sends. It owns, once for all
 * systems: ISO 7816-4 command chaining for data longer than 255 bytes (or extended length
 * when the session is opened with it), GET RESPONSE on 61xx, re-issue with the right Le on
 * 6Cxx, and the APDU/byte counters. Secure channels wrap this class, they never bypass it.
 */
public final class CardSession implements ApduChannel, AutoCloseable {

    /** Largest short-APDU data field. */
    public static final int SHORT_MAX = 255;

    private final CardTransport transport;
    private final Stats stats = new Stats();
    private final ApduTrace trace;
    private boolean extendedLength;

    public CardSession(CardTransport transport) {
        this(transport, ApduTrace.OFF);
    }

    public CardSession(CardTransport transport, ApduTrace trace) {
        this.transport = transport;
        this.trace = trace;
    }

    /** Use ISO extended length instead of command chaining for long commands. */
    public CardSession extendedLength(boolean on) {
        this.extendedLength = on;
        return this;
    }

    public CardTransport transport() { return transport; }

    /**
     * The session a card class was opened on, for its APDU counters; refuses a channel that is
     * not a reader session (a secure channel or a relay counts nothing itself).
     */
    public static CardSession of(ApduChannel channel) {
        if (channel instanceof CardSession s) return s;
        throw new IllegalStateException("this card is not opened directly on a reader session");
    }

    public Stats stats() { return stats; }

    @Override
    public boolean extendedLength() { return extendedLength; }

    /** Sends one logical command, whatever its length; returns the complete logical response. */
    @Override
    public ResponseAPDU transmit(CommandAPDU command) {
        byte[] data = command.getData();
        if (data.length > SHORT_MAX && !extendedLength) {
            return transmitChained(command, data);
        }
        return completeResponse(command, exchange(command.getBytes()));
    }

    private ResponseAPDU transmitChained(CommandAPDU command, byte[] data) {
        int cla = command.getCLA();
        if ((cla & 0x10) != 0) throw new IllegalArgumentException("command already chained");
        int off = 0;
        while (true) {
            int len = Math.min(SHORT_MAX, data.length - off);
            boolean last = off + len == data.length;
            byte[] part = Arrays.copyOfRange(data, off, off + len);
            CommandAPDU piece = last
                    ? new CommandAPDU(cla, command.getINS(), command.getP1(), command.getP2(), part, Math.max(command.getNe(), 0) == 0 ? 256 : Math.min(command.getNe(), 256))
                    : new CommandAPDU(cla | 0x10, command.getINS(), command.getP1(), command.getP2(), part);
            ResponseAPDU r = new ResponseAPDU(exchange(piece.getBytes()));
            if (last) return completeResponse(piece, r.getBytes());
            if (r.getSW() != StatusWords.SW_OK) return r;
            off += len;
        }
    }

    private ResponseAPDU completeResponse(CommandAPDU sent, byte[] raw) {
        ResponseAPDU r = new ResponseAPDU(raw);
        if (r.getSW1() == 0x6C) {
            CommandAPDU again = new CommandAPDU(sent.getCLA(), sent.getINS(), sent.getP1(), sent.getP2(), sent.getData(), r.getSW2() == 0 ? 256 : r.getSW2());
            r = new ResponseAPDU(exchange(again.getBytes()));
        }
        if (r.getSW1() != 0x61) return r;
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        all.writeBytes(r.getData());
        while (r.getSW1() == 0x61) {
            int le = r.getSW2() == 0 ? 256 : r.getSW2();
            r = new ResponseAPDU(exchange(new CommandAPDU(sent.getCLA() & 0x03, 0xC0, 0x00, 0x00, le).getBytes()));
            all.writeBytes(r.getData());
        }
        all.write(r.getSW1());
        all.write(r.getSW2());
        return new ResponseAPDU(all.toByteArray());
    }

    private byte[] exchange(byte[] apdu) {
        trace.command(apdu);
        byte[] resp = transport.transmit(apdu);
        if (resp == null || resp.length < 2) throw new TransportException("card returned no status word");
        stats.record(apdu.length, resp.length);
        trace.response(resp);
        return resp;
    }

    /** Power-cycles the card (used by tear tests and by recovery after an interrupted flow). */
    public void reset() {
        trace.note("card reset");
        transport.reset();
    }

    @Override
    public void close() {
        transport.close();
    }

    /** APDU round trips and bytes on the wire, counted at the transport. */
    public static final class Stats {
        private int apdus;
        private long bytesSent;
        private long bytesReceived;

        void record(int sent, int received) {
            apdus++;
            bytesSent += sent;
            bytesReceived += received;
        }

        public int apdus() { return apdus; }
        public long bytesSent() { return bytesSent; }
        public long bytesReceived() { return bytesReceived; }

        /** Returns a copy and keeps counting. */
        public Stats snapshot() {
            Stats s = new Stats();
            s.apdus = apdus; s.bytesSent = bytesSent; s.bytesReceived = bytesReceived;
            return s;
        }

        /** Counts since an earlier snapshot. */
        public Stats since(Stats earlier) {
            Stats s = new Stats();
            s.apdus = apdus - earlier.apdus;
            s.bytesSent = bytesSent - earlier.bytesSent;
            s.bytesReceived = bytesReceived - earlier.bytesReceived;
            return s;
        }

        @Override
        public String toString() {
            return apdus + " APDUs, " + bytesSent + " bytes sent, " + bytesReceived + " bytes received";
        }
    }
}
