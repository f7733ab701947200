package dev.cardsmith.piv;

import dev.cardsmith.csp.CardsmithProvider;
import dev.cardsmith.csp.PivApdus;
import dev.cardsmith.csp.PivCard;
import dev.cardsmith.csp.PivSlot;
import dev.cardsmith.csp.KeyAlgorithm;
import dev.cardsmith.simulator.VirtualPcscReader;
import dev.cardsmith.crypto.Hex;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Attack: another program on the PC (malware with no PIN) shares the reader with the user's
 * signing tool. With a shared connection, once the tool has verified the PIN the other program
 * sends its own SIGN between the tool's commands and the card signs for it. The host must hold
 * a PC/SC transaction for its logged-in session, so no other client's command reaches the card,
 * and release the PIN status before it lets go, so the next client finds the card unverified.
 */
@Tag(PcSoftware.TAG)
class PcscSharingAttackTest {

    static final char[] PIN = "314159".toCharArray();

    AutoCloseable reader;
    CardsmithProvider provider;

    @BeforeEach
    void start() {
        reader = PcSoftware.start();
        provider = new CardsmithProvider("reader:" + PcSoftware.READER);
    }

    @AfterEach
    void stop() throws Exception {
        if (provider != null) provider.close();
        if (reader != null) reader.close();
    }

    /** The other process, started: it has printed "started" and now sends {@code apdu}; its answer line comes from {@link #answer}. */
    private static Process attacker(byte[] apdu) throws Exception {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), RawPcscClient.class.getName(), PcSoftware.READER, Hex.of(apdu))
                .redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        assertEquals("started", out.readLine());
        lines = CompletableFuture.supplyAsync(() -> {
            try {
                String last = null;
                for (String l; (l = out.readLine()) != null; ) last = l.strip();
                return last;
            } catch (IOException e) {
                return e.toString();
            }
        });
        return p;
    }

    private static CompletableFuture<String> lines;

    /** The status word the other process got, "refused", or null when it has not got an answer within {@code seconds}. */
    private static String answer(long seconds) throws Exception {
        try {
            return lines.get(seconds, TimeUnit.SECONDS);
        } catch (TimeoutException stillWaiting) {
            return null;
        }
    }

    @Test
    void anotherProcessCannotSlipASignatureIntoTheSession() throws Exception {
        PivCard card = provider.card();
        card.changePin("123456".toCharArray(), PIN);
        provider.login(PIN);
        provider.authenticateManagement(CardsmithProvider.factoryManagementKey());
        int slot = PivSlot.AUTHENTICATION.index();
        card.generate(slot, KeyAlgorithm.EC_P256, null);
        byte[] sign = PivApdus.authenticate(PivSlot.AUTHENTICATION, KeyAlgorithm.EC_P256, 0x81, new byte[32]).getBytes();

        Process other = attacker(sign);
        try {
            // pcsc-lite holds the other client's connect until our transaction ends
            String during = answer(5);
            assertNotEquals("9000", during, "the card signed for another PC/SC client while the user's session was open");
            assertNull(during, "the other client's command must wait outside the user's session, it got " + during);

            assertNotNull(card.signEcdsa(slot, new byte[32]), "the session itself still signs");

            provider.close();
            provider = null;
            assertEquals("6982", answer(60), "once the session ends, the PIN status is released before anybody else gets the card");
        } finally {
            other.destroyForcibly();
        }
    }
}
