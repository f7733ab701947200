package dev.cardsmith.applet.psd;

import org.junit.jupiter.api.Test;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Review finding: the PSD compared the C-MAC, the host cryptogram, the KRK unlock proof and the
 * RFC 3394 integrity value with Util.arrayCompare, which returns at the first differing byte (on
 * real chips its timing reveals how many leading bytes of a guess were right). Every comparison
 * in the PSD applet touches a secret-derived value, so none may use Util.arrayCompare; they go
 * through the constant-time platform Bytes.equal. (jCardSim cannot show timing, hence a bytecode check.)
 */
class PsdConstantTimeTest {

    private static final Path PSD_CLASSES = Paths.get("target", "classes", "dev", "cardsmith", "applet", "psd");

    @Test
    void bug_macCryptogramAndProofComparedWithUtilArrayCompare_notConstantTime() throws IOException {
        List<Path> classes;
        try (Stream<Path> s = Files.list(PSD_CLASSES)) {
            classes = s.filter(p -> p.toString().endsWith(".class")).collect(Collectors.toList());
        }
        assertFalse(classes.isEmpty(), "no PSD classes under " + PSD_CLASSES.toAbsolutePath());
        List<String> calls = new ArrayList<>();
        for (Path p : classes) {
            new ClassReader(Files.readAllBytes(p)).accept(new ClassVisitor(Opcodes.ASM9) {
                @Override
                public MethodVisitor visitMethod(int access, String name, String desc, String sig, String[] ex) {
                    return new MethodVisitor(Opcodes.ASM9) {
                        @Override
                        public void visitMethodInsn(int op, String owner, String m, String d, boolean itf) {
                            if (owner.equals("javacard/framework/Util") && m.equals("arrayCompare")) {
                                calls.add(p.getFileName() + "." + name);
                            }
                        }
                    };
                }
            }, 0);
        }
        assertTrue(calls.isEmpty(), "non-constant-time comparison in " + calls);
    }

    @Test
    void constantTimeEqualIsCorrect() {
        byte[] a = {1, 2, 3, 4};
        byte[] b = {9, 1, 2, 3, 4};
        assertTrue(dev.cardsmith.applet.platform.Bytes.equal(a, (short) 0, b, (short) 1, (short) 4));
        b[4] = 5;
        assertFalse(dev.cardsmith.applet.platform.Bytes.equal(a, (short) 0, b, (short) 1, (short) 4));
        b[4] = 4;
        b[1] = 0;
        assertFalse(dev.cardsmith.applet.platform.Bytes.equal(a, (short) 0, b, (short) 1, (short) 4));
    }
}
