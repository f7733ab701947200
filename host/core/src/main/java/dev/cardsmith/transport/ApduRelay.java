package dev.cardsmith.transport;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.smartcardio.CommandAPDU;
import javax.smartcardio.ResponseAPDU;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;

/**
 * A generic APDU-over-TCP relay: a service (perso unit, central system, ...) drives a card that
 * sits in the reader of a remote appliance. The appliance connects, says who it is (HELLO), and
 * from then on only relays APDUs.
 *
 * <p><b>The relay is an untrusted pipe.</b> On the service side it is just another
 * {@link ApduChannel}; nothing it carries is trusted because it came through here. Whatever
 * must stay secret or unaltered is protected end to end by a secure channel that runs
 * <i>inside</i> it (module secure messaging, SCP03, signatures): the service wraps the relay
 * channel, the card unwraps, so an appliance or network that reads, drops or flips bytes is
 * detected by the card or by the service's unwrap, never silently accepted. The appliance only
 * restricts what a service may send to its reader ({@link #PROPRIETARY_CLASS} by default: no
 * SELECT of other applets, no ISO commands).
 *
 * <p>Framing over a plain TCP socket: type (1 byte) || length (4 bytes) || payload. Types:
 * HELLO (JSON, appliance to service), APDU (service to appliance), RESPONSE (appliance to
 * service), DONE (JSON result), ERROR (UTF-8 message).
 */
public final class ApduRelay {

    private static final Logger LOG = LoggerFactory.getLogger(ApduRelay.class);
    static final int HELLO = 1, APDU = 2, RESPONSE = 3, DONE = 4, ERROR = 5;
    private static final int MAX_FRAME = 70_000;
    private static final int TIMEOUT_MS = 60_000;
    private static final ObjectMapper JSON = new ObjectMapper();

    private ApduRelay() {}

    /** Commands an appliance relays by default: CLA 80, or 90 for a chained part (no ISO commands, no SELECT). */
    public static final Predicate<byte[]> PROPRIETARY_CLASS = ApduRelay::relayable;

    /** The relay failed or the service refused; the message is the service's (no APDU data). */
    public static final class RelayException extends TransportException {
        public RelayException(String message) { super(message); }
        public RelayException(String message, Throwable cause) { super(message, cause); }
    }

    /** What a service does with one connected appliance: {@code card} is the untrusted relay channel. */
    @FunctionalInterface
    public interface Handler {
        Map<String, Object> handle(Map<String, Object> hello, ApduChannel card);
    }

    /** The service side: listens on a loopback (or given) address; stop with {@link #close}. */
    public static final class Server implements AutoCloseable {
        private final ServerSocket socket;
        private final Handler handler;

        public Server(String host, int port, Handler handler) {
            this.handler = handler;
            try {
                socket = new ServerSocket();
                socket.bind(new InetSocketAddress(InetAddress.getByName(host), port));
            } catch (IOException e) {
                throw new RelayException("cannot listen on " + host + ":" + port + ": " + e.getMessage(), e);
            }
        }

        public int port() { return socket.getLocalPort(); }

        /** Serves connections one after another until closed, or {@code count} of them (0 = no limit). */
        public void serve(int count) {
            int served = 0;
            while (!socket.isClosed() && (count == 0 || served < count)) {
                try (Socket s = socket.accept()) {
                    served++;
                    serveOne(s);
                } catch (IOException e) {
                    if (socket.isClosed()) return;
                    LOG.warn("relay connection failed: {}", e.getMessage());
                }
            }
        }

        /** Serves in a daemon thread; returns immediately. */
        public Thread start() {
            Thread t = new Thread(() -> serve(0), "apdu-relay-" + port());
            t.setDaemon(true);
            t.start();
            return t;
        }

