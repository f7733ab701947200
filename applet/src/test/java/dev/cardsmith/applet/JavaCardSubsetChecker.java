package dev.cardsmith.applet;

import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.FieldVisitor;
import org.objectweb.asm.Handle;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Reads applet class files and reports what the Java Card 3.0.5 converter (classic, no int
 * support) would reject. CI has no Oracle SDK, so this is the guard that keeps every applet
 * convertible: long/float/double/int/String in signatures, float/long/double opcodes,
 * references outside java.lang.Object/Throwable/the exceptions and the javacard and javacardx API,
 * allocation outside constructors and install(), invokedynamic, multi-dimensional arrays,
 * synchronized code and String constants.
 */
public final class JavaCardSubsetChecker {

    /** java.lang classes that exist in the Java Card API. */
    private static final Set<String> JAVA_LANG_ALLOWED = Set.of(
            "java/lang/Object", "java/lang/Throwable", "java/lang/Exception",
            "java/lang/RuntimeException", "java/lang/ArithmeticException",
            "java/lang/ArrayIndexOutOfBoundsException", "java/lang/ArrayStoreException",
            "java/lang/ClassCastException", "java/lang/IndexOutOfBoundsException",
            "java/lang/NegativeArraySizeException", "java/lang/NullPointerException",
            "java/lang/SecurityException");

    private final List<String> violations = new ArrayList<>();
    private String className;
    private String ownPackage;

    public List<String> check(byte[] classFile) {
        violations.clear();
        new ClassReader(classFile).accept(new Visitor(), 0);
        return new ArrayList<>(violations);
    }

    private void fail(String where, String what) {
        violations.add(className + (where.isEmpty() ? "" : "." + where) + ": " + what);
    }

    private void checkType(String where, Type t) {
        switch (t.getSort()) {
            case Type.LONG: fail(where, "long is not a Java Card type"); break;
            case Type.FLOAT: fail(where, "float is not a Java Card type"); break;
            case Type.DOUBLE: fail(where, "double is not a Java Card type"); break;
            case Type.INT: fail(where, "int needs the optional int support; use short"); break;
            case Type.ARRAY:
                if (t.getDimensions() > 1) fail(where, "multi-dimensional arrays are not supported");
                checkType(where, t.getElementType());
                break;
            case Type.OBJECT: checkClass(where, t.getInternalName()); break;
            default: break;
        }
    }

    private void checkDescriptor(String where, String desc) {
        if (desc.startsWith("(")) {
            for (Type a : Type.getArgumentTypes(desc)) checkType(where, a);
            checkType(where, Type.getReturnType(desc));
        } else {
            checkType(where, Type.getType(desc));
        }
    }

    /** Packages of the UICC toolkit API a card's runtime exports (docs/uicc-toolkit.md). */
    static final java.util.Set<String> UICC_API = java.util.Set.of("uicc/toolkit", "uicc/usim/toolkit");

    /** The shared applet layer every applet may use. */
    static final String PLATFORM = "dev/cardsmith/applet/platform";

    private void checkClass(String where, String internalName) {
        if (internalName.startsWith("[")) { checkType(where, Type.getType(internalName)); return; }
        if (internalName.startsWith("javacard/") || internalName.startsWith("javacardx/")) return;
        // the UICC toolkit API (ETSI TS 102 241 / 3GPP TS 31.130 export files; uicc-api module)
        if (UICC_API.contains(internalName.substring(0, Math.max(0, internalName.lastIndexOf('/'))))) return;
        if (JAVA_LANG_ALLOWED.contains(internalName)) return;
        String pkg = internalName.contains("/") ? internalName.substring(0, internalName.lastIndexOf('/')) : "";
        if (pkg.equals(ownPackage)) return;
        // the platform layer: compiled into each applet's package by the CAP build (cap-tools/InlineLayer.java)
        if (pkg.equals(PLATFORM)) return;
        if (internalName.equals("java/lang/String")) fail(where, "String is not a Java Card type");
        else fail(where, "references " + internalName.replace('/', '.') + ", which is outside the Java Card API and this applet's package");
    }

    private final class Visitor extends ClassVisitor {
        Visitor() { super(Opcodes.ASM9); }

        @Override
        public void visit(int version, int access, String name, String signature, String superName, String[] interfaces) {
            className = name.replace('/', '.');
            ownPackage = name.contains("/") ? name.substring(0, name.lastIndexOf('/')) : "";
            if (version > Opcodes.V1_8) fail("", "class file major " + (version & 0xFFFF) + " > 52: compile with --release 8");
            if (superName != null) checkClass("", superName);
            if (interfaces != null) for (String i : interfaces) checkClass("", i);
        }

