package dev.cardsmith.applet;

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
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Review finding: {@code Util.arrayFillNonAtomic} / {@code arrayCopyNonAtomic} do not take part in
 * a transaction even when called inside one. The module zeroed its transaction replay counter with
 * arrayFillNonAtomic inside the ENTER PERSONALIZATION and CENTRAL CONFIRM transactions: a card torn
 * before the commit rolled the state and the "transaction key set" flag back but kept the zeroed
 * counter, so every TRANSACTION recorded earlier under the still valid key could be replayed
 * (ENTER PERSONALIZATION needs no authentication: anyone could do it with a well-timed tear).
 *
 * <p>Guard: between JCSystem.beginTransaction and commitTransaction no applet method calls a
 * NonAtomic Util method, except on RAM (transient arrays, listed here by method).
 */
class TransactionNonAtomicTest {

    private static final Path CLASSES = Paths.get("target", "classes");
    /** Methods whose NonAtomic calls inside a transaction only touch CLEAR_ON_DESELECT RAM. */
    private static final Set<String> RAM_ONLY = Set.of(
            "dev/cardsmith/applet/vault/VaultState.initialize"); // key bytes in RAM scratch, zeroed at once

    @Test
    void noNonAtomicWriteInsideATransaction() throws IOException {
        List<Path> classes;
        try (Stream<Path> s = Files.walk(CLASSES)) {
            classes = s.filter(p -> p.toString().endsWith(".class")).collect(Collectors.toList());
        }
        List<String> bad = new ArrayList<>();
        for (Path p : classes) {
            ClassReader cr = new ClassReader(Files.readAllBytes(p));
            String owner = cr.getClassName();
            cr.accept(new ClassVisitor(Opcodes.ASM9) {
                @Override
                public MethodVisitor visitMethod(int access, String name, String desc, String sig, String[] ex) {
                    String where = owner + "." + name;
                    return new MethodVisitor(Opcodes.ASM9) {
                        boolean inTx;

                        @Override
                        public void visitMethodInsn(int op, String o, String n, String d, boolean itf) {
                            if (o.equals("javacard/framework/JCSystem")) {
                                if (n.equals("beginTransaction")) inTx = true;
                                if (n.equals("commitTransaction") || n.equals("abortTransaction")) inTx = false;
                            }
                            if (inTx && o.equals("javacard/framework/Util") && n.endsWith("NonAtomic") && !RAM_ONLY.contains(where)) {
                                bad.add(where + " calls Util." + n + " inside a transaction");
                            }
                        }
                    };
                }
            }, 0);
        }
        assertTrue(bad.isEmpty(), "not rolled back by a tear:\n  " + String.join("\n  ", bad));
    }
}