        private void serveOne(Socket s) throws IOException {
            s.setSoTimeout(TIMEOUT_MS);
            DataInputStream in = new DataInputStream(s.getInputStream());
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            Frame hello = read(in);
            if (hello.type != HELLO) {
                write(out, ERROR, "expected HELLO".getBytes(StandardCharsets.UTF_8));
                return;
            }
            Map<String, Object> h = JSON.readValue(hello.payload, new TypeReference<Map<String, Object>>() {});
            boolean extended = Boolean.TRUE.equals(h.get("extendedLength"));
            ApduChannel remote = new ApduChannel() {
                @Override
                public ResponseAPDU transmit(CommandAPDU command) {
                    try {
                        write(out, APDU, command.getBytes());
                        Frame f = read(in);
                        if (f.type != RESPONSE) throw new RelayException("appliance sent frame type " + f.type + " instead of a response");
                        return new ResponseAPDU(f.payload);
                    } catch (IOException e) {
                        throw new RelayException("relay to the appliance failed: " + e.getMessage(), e);
                    }
                }

                @Override
                public boolean extendedLength() { return extended; }
            };
            try {
                Map<String, Object> result = handler.handle(h, remote);
                write(out, DONE, JSON.writeValueAsBytes(result));
            } catch (RuntimeException e) {
                LOG.info("relay session failed: {}", e.getMessage());
                write(out, ERROR, String.valueOf(e.getMessage()).getBytes(StandardCharsets.UTF_8));
            }
        }

        @Override
        public void close() {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing
            }
        }
    }

    /**
     * The appliance side: connects, sends HELLO, relays every APDU to the local module through
     * the one transmit path (chaining / GET RESPONSE handled there) and returns the service's
     * result. Only {@link #PROPRIETARY_CLASS} commands reach the card; others are answered 6E00.
     */
    public static Map<String, Object> connect(String host, int port, Map<String, Object> hello, CardSession session, boolean extended) {
        return connect(host, port, hello, session, extended, PROPRIETARY_CLASS);
    }

    /** {@link #connect(String, int, Map, CardSession, boolean)} with the appliance's own relay policy. */
    public static Map<String, Object> connect(String host, int port, Map<String, Object> hello, CardSession session, boolean extended,
                                              Predicate<byte[]> relayable) {
        session.extendedLength(extended);
        Map<String, Object> h = new LinkedHashMap<>(hello);
        h.put("extendedLength", extended);
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), TIMEOUT_MS);
            s.setSoTimeout(TIMEOUT_MS);
            DataInputStream in = new DataInputStream(s.getInputStream());
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            write(out, HELLO, JSON.writeValueAsBytes(h));
            while (true) {
                Frame f = read(in);
                switch (f.type) {
                    case APDU -> write(out, RESPONSE, relayable.test(f.payload)
                            ? session.transmit(new CommandAPDU(f.payload)).getBytes()
                            : new byte[]{0x6E, 0x00});
                    case DONE -> { return JSON.readValue(f.payload, new TypeReference<Map<String, Object>>() {}); }
                    case ERROR -> throw new RelayException("service refused: " + new String(f.payload, StandardCharsets.UTF_8));
                    default -> throw new RelayException("unexpected frame type " + f.type + " from the service");
                }
            }
        } catch (SocketTimeoutException e) {
            throw new RelayException("service at " + host + ":" + port + " timed out", e);
        } catch (IOException e) {
            throw new RelayException("cannot talk to " + host + ":" + port + ": " + e.getMessage(), e);
        }
    }

    /** CLA 80 (chaining bit 10 allowed): a service cannot SELECT other applets or send ISO commands. */
    static boolean relayable(byte[] apdu) {
        return apdu.length >= 4 && (apdu[0] & 0xEF) == 0x80;
    }

    private record Frame(int type, byte[] payload) {}

    private static Frame read(DataInputStream in) throws IOException {
        int type = in.readUnsignedByte();
        int len = in.readInt();
        if (len < 0 || len > MAX_FRAME) throw new IOException("frame length " + len + " out of range");
        return new Frame(type, in.readNBytes(len));
    }

    private static void write(DataOutputStream out, int type, byte[] payload) throws IOException {
        out.writeByte(type);
        out.writeInt(payload.length);
        out.write(payload);
        out.flush();
    }
}
