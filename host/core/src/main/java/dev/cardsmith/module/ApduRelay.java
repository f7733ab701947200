package dev.cardsmith.module;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cardsmith.transport.CardSession;
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

/**
 * The long-distance connection of claims 12, 14 and 15: a service (perso unit, central system)
 * drives a module that sits in the reader of a local appliance. The appliance connects, says
 * who it is (HELLO), and from then on only relays APDUs: the secure messaging and the
 * signatures run end to end between module and service, so the relay sees protected bytes only.
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

    /** What a service does with one connected appliance. */
    @FunctionalInterface
    public interface Handler {
        Map<String, Object> handle(Map<String, Object> hello, ModuleCard card);
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
                throw new ModuleException("cannot listen on " + host + ":" + port + ": " + e.getMessage(), e);
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
            ModuleCard remote = new ModuleCard() {
                @Override
                public ResponseAPDU transmit(CommandAPDU command) {
                    try {
                        write(out, APDU, command.getBytes());
                        Frame f = read(in);
                        if (f.type != RESPONSE) throw new ModuleException("appliance sent frame type " + f.type + " instead of a response");
                        return new ResponseAPDU(f.payload);
                    } catch (IOException e) {
                        throw new ModuleException("relay to the appliance failed: " + e.getMessage(), e);
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
     * the one transmit path (chaining / GET RESPONSE handled there) and returns the service's result.
     */
    public static Map<String, Object> connect(String host, int port, Map<String, Object> hello, CardSession session, boolean extended) {
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
                    case APDU -> write(out, RESPONSE, relayable(f.payload)
                            ? session.transmit(new CommandAPDU(f.payload)).getBytes()
                            : new byte[]{0x6E, 0x00});
                    case DONE -> { return JSON.readValue(f.payload, new TypeReference<Map<String, Object>>() {}); }
                    case ERROR -> throw new ModuleException("service refused: " + new String(f.payload, StandardCharsets.UTF_8));
                    default -> throw new ModuleException("unexpected frame type " + f.type + " from the service");
                }
            }
        } catch (SocketTimeoutException e) {
            throw new ModuleException("service at " + host + ":" + port + " timed out", e);
        } catch (IOException e) {
            throw new ModuleException("cannot talk to " + host + ":" + port + ": " + e.getMessage(), e);
        }
    }

    /**
     * The appliance relays only the module's proprietary commands (CLA 80, chaining bit allowed):
     * a service cannot SELECT other applets or send ISO commands through it.
     */
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
