package dev.cardsmith.psd;

import dev.cardsmith.cli.Main;
import dev.cardsmith.crypto.Hex;
import dev.cardsmith.crypto.Sp800108;
import dev.cardsmith.store.Database;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.crypto.Cipher;
import java.io.ByteArrayOutputStream;
import java.io.FileInputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The two-command quick start and the whole life cycle through the CLI on a persistent
 * simulated card; then the secrets check: no MK, KRK, random number or data block in clear in
 * the command output, the verbose log, the database or the card's APDU journal.
 */
class PsdCliTest {
    @TempDir Path dir;

    record Run(int code, String out, String err) {}

    Run cli(String... args) {
        List<String> all = new ArrayList<>(List.of("--dev", "--card", "sim:" + dir.resolve("card.sim"), "--db", "jdbc:sqlite:" + dir.resolve("a.db"),
                "--hsm", "pkcs12:" + dir.resolve("access.p12"), "--hsm-pin", "access-pw"));
        all.addAll(List.of(args));
        all.add("-v"); // slf4j-simple takes its level once per JVM: verbose everywhere, so the log check sees INFO
        if (all.contains("kms") || args[0].equals("kms")) all.addAll(List.of("--kms-hsm", "pkcs12:" + dir.resolve("kms.p12"), "--kms-pin", "kms-pw"));
        StringWriter out = new StringWriter(), err = new StringWriter();
        PrintStream oldErr = System.err;
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        System.setErr(new PrintStream(log, true));
        try {
            int code = Main.run(all.toArray(String[]::new), new PrintWriter(out, true), new PrintWriter(err, true));
            return new Run(code, out.toString(), err + log.toString());
        } finally {
            System.setErr(oldErr);
        }
    }

    /** Issue 12: `kms export-transfer` on the KMS machine, `psd import-transfer` on the access server; a replay exits non-zero. */
    @Test
    void keyTransferFileBetweenTwoMachines() {
        String kmsPem = dir.resolve("kms.pem").toString(), imp = dir.resolve("import.pem").toString(), file = dir.resolve("transfer.txt").toString();
        for (String[] cmd : new String[][] {
                {"kms", "init"}, {"kms", "signing-key", "--out", kmsPem}, {"psd", "import-key", "--out", imp}, {"psd", "trust-kms", "--kms-key", kmsPem},
                {"kms", "export-transfer", "--import-key", imp, "--out", file, "--with-private-key", "--sequence", "7"},
                {"psd", "import-transfer", file}, {"kms", "import-transport-key"}, {"psd", "issue"}}) {
            Run r = cli(cmd);
            assertEquals(0, r.code(), String.join(" ", cmd) + "\n" + r.out() + r.err());
        }
        Run replay = cli("psd", "import-transfer", file);
        assertNotEquals(0, replay.code());
        assertTrue(replay.err().contains("replayed"), replay.err());
    }

    @Test
    void lifecycleThroughTheCliAndNoSecretAnywhere() throws Exception {
        StringBuilder everything = new StringBuilder();
        for (String[] cmd : new String[][] {
                {"kms", "init"}, {"kms", "import-transport-key"}, {"kms", "transfer", "--with-private-key"},
                {"psd", "issue", "--json"}, {"psd", "status", "--json"},
                {"kms", "rotate-mk"}, {"kms", "transfer", "--with-private-key"},
                {"psd", "replace-master-key", "--json"}, {"psd", "reconcile"}, {"psd", "status"}}) {
            Run r = cli(cmd);
            assertEquals(0, r.code(), String.join(" ", cmd) + "\n" + r.out() + r.err());
            everything.append(r.out()).append(r.err());
        }
        String text = everything.toString();
        assertTrue(text.contains("\"result\" : \"issued\""), text);
        assertTrue(text.contains("replaced v1 -> v2"), text);
        assertTrue(text.contains("\"apdus\" : 5"), "replace = 5 APDUs incl. SELECT\n" + text);
        assertTrue(text.contains("result: consistent"), text);
        assertTrue(text.contains(">> 84 D4 00 00"), "verbose APDU trace is on");

        // errors: second issue -> exit 1 with one clear line; replace without a new block -> exit 1
        Run again = cli("psd", "issue");
        assertEquals(1, again.code());
        assertTrue(again.err().contains("already issued"), again.err());
        assertEquals(1, cli("psd", "replace-master-key").code());

        // --- the secrets, recomputed from the KMS keystore (possible only because it is a software HSM)
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (FileInputStream in = new FileInputStream(dir.resolve("kms.p12").toFile())) {
            ks.load(in, "kms-pw".toCharArray());
        }
        byte[] mk1Block = ks.getKey(PsdKeys.kmsMkBlock(1), "kms-pw".toCharArray()).getEncoded();
        byte[] mk2Block = ks.getKey(PsdKeys.kmsMkBlock(2), "kms-pw".toCharArray()).getEncoded();
        byte[] krkBlock = ks.getKey(PsdKeys.kmsKrkBlock(1), "kms-pw".toCharArray()).getEncoded();
        PrivateKey priv = (PrivateKey) ks.getKey(PsdKeys.KMS_RSA, "kms-pw".toCharArray());
        Database db = Database.open("jdbc:sqlite:" + dir.resolve("a.db"));
        PsdStore.Row row = new PsdStore(db).all().get(0);
        byte[] id = Hex.parse(row.psdId());
        Cipher oaep = Cipher.getInstance("RSA/ECB/OAEPPadding");
        oaep.init(Cipher.DECRYPT_MODE, priv, new javax.crypto.spec.OAEPParameterSpec("SHA-1", "MGF1",
                java.security.spec.MGF1ParameterSpec.SHA1, javax.crypto.spec.PSource.PSpecified.DEFAULT));
        byte[] random = oaep.doFinal(Hex.parse(row.cryptogramHex()));
        List<byte[]> secrets = new java.util.ArrayList<>(List.of(mk1Block, mk2Block, krkBlock, random,
                Sp800108.deriveKey(krkBlock, PsdKeys.KRK_LABEL, random, 16)));
        for (byte[] label : PsdKeys.STATIC_KEY_LABELS) {
            secrets.add(Sp800108.deriveKey(mk1Block, label, id, 16));
            secrets.add(Sp800108.deriveKey(mk2Block, label, id, 16));
        }

        StringBuilder dbDump = new StringBuilder();
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            for (String t : List.of("psd_device", "psd_key_block", "psd_event", "operation_journal")) {
                try (ResultSet rs = s.executeQuery("SELECT * FROM " + t)) {
                    while (rs.next()) for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) dbDump.append(rs.getString(i)).append('|');
                }
            }
        }
        byte[] journal = Files.readAllBytes(dir.resolve("card.sim"));
        String journalHex = HexFormat.of().formatHex(journal).toUpperCase();
        for (byte[] secret : secrets) {
            String hex = Hex.of(secret);
            assertFalse(text.toUpperCase().contains(hex), "secret in CLI output/log");
            assertFalse(dbDump.toString().toUpperCase().contains(hex), "secret in the database");
            assertFalse(journalHex.contains(hex), "secret in clear on the card interface");
        }
        assertTrue(journalHex.length() > 0 && dbDump.length() > 0);
    }
}
