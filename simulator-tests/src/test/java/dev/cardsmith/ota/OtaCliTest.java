package dev.cardsmith.ota;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cardsmith.cli.Main;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** {@code cardsmith ota ...} and {@code cardsmith terminal ...} in-process against a persistent simulated SIM. */
class OtaCliTest {

    @TempDir
    Path dir;
    String[] global;
    String out;
    String err;

    @BeforeEach
    void setUp() {
        global = new String[] {"--dev", "--card", "sim:" + dir.resolve("card.sim"), "--db", "jdbc:sqlite:" + dir.resolve("ota.db"),
                "--keystore", "pkcs12:" + dir.resolve("hsm.p12"), "--json"};
    }

    int run(String... args) {
        List<String> all = new ArrayList<>(List.of(global));
        all.addAll(List.of(args));
        StringWriter o = new StringWriter();
        StringWriter e = new StringWriter();
        int rc = Main.run(all.toArray(new String[0]), new PrintWriter(o), new PrintWriter(e));
        out = o.toString();
        err = e.toString();
        return rc;
    }

    JsonNode json() throws Exception { return new ObjectMapper().readTree(out); }

    @Test
    void cli_initAuthenticateNotifyLicenseContentKeyStatusRevoke() throws Exception {
        String ts = dir.resolve("terminal.json").toString();
        String sim = "89490000000000000025";
        assertEquals(0, run("ota", "add-sim", "--sim-id", sim, "--dev-keys"), err);
        assertEquals(0, run("terminal", "enrol", "--terminal-store", ts, "--imei", OtaFixture.IMEI, "--max-output", "12"), err);
        assertFalse(out.matches("(?s).*[0-9A-F]{32}.*"), "no key printed: " + out);

        assertEquals(0, run("ota", "init-trust", "--sim-id", sim, "--imei", OtaFixture.IMEI, "--max-output", "12",
                "--expiry", "2027-06-30", "--terminal-store", ts, "--today", "2026-11-24"), err);
        assertEquals("00 PoR OK", json().get("por").asText());
        assertEquals("9000", json().get("sw").asText());

        assertEquals(0, run("terminal", "authenticate", "--terminal-store", ts, "--today", "2026-11-24"), err);
        assertTrue(json().get("keyDelivered").asBoolean());
        String note = json().get("notification").asText();
        assertTrue(json().get("notificationSmsSubmit").asText().startsWith("41"));
        assertEquals(0, run("ota", "notify", "--sim-id", sim, "--data", note), err);
        assertEquals("TRUST_ACK", json().get("event").asText());
        assertEquals(7, run("ota", "notify", "--sim-id", sim, "--data", note), "replayed notification");

        Path clear = dir.resolve("song.txt");
        Files.writeString(clear, "la la la, protected content");
        Path prot = dir.resolve("song.enc");
        assertEquals(0, run("ota", "license", "--sim-id", sim, "--content-id", "7", "--plays", "1", "--until", "2027-01-01",
                "--today", "2026-11-24", "--content-in", clear.toString(), "--content-out", prot.toString()), err);
        String kcv = json().get("contentKeyKcv").asText();
        Path back = dir.resolve("song.out");
        assertEquals(0, run("terminal", "content-key", "--terminal-store", ts, "--content-id", "7", "--today", "2026-11-25",
                "--in", prot.toString(), "--out", back.toString()), err);
        assertEquals(kcv, json().get("contentKeyKcv").asText());
        assertEquals(Files.readString(clear), Files.readString(back));
        assertEquals(3, run("terminal", "content-key", "--terminal-store", ts, "--content-id", "7", "--today", "2026-11-25"), "play count used up");
        assertTrue(err.contains("6984"), err); // rights exhausted: reference data not usable (was 6A81)

        assertEquals(0, run("ota", "status", "--sim-id", sim, "--today", "2026-11-25"), err);
        assertEquals("TRUSTED", json().get("status").get("state").asText());

        assertEquals(0, run("ota", "revoke", "--sim-id", sim, "--sms"), err);
        assertTrue(json().get("tpdu").get(0).asText().startsWith("40"), out);
        assertEquals(0, run("ota", "revoke", "--sim-id", sim, "--apdu"), err);
        assertTrue(json().get("apdu").get(0).asText().startsWith("80C20000"), out);
        assertEquals(0, run("ota", "revoke", "--sim-id", sim), err);
        assertEquals(1, run("terminal", "authenticate", "--terminal-store", ts, "--today", "2026-11-25"));
        assertTrue(err.contains("revoked"), err);
        assertEquals(0, run("terminal", "poll", "--terminal-store", ts), err);
        assertEquals("REVOKED", json().get("simState").asText());
        assertEquals(2, run("ota", "init-trust", "--sim-id", sim), "usage error");

        // re-initialization with the asymmetric variant, lost acknowledgement, late ack, update by both sides
        assertEquals(2, run("terminal", "enrol", "--terminal-store", ts, "--imei", OtaFixture.IMEI, "--max-output", "12", "--ec",
                "--operator-ca", "0401"), "an operator CA that is no P-256 point");
        assertEquals(0, run("terminal", "enrol", "--terminal-store", ts, "--imei", OtaFixture.IMEI, "--max-output", "12", "--ec"), err);
        assertEquals(130, json().get("ecPublic").asText().length());
        assertEquals(0, run("ota", "init-trust", "--sim-id", sim, "--imei", OtaFixture.IMEI, "--max-output", "12",
                "--expiry", "2027-06-30", "--terminal-store", ts, "--today", "2026-11-26"), err);
        assertEquals(0, run("terminal", "authenticate", "--terminal-store", ts, "--today", "2026-11-26", "--no-ack"), err);
        assertNull(json().get("notification"));
        assertEquals(0, run("terminal", "ack", "--terminal-store", ts), err);
        assertEquals(0, run("ota", "notify", "--sim-id", sim, "--data", json().get("notification").asText()), err);
        assertEquals(0, run("ota", "update", "--sim-id", sim, "--today", "2026-11-26"), err);
        assertEquals(0, run("terminal", "poll", "--terminal-store", ts), err);
        assertTrue(json().get("updatePending").asBoolean());
        assertEquals(0, run("terminal", "authenticate", "--terminal-store", ts, "--today", "2026-11-26", "--update"), err);
        assertEquals(2, json().get("generation").asInt());
        assertEquals(0, run("terminal", "authenticate", "--terminal-store", ts, "--today", "2026-11-26", "--update"), err);
        assertEquals(3, json().get("generation").asInt());
        assertEquals(0, run("terminal", "revoke", "--terminal-store", ts, "--today", "2026-11-26"), err);
        assertEquals(0, run("ota", "notify", "--sim-id", sim, "--data", json().get("notification").asText()), err);
        assertEquals("REVOKED_BY_TERMINAL", json().get("event").asText());
        assertEquals(5, run("ota", "status", "--sim-id", "8949000000000000099"), "store error for an unknown SIM");
    }

