import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * CAP build step (cap-build.xml): at -target 3.0.5 a CAP holds one package, and cardsmith
 * compiles the platform layer into each applet's package instead of loading it as a library
 * (docs/conventions.md "How the layer reaches the applets"). This writes, for one applet, a
 * source tree holding the applet's sources plus the platform classes it uses (transitively),
 * their package rewritten to the applet's and the platform imports dropped.
 *
 * <p>Usage: java InlineLayer.java SRC_ROOT APPLET_PACKAGE OUT_ROOT
 * (SRC_ROOT = applet/src/main/java, APPLET_PACKAGE e.g. dev.cardsmith.applet.vault).
 */
public final class InlineLayer {

    static final String LAYER = "dev.cardsmith.applet.platform";

    public static void main(String[] args) throws IOException {
        Path src = Path.of(args[0]);
        String pkg = args[1];
        Path out = Path.of(args[2]);
        Path layerDir = src.resolve(LAYER.replace('.', '/'));
        Path appletDir = src.resolve(pkg.replace('.', '/'));
        Path outDir = out.resolve(pkg.replace('.', '/'));
        Files.createDirectories(outDir);

        Map<String, String> layer = new TreeMap<>();
        try (Stream<Path> s = Files.list(layerDir)) {
            for (Path p : (Iterable<Path>) s.filter(f -> f.toString().endsWith(".java"))::iterator) {
                layer.put(p.getFileName().toString().replace(".java", ""), Files.readString(p));
            }
        }
        Set<String> own = new TreeSet<>();
        Deque<String> todo = new ArrayDeque<>();
        Pattern imp = Pattern.compile("import\\s+(static\\s+)?" + Pattern.quote(LAYER) + "\\.(\\w+|\\*)");
        try (Stream<Path> s = Files.list(appletDir)) {
            for (Path p : (Iterable<Path>) s.filter(f -> f.toString().endsWith(".java"))::iterator) {
                String text = Files.readString(p);
                own.add(p.getFileName().toString().replace(".java", ""));
                Matcher m = imp.matcher(text);
                while (m.find()) {
                    if (m.group(2).equals("*")) todo.addAll(layer.keySet());
                    else todo.add(m.group(2));
                }
                Files.writeString(outDir.resolve(p.getFileName()), rewrite(text, pkg));
            }
        }
        Set<String> used = new TreeSet<>();
        while (!todo.isEmpty()) {
            String c = todo.pop();
            if (!layer.containsKey(c) || !used.add(c)) continue;
            for (String other : layer.keySet()) {
                if (Pattern.compile("\\b" + other + "\\b").matcher(strip(layer.get(c))).find()) todo.add(other);
            }
        }
        for (String c : used) {
            if (own.contains(c)) throw new IllegalStateException(pkg + " has its own class " + c + ": delete it or rename it");
            Files.writeString(outDir.resolve(c + ".java"), rewrite(layer.get(c), pkg));
        }
        System.out.println(pkg + ": platform classes compiled in: " + used);
    }

    /** The source without comments (a class named in javadoc only is no dependency). */
    static String strip(String text) {
        return text.replaceAll("(?s)/\\*.*?\\*/", "").replaceAll("//[^\\n]*", "");
    }

    static String rewrite(String text, String pkg) {
        return text.replaceAll("(?m)^import\\s+" + Pattern.quote(LAYER) + "\\.\\w+;\\s*\\n", "")
                .replaceAll("(?m)^import\\s+" + Pattern.quote(LAYER) + "\\.\\*;\\s*\\n", "")
                .replace("package " + LAYER + ";", "package " + pkg + ";")
                .replace(LAYER + ".", "");
    }
}
