package dev.cardsmith.simulator;

import dev.cardsmith.transport.*;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * Puts a card (usually the simulator) behind a real PC/SC reader: connects to the vpcd driver
 * of vsmartcard (pcscd's "Virtual PCD" reader, TCP 127.0.0.1:35963 by default) and answers its
 * requests. Wire format, written from the vsmartcard documentation (no Java library implements
 * it): every message is a 2-byte big-endian length and a payload; a 1-byte payload is a control
 * code (00 power off, 01 power on, 02 reset, 04 get ATR — only ATR is answered), anything else
 * is a command APDU answered with the response APDU.
 */
public final class VpcdBridge implements AutoCloseable {

    public static final int DEFAULT_PORT = 0x8C7B; // 35963, CHANNELID in /etc/reader.conf.d/vpcd

    private static final Logger LOG = LoggerFactory.getLogger(VpcdBridge.class);
    private static final int CTRL_OFF = 0;
    private static final int CTRL_ON = 1;
    private static final int CTRL_RESET = 2;
    private static final int CTRL_ATR = 4;

    private static final boolean QUICKACK = quickAckSupported();

    private volatile CardTransport card;
    private final String host;
    private final int port;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile Socket socket;
    private volatile boolean connected;
    private volatile boolean served;

    private VpcdBridge(CardTransport card, String host, int port) {
        this.card = card;
        this.host = host;
        this.port = port;
        this.thread = new Thread(this::loop, "vpcd-bridge");
        this.thread.setDaemon(true);
    }

    /** Starts the bridge; it keeps reconnecting until closed (pcscd may start after us). */
    public static VpcdBridge start(CardTransport card, String host, int port) {
        VpcdBridge b = new VpcdBridge(card, host, port);
        b.thread.start();
        return b;
    }

    /**
     * Puts another card in the reader (the next request goes to it) and returns the one taken
     * out, which the caller closes. pcscd still believes the same card is present: a program
     * that had a connection reconnects (the test runs' "fresh card" between tests).
     */
    public synchronized CardTransport replaceCard(CardTransport next) {
        CardTransport previous = card;
        card = next;
        return previous;
    }

    public boolean connected() {
        return connected;
    }

    /** True once vpcd has sent this bridge a request: it is the reader's card, not merely queued. */
    public boolean served() {
        return served;
    }

    private void loop() {
        while (running) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(host, port), 1000);
                // Each answer leaves as one segment at once (no Nagle). vpcd writes the length
                // and the APDU in two send() calls under Nagle, so its APDU waits for our ACK of
                // the length: quick ACKs instead of delayed ones save about 40 ms per APDU.
                s.setTcpNoDelay(true);
                socket = s;
                connected = true;
                LOG.info("vpcd connected at {}:{}", host, port);
                serve(s, new DataInputStream(s.getInputStream()), new DataOutputStream(new BufferedOutputStream(s.getOutputStream())));
            } catch (IOException e) {
                connected = false;
                served = false;
                if (!running) return;
                try {
                    Thread.sleep(200);
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }

    private void serve(Socket s, DataInputStream in, DataOutputStream out) throws IOException {
        while (running) {
            quickAck(s);
            int len = in.readUnsignedShort();
            quickAck(s);
            byte[] msg = in.readNBytes(len);
            if (msg.length != len) throw new IOException("vpcd closed");
            served = true;
            synchronized (this) {
                answer(msg, out);
            }
        }
    }

    private void answer(byte[] msg, DataOutputStream out) throws IOException {
        if (msg.length == 1) {
            switch (msg[0]) {
                case CTRL_ATR -> write(out, card.atr());
                case CTRL_RESET, CTRL_ON -> card.reset();
                case CTRL_OFF -> { /* the next power-on resets */ }
                default -> LOG.warn("unknown vpcd control code {}", msg[0]);
            }
        } else {
            byte[] resp;
            try {
                resp = card.transmit(msg);
            } catch (RuntimeException e) {
                resp = new byte[] {0x6F, 0x00};
            }
            write(out, resp);
        }
    }

    private static boolean quickAckSupported() {
        try (Socket s = new Socket()) {
            return s.supportedOptions().contains(jdk.net.ExtendedSocketOptions.TCP_QUICKACK);
        } catch (IOException e) {
            return false;
        }
    }

    /** TCP_QUICKACK (Linux) is not sticky: the kernel may fall back to delayed ACKs, so it is set before every read. */
    private static void quickAck(Socket s) {
        if (!QUICKACK) return;
        try {
            s.setOption(jdk.net.ExtendedSocketOptions.TCP_QUICKACK, true);
        } catch (IOException | UnsupportedOperationException e) {
            // only slower
        }
    }

    private static void write(DataOutputStream out, byte[] payload) throws IOException {
        out.writeShort(payload.length);
        out.write(payload);
        out.flush();
    }

    @Override
    public void close() {
        running = false;
        Socket s = socket;
        if (s != null) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
        thread.interrupt();
    }
}
