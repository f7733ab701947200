package dev.cardsmith.ota;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cardsmith.cli.Main;
import dev.cardsmith.simulator.AppletRegistry;
import dev.cardsmith.simulator.VirtualPcscReader;
import dev.cardsmith.support.CardTest;
import dev.cardsmith.support.CardUnderTest;
import dev.cardsmith.transport.CardTransport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code cardsmith ota} through a PC/SC reader: the handset model's ENVELOPE, FETCH and TERMINAL
 * RESPONSE travel over pcscd + vpcd to the card (a simulated UICC served as a reader, or the run's
 * reader). Skips without pcscd/vpcd unless CARDSMITH_REQUIRE_PCSC=1. Machine-wide pcscd: run under
 * {@code flock /tmp/cardsmith-full.lock}.
 */
@CardTest
class OtaPcscTest {

    static VirtualPcscReader reader;
    static String readerName;

    @BeforeAll
    static void start() {
        CardTransport card = CardUnderTest.fresh(List.of(AppletRegistry.byName("sim").withInstallParams(DevKeys.keys().installParams(DevKeys.MSL))));
        if (CardUnderTest.simulator()) {
            // the test JVM's one pcscd (javax.smartcardio keeps its first PC/SC context): a pcscd of our own,
            // stopped after this class, would leave every later PC/SC test in the JVM without readers
            reader = dev.cardsmith.pcsc.PcscFixture.start(card);
            readerName = VirtualPcscReader.READER;
        } else {
            card.close();
            readerName = CardUnderTest.reader().orElseThrow();
        }
    }

    @AfterAll
    static void stop() throws Exception {
        if (reader != null) reader.close();
    }

    String out;

    int run(Path dir, String... args) {
        List<String> all = new ArrayList<>(List.of("--dev", "--card", "pcsc:" + readerName, "--db", "jdbc:sqlite:" + dir.resolve("ota.db"),
                "--keystore", "pkcs12:" + dir.resolve("hsm.p12"), "--json"));
        all.addAll(List.of(args));
        StringWriter o = new StringWriter();
        StringWriter e = new StringWriter();
        int rc = Main.run(all.toArray(new String[0]), new PrintWriter(o, true), new PrintWriter(e, true));
        out = o.toString();
        assertEquals(0, rc, String.join(" ", args) + "\n" + out + e);
        return rc;
    }

    @Test
    void otaThroughTheHandsetOverPcsc_initTrustAndStatus(@TempDir Path dir) throws Exception {
        String sim = "89490000000000000033";
        run(dir, "ota", "add-sim", "--sim-id", sim, "--dev-keys");
        run(dir, "ota", "init-trust", "--sim-id", sim, "--imei", OtaFixture.IMEI, "--max-output", "12", "--expiry", "2027-06-30",
                "--init-key", "000102030405060708090A0B0C0D0E0F", "--today", "2026-11-24");
        JsonNode j = new ObjectMapper().readTree(out);
        assertEquals("00 PoR OK", j.get("por").asText());
        assertEquals(1, j.get("envelopes").asInt());
        run(dir, "ota", "status", "--sim-id", sim, "--today", "2026-11-24");
        assertEquals("INITIALIZED", new ObjectMapper().readTree(out).get("status").get("state").asText());
    }
}
