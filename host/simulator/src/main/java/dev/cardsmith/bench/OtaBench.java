package dev.cardsmith.bench;

import dev.cardsmith.ota.*;
import dev.cardsmith.ota.terminal.Terminal;
import dev.cardsmith.ota.terminal.TerminalKeyStore;
import dev.cardsmith.transport.CardSession;
import dev.cardsmith.simulator.AppletRegistry;
import dev.cardsmith.simulator.SimulatorTransport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Throughput of the OTA codec on the host and of the sim applet's flows in jCardSim (in-memory
 * card, DEV key set). Used by {@code cardsmith ota bench}; numbers go into the report, not tests.
 */
public final class OtaBench {
    private OtaBench() {}

    public static Map<String, Object> run(int iterations) {
        Map<String, Object> out = new LinkedHashMap<>();
        OtaKeys keys = DevKeys.keys();
        Spi spi = Spi.secure(Spi.CounterMode.HIGHER);
        byte[] cmd = RemoteCommands.create().status().bytes();
        long t0 = System.nanoTime();
        for (int i = 0; i < iterations; i++) CommandPacket.decode(keys, CommandPacket.encode(keys, spi, i + 1, cmd));
        out.put("codecEncodeDecodeMicros", micros(t0, iterations));

        Path tmp;
        try {
            tmp = Files.createTempFile("cardsmith-bench-terminal", ".json");
            Files.delete(tmp);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        LocalDate today = LocalDate.of(2026, 11, 24);
        try (CardSession card = new CardSession(new SimulatorTransport(List.of(AppletRegistry.byName("sim"))))) {
            card.select(OtaServer.simAid());
            long counter = 1;
            TerminalKeyStore ks = TerminalKeyStore.open(tmp, "bench".toCharArray());
            byte[] init = Terminal.enrolSymmetric(ks, "490154203237518", 12);
            envelope(card, CommandPacket.encode(keys, spi, counter++, RemoteCommands.create()
                    .initTrust((byte) 1, init, "490154203237518", 12, today.plusDays(3000), 90, today)
                    .license(1, new byte[16], 0xFFFF, today, today.plusDays(3000)).bytes()));
            Terminal term = Terminal.onHandset(card, ks); // the handset powers on: the SIM reads its IMEI
            long t1 = System.nanoTime();
            term.authenticate(false, today);
            term.ack();
            out.put("trustInitMillis", (System.nanoTime() - t1) / 1_000_000.0);

            long t2 = System.nanoTime();
            for (int i = 0; i < iterations; i++) envelope(card, CommandPacket.encode(keys, spi, counter++, cmd));
            out.put("otaStatusEnvelopeMicros", micros(t2, iterations));

            long t3 = System.nanoTime();
            for (int i = 0; i < iterations; i++) {
                term.authenticate(false, today);
                term.contentKey(1);
            }
            out.put("authenticateAndContentKeyMicros", micros(t3, iterations));
        } finally {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // temp file
            }
        }
        out.put("iterations", iterations);
        return out;
    }

    private static void envelope(CardSession card, byte[] packet) {
        for (byte[] t : SmsPp.deliver(OtaServer.DEFAULT_ORIGINATOR, packet, 1, new byte[7])) {
            card.transmitOk("ENVELOPE", OtaServer.envelopeApdu(SmsPp.envelope(t, null)));
        }
    }

    private static double micros(long start, int n) {
        return Math.round((System.nanoTime() - start) / 1000.0 / n * 10) / 10.0;
    }
}
