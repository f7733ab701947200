package dev.cardsmith.pcsc;

import dev.cardsmith.cli.Main;
import dev.cardsmith.csp.CardKeyGenParameterSpec;
import dev.cardsmith.csp.CardsmithProvider;
import dev.cardsmith.simulator.VirtualPcscReader;
import dev.cardsmith.support.CardTest;
import dev.cardsmith.support.CardUnderTest;
import dev.cardsmith.transport.CardTransport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.Signature;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The same host code on a card in a real PC/SC reader (pcscd + vpcd, the simulated card with
 * every applet behind it): the vault's factory flow through the CLI with --reader, and the JCA
 * provider configured with "reader:NAME". On jCardSim the test serves its own fresh card through
 * pcscd + vpcd; when the run's target already is a reader, it uses that reader's fresh card.
 */
@CardTest
class PcscEndToEndTest {

    static VirtualPcscReader reader;
    static String readerName;

    @BeforeAll
    static void start() throws Exception {
        CardTransport card = CardUnderTest.fresh();
        if (CardUnderTest.simulator()) {
            reader = PcscFixture.start(card);
            readerName = VirtualPcscReader.READER;
        } else {
            card.close(); // the fresh card stays in the run's reader for the CLI and the provider
            readerName = CardUnderTest.reader().orElseThrow();
        }
    }

    @AfterAll
    static void stop() throws Exception {
        if (reader != null) reader.close();
    }

    static String[] cli(Path dir, String... args) {
        List<String> all = new ArrayList<>(List.of(
                "--dev", "--card", "pcsc:" + readerName,
                "--db", "jdbc:sqlite:" + dir.resolve("public.db"),
                "--keystore", "pkcs12:" + dir.resolve("ks.p12"), "--keystore-password", "test"));
        all.addAll(List.of(args));
        return all.toArray(new String[0]);
    }

    static int run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        assertEquals(0, code, String.join(" ", args) + "\n" + out + err);
        return code;
    }

    @Test
    void vaultFactoryFlowThroughAPcscReader(@TempDir Path dir) {
        String secure = "jdbc:sqlite:" + dir.resolve("secure.db");
        run(cli(dir, "device", "provision", "--imei", "490154203237518", "--secure-db", secure));
        run(cli(dir, "device", "wipe"));
        run(cli(dir, "device", "recover"));
        run(cli(dir, "device", "verify"));
    }

    @Test
    void jcaProviderSignsThroughAPcscReader() throws Exception {
        CardsmithProvider provider = new CardsmithProvider("reader:" + readerName);
        try {
            provider.card().changePin("123456".toCharArray(), "314159".toCharArray()); // PIV: no key use under the default PIN
            KeyStore ks = KeyStore.getInstance(CardsmithProvider.KEYSTORE_TYPE, provider);
            ks.load(null, "314159".toCharArray());
            provider.authenticateManagement(CardsmithProvider.factoryManagementKey());
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC", provider);
            g.initialize(new CardKeyGenParameterSpec(-1, null));
            KeyPair kp = g.generateKeyPair();
            Signature s = Signature.getInstance("SHA256withECDSA", provider);
            s.initSign(kp.getPrivate());
            s.update("signed through pcscd".getBytes());
            byte[] sig = s.sign();
            Signature v = Signature.getInstance("SHA256withECDSA", "SunEC");
            v.initVerify(kp.getPublic());
            v.update("signed through pcscd".getBytes());
            assertTrue(v.verify(sig));
        } finally {
            provider.close();
        }
    }
}
