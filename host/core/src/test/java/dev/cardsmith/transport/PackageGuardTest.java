package dev.cardsmith.transport;

import org.junit.jupiter.api.Test;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The layering of the core library, checked on its class files (every symbolic reference a
 * class makes - imports, signatures, instructions, annotations - stands in its constant pool):
 * <ul>
 * <li>a system package (vault, psd, module, csp, ota) never references another system's package,
 * nor another system's applet package (its own applet's constants are its protocol);</li>
 * <li>the shared packages (transport, crypto, codec, hsm, store) reference no system package;</li>
 * <li>nothing in the core library references jCardSim ({@code com.licel}) or the Java Card API.</li>
 * </ul>
 * No ArchUnit: the constant pool is read directly ({@link #references}).
 */
class PackageGuardTest {

    static final Set<String> SYSTEMS = Set.of("vault", "psd", "module", "csp", "ota");
    /** The applet package each host system speaks to. */
    static final Map<String, String> APPLET_OF = Map.of("vault", "vault", "psd", "psd", "module", "module", "csp", "piv", "ota", "sim");
    static final Set<String> SHARED = Set.of("transport", "crypto", "codec", "hsm", "store");
    private static final Pattern CARDSMITH = Pattern.compile("dev/cardsmith/(applet/)?(\\w+)/");
    private static final Pattern FORBIDDEN_PLATFORM = Pattern.compile("(?:^|[L(\\[;])(com/licel/|javacard/|javacardx/)");

    static Path classesOf(Class<?> c) throws URISyntaxException {
        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    @Test
    void systemPackagesStayApartAndTheCoreHasNoCardPlatform() throws Exception {
        Path root = classesOf(CardSession.class);
        List<String> violations = new ArrayList<>();
        int scanned = 0;
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".class"))::iterator) {
                scanned++;
                violations.addAll(violations(root.relativize(f).toString().replace('\\', '/'), f));
            }
        }
        assertTrue(scanned > 100, "scanned " + scanned + " classes under " + root);
        assertEquals(List.of(), violations);
    }

    /** The scanner sees a reference made only through a generic signature, and one made by a class literal. */
    @Test
    void theScannerSeesWhatItMustRefuse() throws Exception {
        Path root = classesOf(PackageGuardTest.class);
        String probe = "dev/cardsmith/transport/PackageGuardProbe.class";
        List<String> v = violations(probe, root.resolve(probe));
        assertTrue(v.stream().anyMatch(s -> s.contains("dev/cardsmith/module/")), v.toString());
        assertTrue(v.stream().anyMatch(s -> s.contains("dev/cardsmith/vault/")), v.toString());
        assertFalse(violations("dev/cardsmith/transport/PackageGuardTest.class", root.resolve("dev/cardsmith/transport/PackageGuardTest.class")).isEmpty(),
                "this test names javacard/ in a pattern string, so the scanner must report it too");
    }

    static List<String> violations(String classFile, Path file) throws IOException {
        Matcher own = CARDSMITH.matcher(classFile);
        String pkg = own.lookingAt() && own.group(1) == null ? own.group(2) : null;
        List<String> out = new ArrayList<>();
        for (String ref : references(file)) {
            if (FORBIDDEN_PLATFORM.matcher(ref).find()) out.add(classFile + " -> " + ref + " (card platform in the host library)");
            if (pkg == null) continue;
            Matcher m = CARDSMITH.matcher(ref);
            while (m.find()) {
                boolean applet = m.group(1) != null;
                String target = m.group(2);
                if (SYSTEMS.contains(pkg)) {
                    if (!applet && SYSTEMS.contains(target) && !target.equals(pkg)) out.add(classFile + " -> " + m.group() + " (another system)");
                    if (applet && APPLET_OF.containsValue(target) && !target.equals(APPLET_OF.get(pkg))) out.add(classFile + " -> " + m.group() + " (another system's applet)");
                } else if (SHARED.contains(pkg) && !applet && SYSTEMS.contains(target)) {
                    out.add(classFile + " -> " + m.group() + " (shared package reaching up into a system)");
                }
            }
        }
        return out;
    }

    /** Every CONSTANT_Utf8 of a class file (class names, descriptors, signatures, strings). */
    static Set<String> references(Path classFile) throws IOException {
        Set<String> utf8 = new TreeSet<>();
        try (InputStream in = Files.newInputStream(classFile); DataInputStream d = new DataInputStream(in)) {
            if (d.readInt() != 0xCAFEBABE) throw new IOException(classFile + " is not a class file");
            d.readUnsignedShort();
            d.readUnsignedShort();
            int count = d.readUnsignedShort();
            for (int i = 1; i < count; i++) {
                int tag = d.readUnsignedByte();
                switch (tag) {
                    case 1 -> utf8.add(d.readUTF());
                    case 7, 8, 16, 19, 20 -> d.skipBytes(2);
                    case 15 -> d.skipBytes(3);
                    case 3, 4, 9, 10, 11, 12, 17, 18 -> d.skipBytes(4);
                    case 5, 6 -> { d.skipBytes(8); i++; }
                    default -> throw new IOException("unknown constant pool tag " + tag + " in " + classFile);
                }
            }
        }
        return utf8;
    }
}
