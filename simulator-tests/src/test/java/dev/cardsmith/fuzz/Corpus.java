package dev.cardsmith.fuzz;

import dev.cardsmith.crypto.Hex;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * The saved fuzzing corpus (src/test/resources/fuzz-corpus, one file per finding or interesting
 * input): the target state, then either the literal APDUs (inputs that do not depend on keys
 * made at test time) or the case seed the state's generator turns into the same structured
 * input again (a PERSO INITIATE carries a certificate of this run's CA), and what to expect:
 * {@code clean} or {@code known:<id>} of {@link Declarations#KNOWN}.
 */
final class Corpus {

    private Corpus() {}

    record Entry(String file, String target, Long caseSeed, List<byte[]> apdus, String expect) {
        String knownId() { return expect.startsWith("known:") ? expect.substring(6) : null; }
    }

    static List<Entry> load() {
        try {
            Path dir = Path.of(Corpus.class.getResource("/fuzz-corpus").toURI());
            try (Stream<Path> files = Files.list(dir)) {
                return files.filter(f -> f.toString().endsWith(".properties")).sorted().map(Corpus::read).toList();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Entry read(Path f) {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(f)) {
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String apdus = p.getProperty("apdus");
        String seed = p.getProperty("case");
        return new Entry(f.getFileName().toString(), p.getProperty("target"), seed == null ? null : Long.parseLong(seed.trim()),
                apdus == null ? null : Arrays.stream(apdus.split(",")).map(String::trim).map(Hex::parse).toList(),
                p.getProperty("expect", "clean").trim());
    }

    /** Replays one entry on a freshly built state; returns what the invariants found. */
    static Map<String, FuzzEngine.Finding> replay(Entry e) {
        FuzzEngine.Target t = AppletStates.byName(e.target());
        Map<String, FuzzEngine.Finding> findings = new LinkedHashMap<>();
        try (StateFixture f = t.open().get()) {
            CaseGenerator.Case c = e.apdus() != null
                    ? new CaseGenerator.Case(0, e.apdus(), "corpus " + e.file())
                    : f.generator().generate(e.caseSeed());
            System.out.println("corpus " + e.file() + ": " + c.recipe());
            FuzzEngine.runCase(t, f, c, findings, new LinkedHashMap<>());
        }
        return findings;
    }
}
