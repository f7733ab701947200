package dev.cardsmith.simulator;

import dev.cardsmith.crypto.Hex;
import dev.cardsmith.transport.CardTransport;
import dev.cardsmith.transport.TransportException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The reader the end-to-end tests run against in CI: a simulated card served to pcscd through
 * vpcd ({@link VirtualPcscReader}, which starts pcscd when none runs), plus a control port on
 * loopback through which a test run asks for a fresh card between tests, the way an operator
 * would put a newly installed card in a physical reader.
 *
 * <p>Control protocol, one request per connection, ASCII lines:
 * {@code FRESH name=HEX[/CA] name=HEX[/CA]...} (applet names of {@link AppletRegistry}, HEX =
 * install parameters, may be empty; CA = the UICC toolkit parameters, TS 102 226 8.2.1.3.2.2.1,
 * that carry a toolkit applet's TAR - absent: the registry's, empty after the slash: none)
 * answered by {@code OK} once the new card is in the reader, or {@code ERR reason}. Started as {@code java ... dev.cardsmith.simulator.VpcdTestReader
 * [CONTROL_PORT]} and stopped by its PID (.ci/run); it prints {@code ready} when the card is in
 * the reader.
 */
public final class VpcdTestReader {

    /** Default loopback control port (vpcd itself listens on 35963 and 35964, one port per slot). */
    public static final int DEFAULT_CONTROL_PORT = 35970;

    private static final Logger LOG = LoggerFactory.getLogger(VpcdTestReader.class);

    private VpcdTestReader() {}

    public static void main(String[] args) throws IOException {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : DEFAULT_CONTROL_PORT;
        VirtualPcscReader reader = VirtualPcscReader.start(new SimulatorTransport());
        Runtime.getRuntime().addShutdownHook(new Thread(reader::close, "vpcd-test-reader-stop"));
        try (ServerSocket control = new ServerSocket(port, 4, InetAddress.getLoopbackAddress())) {
            System.out.println("ready: " + VirtualPcscReader.READER + ", control 127.0.0.1:" + port);
            System.out.flush();
            serve(control, reader::replaceCard);
        }
    }

    /** Answers control requests on {@code control} until it is closed; each fresh card goes to {@code sink}. */
    static void serve(ServerSocket control, Consumer<CardTransport> sink) {
        while (!control.isClosed()) {
            try (Socket s = control.accept()) {
                BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
                Writer out = new OutputStreamWriter(s.getOutputStream(), StandardCharsets.US_ASCII);
                String answer;
                try {
                    sink.accept(new SimulatorTransport(parse(in.readLine())));
                    answer = "OK";
                } catch (RuntimeException e) {
                    answer = "ERR " + e.getMessage();
                    LOG.warn("control request refused: {}", e.getMessage());
                }
                out.write(answer + "\n");
                out.flush();
            } catch (IOException e) {
                if (!control.isClosed()) LOG.warn("control connection failed: {}", e.getMessage());
            }
        }
    }

    static List<AppletSpec> parse(String request) {
        if (request == null || !request.startsWith("FRESH")) throw new IllegalArgumentException("unknown request (expected FRESH name=HEX...)");
        List<AppletSpec> specs = new ArrayList<>();
        for (String item : request.substring("FRESH".length()).trim().split(" +")) {
            if (item.isEmpty()) continue;
            int eq = item.indexOf('=');
            if (eq < 0) throw new IllegalArgumentException("'" + item + "' is not name=HEX");
            String value = item.substring(eq + 1);
            int slash = value.indexOf('/');
            AppletSpec spec = AppletRegistry.byName(item.substring(0, eq))
                    .withInstallParams(Hex.parse(slash < 0 ? value : value.substring(0, slash)));
            if (slash >= 0) {
                String ca = value.substring(slash + 1);
                spec = spec.withToolkitParams(ca.isEmpty() ? null : Hex.parse(ca));
            }
            specs.add(spec);
        }
        if (specs.isEmpty()) throw new IllegalArgumentException("FRESH names no applet");
        return specs;
    }

    /** The registry's toolkit parameters of an applet, null for none or an unknown name (the reader reports that). */
    private static byte[] registryToolkitParams(String name) {
        try {
            return AppletRegistry.byName(name).toolkitParams();
        } catch (IllegalArgumentException unknown) {
            return null;
        }
    }

    /**
     * Asks the test reader at {@code host:port} (loopback) to put a fresh card holding
     * {@code applets} in the reader; returns once it is there.
     */
    public static void requestFresh(String host, int port, List<AppletSpec> applets) {
        StringBuilder req = new StringBuilder("FRESH");
        for (AppletSpec a : applets) {
            req.append(' ').append(a.name()).append('=').append(Hex.of(a.installParams() == null ? new byte[0] : a.installParams()));
            // the toolkit parameters (TAR) whenever they are not the registry's
            byte[] ca = a.toolkitParams();
            if (!java.util.Arrays.equals(ca, registryToolkitParams(a.name()))) {
                req.append('/').append(ca == null ? "" : Hex.of(ca));
            }
        }
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 2000);
            s.setSoTimeout(30_000);
            Writer out = new OutputStreamWriter(s.getOutputStream(), StandardCharsets.US_ASCII);
            out.write(req + "\n");
            out.flush();
            String answer = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII)).readLine();
            if (!"OK".equals(answer)) throw new TransportException("test reader at " + host + ":" + port + " refused a fresh card: " + answer);
        } catch (IOException e) {
            throw new TransportException("cannot reach the test reader's control port " + host + ":" + port + ": " + e.getMessage(), e);
        }
    }
}
