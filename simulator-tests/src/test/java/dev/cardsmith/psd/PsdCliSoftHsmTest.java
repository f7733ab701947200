package dev.cardsmith.psd;

import dev.cardsmith.cli.Main;
import dev.cardsmith.hsm.SoftHsm2;
import dev.cardsmith.hsm.SoftHsmFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The CLI with both HSMs on SoftHSM2 tokens: HsmFactory's pkcs11: specs end to end. */
class PsdCliSoftHsmTest {
    @TempDir Path dir;

    int cli(StringBuilder log, String... args) {
        List<String> all = new ArrayList<>(List.of("--dev", "--card", "sim:" + dir.resolve("card.sim"), "--db", "jdbc:sqlite:" + dir.resolve("a.db"),
                "--hsm", SoftHsm2.spec(SoftHsmFixture.TOKEN), "--hsm-pin", SoftHsmFixture.PIN));
        all.addAll(List.of(args));
        if (args[0].equals("kms")) all.addAll(List.of("--kms-hsm", SoftHsm2.spec(SoftHsmFixture.TOKEN_KMS), "--kms-pin", SoftHsmFixture.PIN));
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(all.toArray(String[]::new), new PrintWriter(out, true), new PrintWriter(err, true));
        log.append(String.join(" ", args)).append(" -> ").append(code).append('\n').append(out).append(err);
        return code;
    }

    @Test
    void issueAndReplaceWithPkcs11Hsms() {
        SoftHsmFixture.require();
        StringBuilder log = new StringBuilder();
        assertEquals(0, cli(log, "kms", "init"), log::toString);
        int tk = cli(log, "kms", "import-transport-key");
        assertTrue(tk == 0 || log.toString().contains("already exists"), log::toString); // the token may hold it from an earlier test
        assertEquals(0, cli(log, "kms", "transfer", "--with-private-key"), log::toString);
        assertEquals(0, cli(log, "psd", "issue"), log::toString);
        assertEquals(0, cli(log, "kms", "rotate-mk"), log::toString);
        assertEquals(0, cli(log, "kms", "transfer", "--with-private-key"), log::toString);
        assertEquals(0, cli(log, "psd", "replace-master-key"), log::toString);
        assertEquals(0, cli(log, "psd", "reconcile"), log::toString);
        assertTrue(log.toString().contains("result: consistent"), log::toString);
        assertTrue(log.toString().contains("pkcs11:library="), log::toString);

        // --json stdout is pure JSON even with a PKCS#11 library loaded (the wrapper's own logging goes to SLF4J)
        StringWriter out = new StringWriter();
        java.io.PrintStream oldOut = System.out;
        java.io.ByteArrayOutputStream stray = new java.io.ByteArrayOutputStream();
        System.setOut(new java.io.PrintStream(stray, true));
        int code;
        try {
            code = Main.run(new String[] {"--dev", "--card", "sim:" + dir.resolve("card.sim"), "--db", "jdbc:sqlite:" + dir.resolve("a.db"),
                "--hsm", SoftHsm2.spec(SoftHsmFixture.TOKEN), "--hsm-pin", SoftHsmFixture.PIN, "psd", "status", "--json"},
                new PrintWriter(out, true), new PrintWriter(new StringWriter(), true));
        } finally {
            System.setOut(oldOut);
        }
        assertEquals(0, code);
        assertEquals("", stray.toString(), "nothing else on stdout");
        assertDoesNotThrow(() -> new com.fasterxml.jackson.databind.ObjectMapper().readTree(out.toString()), out::toString);
        assertTrue(out.toString().trim().startsWith("{"), out::toString);
    }
}
