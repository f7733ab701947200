package dev.cardsmith.applet;

import dev.cardsmith.applet.platform.Sw;
import org.junit.jupiter.api.Test;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every status word an applet can answer comes from {@link Sw} (docs/conventions.md, "Status
 * words"): no applet source outside Sw.java writes a status word as a hex literal, and no applet
 * class pushes a constant in the status-word ranges (6xxx, 9xxx) that is not one of Sw's values
 * (61xx and 63Cx: Sw.BYTES_REMAINING and Sw.VERIFY_FAILED_TRIES with their counts). The bytecode
 * check sees every constant, not only those passed straight to ISOException.throwIt, so neither
 * a private constant, a wrapper method nor a computed value gets past it; since javac inlines
 * Sw's constants, the source check is what finds an inline 0x6A80 with the right value.
 */
class StatusWordGuardTest {

    private static final Path CLASSES = Paths.get("target", "classes");
    private static final Path SOURCES = Paths.get("src", "main", "java");
    private static final String SW_CLASS = "dev/cardsmith/applet/platform/Sw";
    private static final Pattern HEX_SW = Pattern.compile("(?i)\\b0x[69][0-9a-f]{3}\\b");

    static Set<Integer> swValues() throws IllegalAccessException {
        Set<Integer> out = new TreeSet<>();
        for (Field f : Sw.class.getDeclaredFields()) {
            if (f.getType() == short.class && Modifier.isStatic(f.getModifiers())) out.add(f.getShort(null) & 0xFFFF);
        }
        return out;
    }

    /** A constant in the status-word ranges that is not a value of Sw. */
    static boolean foreign(int value, Set<Integer> sw) {
        if (value < Short.MIN_VALUE || value > 0xFFFF) return false;
        int u = value & 0xFFFF;
        boolean range = (u >= 0x6000 && u <= 0x6FFF) || (u >= 0x9000 && u <= 0x9FFF);
        if (!range || sw.contains(u)) return false;
        return (u & 0xFF00) != (Sw.BYTES_REMAINING & 0xFF00) && (u & 0xFFF0) != (Sw.VERIFY_FAILED_TRIES & 0xFFF0);
    }

    /** "class.method XXXX" for every foreign status-word constant in a class file (Sw itself excepted). */
    static List<String> scanClass(byte[] classFile, Set<Integer> sw) {
        List<String> found = new ArrayList<>();
        new ClassReader(classFile).accept(new ClassVisitor(Opcodes.ASM9) {
            private String cls;

            @Override
            public void visit(int version, int access, String name, String sig, String sup, String[] itf) {
                cls = name;
            }

            @Override
            public MethodVisitor visitMethod(int access, String method, String desc, String sig, String[] ex) {
                if (SW_CLASS.equals(cls)) return null;
                return new MethodVisitor(Opcodes.ASM9) {
                    private void check(int v) {
                        if (foreign(v, sw)) found.add(String.format("%s.%s %04X", cls.replace('/', '.'), method, v & 0xFFFF));
                    }

                    @Override
                    public void visitIntInsn(int opcode, int operand) {
                        if (opcode == Opcodes.SIPUSH) check(operand);
                    }

                    @Override
                    public void visitLdcInsn(Object value) {
                        if (value instanceof Integer) check((Integer) value);
                    }
                };
            }

            @Override
            public org.objectweb.asm.FieldVisitor visitField(int access, String name, String desc, String sig, Object value) {
                // a constant field keeps its value here even where javac inlines every use
                if (!SW_CLASS.equals(cls) && value instanceof Integer && foreign((Integer) value, sw)) {
                    found.add(String.format("%s.%s %04X", cls.replace('/', '.'), name, (Integer) value & 0xFFFF));
                }
                return null;
            }
        }, 0);
        return found;
    }

    /** "line: literal" for every status-word hex literal in one source text. */
    static List<String> scanSource(String text) {
        List<String> found = new ArrayList<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            Matcher m = HEX_SW.matcher(lines[i]);
            while (m.find()) found.add((i + 1) + ": " + m.group());
        }
        return found;
    }

    private static List<Path> files(Path root, String suffix) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(p -> p.toString().endsWith(suffix)).sorted().collect(Collectors.toList());
        }
    }

    @Test
    void noAppletClassUsesAStatusWordOutsideSw() throws Exception {
        Set<Integer> sw = swValues();
        List<Path> classes = files(CLASSES, ".class");
        assertTrue(classes.size() > 30, "applet classes under " + CLASSES.toAbsolutePath());
        List<String> found = new ArrayList<>();
        for (Path p : classes) found.addAll(scanClass(Files.readAllBytes(p), sw));
        assertEquals(List.of(), found, "status words that are not in Sw (docs/conventions.md)");
    }

    @Test
    void noAppletSourceWritesAStatusWordLiteral() throws IOException {
        List<Path> sources = files(SOURCES, ".java");
        assertTrue(sources.size() > 30, "applet sources under " + SOURCES.toAbsolutePath());
        List<String> found = new ArrayList<>();
        for (Path p : sources) {
            if (p.endsWith(Paths.get("platform", "Sw.java"))) continue;
            for (String f : scanSource(Files.readString(p))) found.add(SOURCES.relativize(p) + ":" + f);
        }
        assertEquals(List.of(), found, "write Sw.NAME, not the status word's value");
    }

    @Test
    void theGuardsFindWhatTheyLookFor() throws Exception {
        Set<Integer> sw = swValues();
        assertTrue(sw.contains(0x6A80) && sw.contains(0x6F01) && !sw.contains(0x6F00), "Sw read: " + sw);
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_MAXS);
        cw.visit(Opcodes.V1_8, Opcodes.ACC_PUBLIC, "x/Bad", null, "java/lang/Object", null);
        cw.visitField(Opcodes.ACC_STATIC | Opcodes.ACC_FINAL, "SW_PRIVATE", "S", null, 0x6A8A).visitEnd();
        MethodVisitor mv = cw.visitMethod(Opcodes.ACC_STATIC, "refuse", "(S)V", null, null);
        mv.visitCode();
        for (int v : new int[] {0x6A80, 0x6A89, (short) 0x9F01, 0x63C3, 0x6110, 0x6F00, 0x7F49, 0x5F20}) {
            mv.visitIntInsn(Opcodes.SIPUSH, (short) v);
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, "javacard/framework/ISOException", "throwIt", "(S)V", false);
        }
        mv.visitLdcInsn(0x6B00);
        mv.visitInsn(Opcodes.POP);
        mv.visitInsn(Opcodes.RETURN);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
        cw.visitEnd();
        assertEquals(List.of("x.Bad.SW_PRIVATE 6A8A", "x.Bad.refuse 6A89", "x.Bad.refuse 9F01", "x.Bad.refuse 6F00",
                "x.Bad.refuse 6B00"), scanClass(cw.toByteArray(), sw));

        assertEquals(List.of("2: 0x6A80", "3: 0X9000"),
                scanSource("class A {\n  void f() { ISOException.throwIt((short) 0x6A80); }\n  short ok = (short) 0X9000;\n"
                        + "  short tag = 0x7F49, len = 0x60, sw = Sw.WRONG_DATA, wide = 0x6A800;\n}"));
        assertFalse(scanSource("ISOException.throwIt(Sw.WRONG_DATA);").iterator().hasNext());
    }
}