        @Override
        public FieldVisitor visitField(int access, String name, String descriptor, String signature, Object value) {
            checkDescriptor(name, descriptor);
            if (value instanceof String) fail(name, "String constant");
            return null;
        }

        @Override
        public MethodVisitor visitMethod(int access, String name, String descriptor, String signature, String[] exceptions) {
            checkDescriptor(name, descriptor);
            if ((access & Opcodes.ACC_SYNCHRONIZED) != 0) fail(name, "synchronized is not supported");
            if ((access & Opcodes.ACC_NATIVE) != 0) fail(name, "native methods are not supported");
            final boolean mayAllocate = name.equals("<init>") || name.equals("<clinit>") || name.equals("install");
            final String where = name;
            return new MethodVisitor(Opcodes.ASM9) {
                @Override public void visitInsn(int opcode) {
                    if ((opcode >= Opcodes.LCONST_0 && opcode <= Opcodes.DCONST_1)
                            || opcode == Opcodes.LALOAD || opcode == Opcodes.FALOAD || opcode == Opcodes.DALOAD
                            || opcode == Opcodes.LASTORE || opcode == Opcodes.FASTORE || opcode == Opcodes.DASTORE
                            || (opcode >= Opcodes.LADD && opcode <= Opcodes.DNEG && isWide(opcode))
                            || opcode == Opcodes.LSHL || opcode == Opcodes.LSHR || opcode == Opcodes.LUSHR
                            || opcode == Opcodes.LAND || opcode == Opcodes.LOR || opcode == Opcodes.LXOR
                            || (opcode >= Opcodes.I2L && opcode <= Opcodes.D2I) || opcode == Opcodes.I2F || opcode == Opcodes.I2D
                            || (opcode >= Opcodes.LCMP && opcode <= Opcodes.DCMPG)
                            || opcode == Opcodes.LRETURN || opcode == Opcodes.FRETURN || opcode == Opcodes.DRETURN) {
                        fail(where, "long/float/double arithmetic (opcode " + opcode + ")");
                    }
                    if (opcode == Opcodes.MONITORENTER || opcode == Opcodes.MONITOREXIT) fail(where, "synchronized block");
                }
                @Override public void visitIntInsn(int opcode, int operand) {
                    if (opcode == Opcodes.NEWARRAY && !mayAllocate) fail(where, "array allocation outside constructor/install");
                    if (opcode == Opcodes.NEWARRAY && (operand == Opcodes.T_LONG || operand == Opcodes.T_FLOAT
                            || operand == Opcodes.T_DOUBLE || operand == Opcodes.T_INT || operand == Opcodes.T_CHAR)) {
                        fail(where, "array of a non Java Card type");
                    }
                }
                @Override public void visitVarInsn(int opcode, int var) {
                    if (opcode == Opcodes.LLOAD || opcode == Opcodes.FLOAD || opcode == Opcodes.DLOAD
                            || opcode == Opcodes.LSTORE || opcode == Opcodes.FSTORE || opcode == Opcodes.DSTORE) {
                        fail(where, "long/float/double local variable");
                    }
                }
                @Override public void visitTypeInsn(int opcode, String type) {
                    checkClass(where, type);
                    if ((opcode == Opcodes.NEW || opcode == Opcodes.ANEWARRAY) && !mayAllocate) {
                        fail(where, "allocation (new " + type.replace('/', '.') + ") outside constructor/install");
                    }
                }
                @Override public void visitFieldInsn(int opcode, String owner, String fname, String fdesc) {
                    checkClass(where, owner);
                    checkDescriptor(where, fdesc);
                }
                @Override public void visitMethodInsn(int opcode, String owner, String mname, String mdesc, boolean itf) {
                    checkClass(where, owner);
                    checkDescriptor(where, mdesc);
                }
                @Override public void visitInvokeDynamicInsn(String n, String d, Handle h, Object... args) {
                    fail(where, "invokedynamic (lambda or string concatenation)");
                }
                @Override public void visitLdcInsn(Object value) {
                    if (value instanceof String) fail(where, "String constant");
                    else if (value instanceof Long || value instanceof Float || value instanceof Double) fail(where, "long/float/double constant");
                    else if (value instanceof Type) checkType(where, (Type) value);
                }
                @Override public void visitMultiANewArrayInsn(String descriptor, int numDimensions) {
                    fail(where, "multi-dimensional array");
                }
                @Override public void visitTryCatchBlock(org.objectweb.asm.Label s, org.objectweb.asm.Label e, org.objectweb.asm.Label h, String type) {
                    if (type != null) checkClass(where, type);
                }
            };
        }
    }

    private static boolean isWide(int opcode) {
        // LADD..DNEG interleave I/L/F/D variants in groups of four: I, L, F, D.
        return ((opcode - Opcodes.IADD) % 4) != 0;
    }
}
