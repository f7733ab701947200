package dev.cardsmith.bench;

import dev.cardsmith.psd.*;
import dev.cardsmith.crypto.Hex;
import dev.cardsmith.hsm.Hsm;
import dev.cardsmith.hsm.HsmFactory;
import dev.cardsmith.store.Database;
import dev.cardsmith.transport.CardSession;
import dev.cardsmith.simulator.SimulatorTransport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Benchmark behind {@code cardsmith bench psd} (no timing assertions anywhere): issue and
 * replace per PSD end to end on jCardSim, and the HSM-only KRK proof rate (RSA-OAEP decrypt +
 * SP800-108 derive + CMAC). The KMS always runs on a throw-away PKCS#12 keystore; the access
 * server runs on a throw-away PKCS#12 keystore, or on a caller-supplied HSM (a SoftHSM2 token
 * opened by the CLI from {@code --hsm pkcs11:...}), which then receives the transferred keys.
 */
public final class PsdBench {
    private static final int WARM_UP = 3;

    private PsdBench() {}

    /** Software HSMs (PKCS#12) for both servers. */
    public static Map<String, Object> software(int n) {
        Path dir = tempDir();
        try (Hsm access = HsmFactory.open("pkcs12:" + dir.resolve("access.p12"), "access-pw".toCharArray())) {
            return run("software HSM (PKCS#12)", dir, access, n);
        } finally {
            deleteTree(dir);
        }
    }

    /** The access server on {@code accessHsm} (not closed here), the KMS on a temp PKCS#12 keystore. */
    public static Map<String, Object> withAccessHsm(String name, Hsm accessHsm, int n) {
        Path dir = tempDir();
        try {
            return run(name, dir, accessHsm, n);
        } finally {
            deleteTree(dir);
        }
    }

    private static Map<String, Object> run(String name, Path dir, Hsm accessHsm, int n) {
        if (n < 1) throw new IllegalArgumentException("rounds must be positive");
        try (Hsm kmsHsm = HsmFactory.open("pkcs12:" + dir.resolve("kms.p12"), "kms-pw".toCharArray())) {
            KeyManagementServer kms = new KeyManagementServer(kmsHsm);
            AccessServer access = new AccessServer(accessHsm, new PsdStore(Database.open("jdbc:sqlite:" + dir.resolve("psd.db"))));
            kms.init();
            // a reused token keeps the MK blocks of earlier runs: let the throw-away KMS catch up so replace finds a newer block
            int held = 0;
            while (accessHsm.contains(PsdKeys.mkBlock(held + 1))) held++;
            while (kms.latestMkVersion() < held) kms.rotateMasterKeyBlock();
            access.importKeys(kms.export(access.keyTransferImportKey(), true));
            if (access.latestTransportKeyVersion() == 0) access.importTransportKey(Hex.parse(PsdKeys.DEV_TRANSPORT_KEY_HEX));

            measure(kms, access, WARM_UP);
            Measured m = measure(kms, access, n);
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("hsm", name);
            out.put("psds", n);
            out.put("issue", flow(m.issueMillis, m.issue));
            out.put("replace", flow(m.replaceMillis, m.replace));
            try (CardSession card = newCard()) {
                access.issue(card);
                PsdStatus st = access.select(card);
                long h0 = System.nanoTime();
                for (int i = 0; i < n; i++) access.unlockProof(st, new byte[16]);
                long h1 = System.nanoTime();
                out.put("krkProofsPerSecond", Math.round(n / ((h1 - h0) / 1e9)));
            }
            return out;
        }
    }

    private record Measured(double issueMillis, CardSession.Stats issue, double replaceMillis, CardSession.Stats replace) {}

    /** Issues n PSDs, rotates the MK block once, replaces the MK of all n; ms per PSD for each. */
    private static Measured measure(KeyManagementServer kms, AccessServer access, int n) {
        CardSession[] cards = new CardSession[n];
        CardSession.Stats issue = null, replace = null;
        try {
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                // one simulator at a time is active (jCardSim has one global runtime): keep the transports, re-select later
                cards[i] = newCard();
                issue = access.issue(cards[i]).apdus();
            }
            long t1 = System.nanoTime();
            kms.rotateMasterKeyBlock();
            access.importKeys(kms.export(access.keyTransferImportKey(), true));
            long t2 = System.nanoTime();
            for (int i = 0; i < n; i++) replace = access.replaceMasterKey(cards[i]).apdus();
            long t3 = System.nanoTime();
            return new Measured((t1 - t0) / 1e6 / n, issue, (t3 - t2) / 1e6 / n, replace);
        } finally {
            for (CardSession c : cards) if (c != null) c.close();
        }
    }

    private static CardSession newCard() {
        return new CardSession(new SimulatorTransport());
    }

    private static Map<String, Object> flow(double millis, CardSession.Stats s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("meanMillis", Math.round(millis * 100) / 100.0);
        m.put("perSecond", Math.round(1000 / millis));
        m.put("apdus", s.apdus());
        m.put("bytesSent", s.bytesSent());
        m.put("bytesReceived", s.bytesReceived());
        return m;
    }

    private static Path tempDir() {
        try {
            return Files.createTempDirectory("psd-bench");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteTree(Path dir) {
        try (var s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort: a temp directory
        }
    }
}
