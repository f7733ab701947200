package dev.cardsmith.store;

import java.io.IOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The versions of the Flyway migrations on the class path ({@code db/migration/V<version>__*.sql}),
 * without Flyway: from the index the build writes ({@code index.lst}), else by listing the
 * directory (a jar's entries or a file-system directory).
 */
final class MigrationIndex {
    private MigrationIndex() {}

    private static final Pattern FILE = Pattern.compile("V([0-9][0-9._]*)__[^/]*\\.sql");

    private static final java.util.Map<String, Set<String>> cached = new java.util.HashMap<>();

    /** The versions of {@code db/migration} (Database.Schema.ALL). */
    static Set<String> versions() {
        return versions("db/migration");
    }

    /** Flyway's normalised versions ("1", "2.1") in class-path directory {@code dir}; empty when the listing fails. */
    static synchronized Set<String> versions(String dir) {
        return cached.computeIfAbsent(dir, MigrationIndex::list);
    }

    private static Set<String> list(String dir) {
        Set<String> out = new HashSet<>();
        // the build writes the directory's listing next to it (host/core pom.xml, migration-index)
        try (java.io.InputStream in = MigrationIndex.class.getClassLoader().getResourceAsStream(dir + "/index.lst")) {
            if (in != null) {
                for (String line : new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).split("\\R")) {
                    if (!line.isBlank()) add(out, line.trim());
                }
                if (!out.isEmpty()) return out;
            }
        } catch (IOException e) {
            out.clear(); // fall back to listing the directory
        }
        try {
            Enumeration<URL> dirs = MigrationIndex.class.getClassLoader().getResources(dir);
            while (dirs.hasMoreElements()) {
                URL u = dirs.nextElement();
                if (u.getProtocol().equals("jar")) {
                    JarURLConnection jc = (JarURLConnection) u.openConnection();
                    jc.setUseCaches(false);
                    try (JarFile jar = jc.getJarFile()) {
                        for (Enumeration<JarEntry> e = jar.entries(); e.hasMoreElements(); ) {
                            String name = e.nextElement().getName();
                            if (name.startsWith(dir + "/") && name.indexOf('/', dir.length() + 1) < 0) add(out, name.substring(dir.length() + 1));
                        }
                    }
                } else if (u.getProtocol().equals("file")) {
                    try (Stream<Path> files = Files.list(Path.of(u.toURI()))) {
                        files.forEach(f -> add(out, f.getFileName().toString()));
                    }
                } else {
                    return Set.of();
                }
            }
        } catch (IOException | URISyntaxException | RuntimeException e) {
            return Set.of();
        }
        return out;
    }

    private static void add(Set<String> out, String fileName) {
        Matcher m = FILE.matcher(fileName);
        if (m.matches()) out.add(m.group(1).replace('_', '.').replaceAll("^0+(?=\\d)", ""));
    }
}
