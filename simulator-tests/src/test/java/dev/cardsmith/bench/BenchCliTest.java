package dev.cardsmith.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cardsmith.cli.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Every {@code cardsmith bench ...} subcommand runs with the smallest round count through
 * {@code Main.run} and answers the expected JSON keys. Smoke tests only: no timing is asserted
 * (the figures go into the docs and reports, measured with larger round counts).
 */
class BenchCliTest {

    @TempDir Path dir;

    record Run(int exit, String out, String err) {
        JsonNode json() throws Exception { return new ObjectMapper().readTree(out); }
    }

    Run cli(String... args) {
        List<String> a = new ArrayList<>(List.of("--json"));
        a.addAll(List.of(args));
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(a.toArray(new String[0]), new PrintWriter(out), new PrintWriter(err));
        return new Run(code, out.toString(), err.toString());
    }

    static void assertFlow(JsonNode flow, String name) {
        assertNotNull(flow, name);
        for (String k : List.of("meanMillis", "apdus", "bytesSent", "bytesReceived")) assertTrue(flow.has(k), name + " lacks " + k + ": " + flow);
        assertTrue(flow.get("apdus").asInt() > 0, name + ": " + flow);
    }

    @Test
    void benchVault() throws Exception {
        Run r = cli("bench", "vault", "--rounds", "1");
        assertEquals(0, r.exit(), r.err());
        JsonNode j = r.json();
        assertEquals(1, j.get("rounds").asInt());
        for (String f : List.of("provision", "provisionManufacturerKeyByPutData", "wipe", "recover")) assertFlow(j.get(f), f);
    }

    @Test
    void benchPsdSoftwareHsm() throws Exception {
        Run r = cli("bench", "psd", "--rounds", "1");
        assertEquals(0, r.exit(), r.err());
        JsonNode s = r.json().get("software");
        assertEquals(1, s.get("psds").asInt());
        assertFlow(s.get("issue"), "issue");
        assertFlow(s.get("replace"), "replace");
        assertTrue(s.has("krkProofsPerSecond"), s.toString());
        assertFalse(r.json().has("pkcs11"));
    }

    @Test
    void benchPsdSoftHsmWithoutPkcs11SpecIsSkippedWithAReason() throws Exception {
        Run r = cli("--hsm", "pkcs12:" + dir.resolve("unused.p12"), "bench", "psd", "--rounds", "1", "--softhsm");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.json().get("pkcs11").asText().startsWith("skipped: --softhsm needs --hsm pkcs11:"), r.out());
        assertTrue(r.json().has("software"));
    }

    @Test
    void benchFactoryRunsThePivStageWithAThrowAwayMailerKey() throws Exception {
        Run r = cli("bench", "factory", "--k", "1,2", "--devices-per-card", "1", "--min-devices", "2", "--stages", "vault,piv");
        assertEquals(0, r.exit(), r.err());
        JsonNode j = r.json();
        assertEquals("vault,piv", j.get("stages").asText());
        for (JsonNode run : j.get("runs")) {
            assertEquals(0, run.get("errors").asInt(), run.toString());
            assertEquals(2, run.get("succeeded").asInt(), run.toString());
            assertTrue(run.get("perStage").has("piv"), run.toString());
        }
        Run refused = cli("--db", "jdbc:sqlite:" + dir.resolve("s.db"), "bench", "factory", "--stations", "2", "--stages", "vault,piv");
        assertEquals(2, refused.exit(), refused.err());
        assertTrue(refused.err().contains("--stations runs the vault stage"), refused.err());
    }

    @Test
    void benchModule() throws Exception {
        Run r = cli("bench", "module", "--rounds", "1");
        assertEquals(0, r.exit(), r.err());
        JsonNode j = r.json();
        for (String f : List.of("personalizationExtendedLength", "personalizationShortApdus", "centralAuthenticateAndTransact")) assertFlow(j.get(f), f);
    }

    @Test
    void benchOtaAndTheOtaBenchAlias() throws Exception {
        Run r = cli("bench", "ota", "--rounds", "1");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.json().has("codecEncodeDecodeMicros"), r.out());
        assertTrue(r.json().has("otaStatusEnvelopeMicros"), r.out());
        Run alias = cli("ota", "bench", "--iterations", "1");
        assertEquals(0, alias.exit(), alias.err());
        assertEquals(fieldNames(r.json()), fieldNames(alias.json()));
    }

    @Test
    void benchCspSign() throws Exception {
        // a saved card keeps its default PIN, under which a PIV card signs nothing: the throw-away card changes it first
        Run r = cli("--card", "sim", "bench", "csp-sign", "--count", "1");
        assertEquals(0, r.exit(), r.err());
        JsonNode j = r.json();
        for (String k : List.of("algorithm", "signatures", "signaturesPerSecond", "apdusPerSignature", "bytesSentPerSignature", "keygenApdus")) {
            assertTrue(j.has(k), k + ": " + r.out());
        }
        assertEquals(1, j.get("signatures").asInt());
    }

    @Test
    void benchRejectsNonPositiveRoundsAndNeedsASubcommand() {
        assertEquals(2, cli("bench", "vault", "--rounds", "0").exit());
        assertEquals(2, cli("bench", "psd", "--rounds", "-1").exit());
        assertEquals(2, cli("bench").exit());
    }

    private static List<String> fieldNames(JsonNode n) {
        List<String> l = new ArrayList<>();
        n.fieldNames().forEachRemaining(l::add);
        return l;
    }
}