    /** The handset path of {@code cardsmith ota}: ENVELOPE count, PoR by SMS-SUBMIT, a second key set, a three-key 3DES set. */
    @Test
    void cli_handsetPath_porBySubmit_keySets() throws Exception {
        String sim = "89490000000000000041";
        assertEquals(0, run("ota", "add-sim", "--sim-id", sim, "--dev-keys"), err);
        assertEquals(0, run("ota", "status", "--sim-id", sim, "--today", "2026-11-24"), err);
        assertEquals(1, json().get("envelopes").asInt());
        assertEquals("00 PoR OK", json().get("por").asText());
        assertEquals(0, run("ota", "status", "--sim-id", sim, "--today", "2026-11-24", "--por-by-submit"), err);
        assertEquals("00 PoR OK", json().get("por").asText());
        assertEquals(1, json().get("smsSubmit").asInt(), out);
        assertEquals("13", json().get("proactive").get(0).asText(), "SEND SHORT MESSAGE");

        assertEquals(0, run("ota", "add-keyset", "--sim-id", sim, "--index", "2", "--algorithm", "TDES3",
                "--kic", "400102030405060708090A0B0C0D0E0F1011121314151617", "--kid", "410102030405060708090A0B0C0D0E0F1011121314151617"), err);
        assertFalse(out.contains("4001020304"), "no key printed: " + out);
        assertEquals(0, run("ota", "status", "--sim-id", sim, "--key-set", "2", "--sms"), err);
        String tpdu = json().get("tpdu").get(0).asText();
        assertTrue(tpdu.contains("1619" + "2929" + "C5D704"), "SPI 16 19, KIc/KID 29 (key set 2, 3DES three keys), TAR: " + tpdu);
        assertEquals(2, run("ota", "add-keyset", "--sim-id", sim, "--index", "3", "--algorithm", "TDES3", "--kic", "00", "--kid", "00"), "bad key length");
        assertEquals(2, run("ota", "status", "--sim-id", sim, "--key-set", "16", "--sms"), "index out of range");
        assertEquals(5, run("ota", "status", "--sim-id", sim, "--key-set", "4", "--sms"), "no such key set");
        // the applet holds one AES key set: a packet under key set 2 is refused with status 06, and the CLI says so
        assertNotEquals(0, run("ota", "status", "--sim-id", sim, "--key-set", "2"));
        assertTrue(err.contains("06") || out.contains("06"), out + err);
    }
}
