package dev.cardsmith.vault;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cardsmith.crypto.Hex;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;

/** The public database read over HTTP ({@link PublicDbHttpServer}); used by {@code recover --from URL}. */
public final class PublicDbHttpClient implements BackupSource {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final URI base;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    public PublicDbHttpClient(String baseUrl) {
        URI u;
        try {
            u = URI.create(baseUrl.endsWith("/") ? baseUrl : baseUrl + "/");
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a URL: " + baseUrl);
        }
        if (!"http".equals(u.getScheme()) && !"https".equals(u.getScheme())) {
            throw new IllegalArgumentException("--from needs an http:// or https:// URL");
        }
        this.base = u;
    }

    @Override
    public Optional<DeviceRecord> latest(String chipIdHex) {
        Optional<JsonNode> backup = get("chips/" + chipIdHex + "/backup");
        if (backup.isEmpty()) return Optional.empty();
        Optional<JsonNode> cert = get("chips/" + chipIdHex + "/certificate");
        if (cert.isEmpty()) return Optional.empty();
        JsonNode b = backup.get();
        JsonNode c = cert.get();
        if (b.path("version").asInt() != c.path("version").asInt()) {
            throw new VaultException(VaultException.Kind.STATE, "the public database changed during recovery; run it again");
        }
        return Optional.of(new DeviceRecord(b.path("chipId").asText(), b.path("version").asInt(), c.path("identity").asText(),
                b.path("packageVersion").asInt(), Hex.parse(b.path("backup").asText()), Hex.parse(c.path("certificate").asText()), null));
    }

    private Optional<JsonNode> get(String path) {
        URI u = base.resolve(path);
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(u).timeout(Duration.ofSeconds(30)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 404) return Optional.empty();
            if (r.statusCode() != 200) {
                throw new VaultException(VaultException.Kind.NOT_FOUND, "public database at " + base + " answered HTTP " + r.statusCode());
            }
            return Optional.of(JSON.readTree(r.body()));
        } catch (IOException e) {
            throw new VaultException(VaultException.Kind.NOT_FOUND, "cannot reach the public database at " + base + ": " + e.getClass().getSimpleName());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VaultException(VaultException.Kind.NOT_FOUND, "interrupted while reading " + base);
        }
    }

    @Override
    public String describe() {
        return "public database at " + base;
    }
}
