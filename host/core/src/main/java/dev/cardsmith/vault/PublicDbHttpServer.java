package dev.cardsmith.vault;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.cardsmith.crypto.Hex;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The permanent public database, read-only over HTTP on the loopback interface (put a TLS
 * reverse proxy in front to publish it). JSON, GET only:
 * <ul>
 *   <li>{@code GET /chips/{chipId}/backup} -> {chipId, version, packageVersion, backup}</li>
 *   <li>{@code GET /chips/{chipId}/certificate} -> {chipId, version, identity, certificate}</li>
 * </ul>
 * The newest version; 404 for an unknown chip or path, 400 for a malformed chip ID, 405 for
 * anything but GET/HEAD. Bytes are upper-case hex.
 */
public final class PublicDbHttpServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PublicDbHttpServer.class);
    private static final Pattern PATH = Pattern.compile("^/chips/([^/]+)/(backup|certificate)$");
    private static final Pattern CHIP = Pattern.compile("^[0-9A-Fa-f]{32}$");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;
    private final BackupSource db;

    private PublicDbHttpServer(HttpServer server, BackupSource db) {
        this.server = server;
        this.db = db;
    }

    /** Starts on 127.0.0.1:{@code port} (0 = an ephemeral port). */
    public static PublicDbHttpServer start(BackupSource db, int port) {
        try {
            HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 16);
            PublicDbHttpServer p = new PublicDbHttpServer(s, db);
            s.createContext("/", p::handle);
            s.setExecutor(Executors.newFixedThreadPool(2));
            s.start();
            LOG.info("public database served on {}", p.url());
            return p;
        } catch (IOException e) {
            throw new VaultException(VaultException.Kind.INPUT, "cannot listen on 127.0.0.1:" + port + ": " + e.getMessage());
        }
    }

    public int port() { return server.getAddress().getPort(); }

    public String url() { return "http://127.0.0.1:" + port(); }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String method = ex.getRequestMethod();
            if (!method.equals("GET") && !method.equals("HEAD")) {
                ex.getResponseHeaders().add("Allow", "GET, HEAD");
                send(ex, 405, Map.of("error", "read-only: GET only"));
                return;
            }
            Matcher m = PATH.matcher(ex.getRequestURI().getPath());
            if (!m.matches()) {
                send(ex, 404, Map.of("error", "not found"));
                return;
            }
            String chip = m.group(1);
            if (!CHIP.matcher(chip).matches()) {
                send(ex, 400, Map.of("error", "chip ID must be 32 hex digits"));
                return;
            }
            Optional<DeviceRecord> rec = db.latest(chip.toUpperCase(java.util.Locale.ROOT));
            if (rec.isEmpty()) {
                send(ex, 404, Map.of("error", "unknown chip"));
                return;
            }
            DeviceRecord r = rec.get();
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("chipId", r.chipId());
            body.put("version", r.version());
            if (m.group(2).equals("backup")) {
                body.put("packageVersion", r.packageVersion());
                body.put("backup", Hex.of(r.backup()));
            } else {
                body.put("identity", r.identity());
                body.put("certificate", Hex.of(r.certificate()));
            }
            send(ex, 200, body);
        } catch (RuntimeException e) {
            LOG.warn("request failed: {}", e.getMessage());
            send(ex, 500, Map.of("error", "internal error"));
        }
    }

    private static void send(HttpExchange ex, int status, Map<String, ?> body) throws IOException {
        byte[] b = JSON.writeValueAsString(body).getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        boolean head = ex.getRequestMethod().equals("HEAD");
        ex.sendResponseHeaders(status, head ? -1 : b.length);
        if (!head) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(b);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        if (server.getExecutor() instanceof java.util.concurrent.ExecutorService es) es.shutdownNow();
    }
}
