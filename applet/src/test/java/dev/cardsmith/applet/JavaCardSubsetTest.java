package dev.cardsmith.applet;

import org.junit.jupiter.api.Test;
import org.objectweb.asm.ClassWriter;
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

/** Every compiled applet class must pass what the Java Card converter accepts (issue 2). */
class JavaCardSubsetTest {

    private static final Path CLASSES = Paths.get("target", "classes");

    @Test
    void everyAppletClassIsInTheJavaCardSubset() throws IOException {
        List<Path> classes;
        try (Stream<Path> s = Files.walk(CLASSES)) {
            classes = s.filter(p -> p.toString().endsWith(".class")).collect(Collectors.toList());
        }
        assertFalse(classes.isEmpty(), "no applet classes compiled under " + CLASSES.toAbsolutePath());
        List<String> all = new ArrayList<>();
        JavaCardSubsetChecker checker = new JavaCardSubsetChecker();
        for (Path p : classes) all.addAll(checker.check(Files.readAllBytes(p)));
        assertTrue(all.isEmpty(), "Java Card converter would reject:\n  " + String.join("\n  ", all));
    }

    @Test
    void checkerAdmitsTheUiccToolkitApiOnly() {
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_FRAMES | ClassWriter.COMPUTE_MAXS);
        cw.visit(Opcodes.V1_8, Opcodes.ACC_PUBLIC, "x/Stk", null, "javacard/framework/Applet", new String[] {"uicc/toolkit/ToolkitInterface"});
        MethodVisitor mv = cw.visitMethod(Opcodes.ACC_PUBLIC, "processToolkit", "(S)V", null, null);
        mv.visitCode();
        mv.visitMethodInsn(Opcodes.INVOKESTATIC, "uicc/usim/toolkit/USATEnvelopeHandlerSystem", "getTheHandler", "()Luicc/usim/toolkit/USATEnvelopeHandler;", false);
        mv.visitInsn(Opcodes.POP);
        mv.visitMethodInsn(Opcodes.INVOKESTATIC, "uicc/access/UICCSystem", "getTheUICCView", "(B)Luicc/access/FileView;", false);
        mv.visitInsn(Opcodes.POP);
        mv.visitInsn(Opcodes.RETURN);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
        cw.visitEnd();
        String joined = String.join("\n", new JavaCardSubsetChecker().check(cw.toByteArray()));
        assertFalse(joined.contains("uicc.toolkit") || joined.contains("uicc.usim.toolkit"), joined);
        assertTrue(joined.contains("uicc.access.UICCSystem"), "uicc.access is not in the uicc-api module: " + joined);
    }

    @Test
    void checkerRejectsLongFieldsStringsAndAllocationInHandlers() {
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_FRAMES | ClassWriter.COMPUTE_MAXS);
        cw.visit(Opcodes.V1_8, Opcodes.ACC_PUBLIC, "x/Bad", null, "javacard/framework/Applet", null);
        cw.visitField(Opcodes.ACC_PRIVATE, "counter", "J", null, null).visitEnd();
        cw.visitField(Opcodes.ACC_PRIVATE, "label", "Ljava/lang/String;", null, null).visitEnd();
        MethodVisitor mv = cw.visitMethod(Opcodes.ACC_PUBLIC, "process", "(Ljavacard/framework/APDU;)V", null, null);
        mv.visitCode();
        mv.visitIntInsn(Opcodes.BIPUSH, 8);
        mv.visitIntInsn(Opcodes.NEWARRAY, Opcodes.T_BYTE);
        mv.visitInsn(Opcodes.POP);
        mv.visitTypeInsn(Opcodes.NEW, "java/util/ArrayList");
        mv.visitInsn(Opcodes.POP);
        mv.visitInsn(Opcodes.RETURN);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
        cw.visitEnd();
        List<String> v = new JavaCardSubsetChecker().check(cw.toByteArray());
        String joined = String.join("\n", v);
        assertTrue(joined.contains("long is not a Java Card type"), joined);
        assertTrue(joined.contains("String is not a Java Card type"), joined);
        assertTrue(joined.contains("array allocation outside constructor/install"), joined);
        assertTrue(joined.contains("java.util.ArrayList"), joined);
    }

    @Test
    void checkerRejectsNewerClassFiles() {
        ClassWriter cw = new ClassWriter(0);
        cw.visit(Opcodes.V11, Opcodes.ACC_PUBLIC, "x/Newer", null, "java/lang/Object", null);
        cw.visitEnd();
        assertFalse(new JavaCardSubsetChecker().check(cw.toByteArray()).isEmpty());
    }
}
