package dev.cardsmith.simulator.tear;

import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Rewrites applet bytecode so every persistent write goes through {@link Hooks}:
 * <ul>
 * <li>BASTORE / SASTORE / CASTORE / IASTORE / AASTORE become calls to the matching hook;</li>
 * <li>NEWARRAY / ANEWARRAY / MULTIANEWARRAY register the new array as persistent;</li>
 * <li>PUTFIELD / PUTSTATIC (outside constructors and static initialisers, which run only at
 * install) are preceded by a hook that gets the field's old value;</li>
 * <li>static initialisers keep their stores as they are (on a card they are the package's static
 * image, written at load; the JVM runs them lazily, inside whatever command first uses the
 * class), only their new arrays are registered as persistent;</li>
 * <li>array element loads (BALOAD ... AALOAD) are preceded by an access check (the toolkit
 * context: no CLEAR_ON_DESELECT memory in processToolkit, {@link RollbackRuntime#checkToolkitAccess});</li>
 * <li>{@code Util.arrayCopy / arrayCopyNonAtomic / arrayFillNonAtomic / setShort}, the reads
 * {@code Util.arrayCompare / getShort} and
 * {@code KeyBuilder.buildKey} calls go to the hook of the same name and descriptor;</li>
 * <li>calls of {@code clearKey} and the {@code set*} methods of any {@code javacard.security.Key}
 * subtype, and {@code KeyPair.genKeyPair}, go to the key hooks.</li>
 * </ul>
 * No branch is added, so the stack map frames stay valid; only max stack is recomputed.
 */
final class Instrumenter {

    private static final String HOOKS = Type.getInternalName(Hooks.class);
    private static final String CLASS_DESC = "Ljava/lang/Class;";
    private static final String STRING_DESC = "Ljava/lang/String;";
    private static final Set<String> UTIL_WRITES = Set.of("arrayCopy", "arrayCopyNonAtomic", "arrayFillNonAtomic", "setShort");
    /** Util reads that go to a hook too: the toolkit context checks what they read. */
    private static final Set<String> UTIL_READS = Set.of("arrayCompare", "getShort");
    private static final Set<String> KEY_SHAPES = Set.of("()V", "(S)V", "([BS)V", "([BSS)V");

    private Instrumenter() {}

    static byte[] instrument(byte[] classFile, ClassLoader typeLoader) {
        ClassReader reader = new ClassReader(classFile);
        ClassWriter writer = new ClassWriter(reader, ClassWriter.COMPUTE_MAXS);
        reader.accept(new ClassVisitor(Opcodes.ASM9, writer) {
            @Override
            public MethodVisitor visitMethod(int access, String name, String desc, String sig, String[] exceptions) {
                MethodVisitor mv = super.visitMethod(access, name, desc, sig, exceptions);
                return new WriteHooks(mv, name.equals("<init>"), name.equals("<clinit>"), typeLoader);
            }
        }, 0);
        return writer.toByteArray();
    }

    private static final class WriteHooks extends MethodVisitor {
        private final boolean constructing;
        private final boolean staticInit;
        private final ClassLoader typeLoader;

        WriteHooks(MethodVisitor mv, boolean constructing, boolean staticInit, ClassLoader typeLoader) {
            super(Opcodes.ASM9, mv);
            this.constructing = constructing || staticInit;
            this.staticInit = staticInit;
            this.typeLoader = typeLoader;
        }

        private void hook(String name, String desc) {
            super.visitMethodInsn(Opcodes.INVOKESTATIC, HOOKS, name, desc, false);
        }

        @Override
        public void visitInsn(int opcode) {
            if (staticInit) {
                // static array initialisers are part of the loaded package image on a card, not
                // writes of whatever command first touches the class (the JVM runs <clinit> lazily)
                super.visitInsn(opcode);
                return;
            }
            switch (opcode) {
                case Opcodes.BALOAD, Opcodes.SALOAD, Opcodes.CALOAD, Opcodes.IALOAD, Opcodes.AALOAD -> {
                    // [array, index] -> [array, index, array, index] -> access check -> the load itself
                    super.visitInsn(Opcodes.DUP2);
                    hook("access", "(Ljava/lang/Object;I)V");
                    super.visitInsn(opcode);
                }
                case Opcodes.BASTORE -> hook("bastore", "(Ljava/lang/Object;II)V");
                case Opcodes.SASTORE -> hook("sastore", "([SII)V");
                case Opcodes.CASTORE -> hook("castore", "([CII)V");
                case Opcodes.IASTORE -> hook("iastore", "([III)V");
                case Opcodes.AASTORE -> hook("aastore", "([Ljava/lang/Object;ILjava/lang/Object;)V");
                default -> super.visitInsn(opcode);
            }
        }

        private void registerNewArray() {
            super.visitInsn(Opcodes.DUP);
            hook("allocated", "(Ljava/lang/Object;)V");
        }

        @Override
        public void visitIntInsn(int opcode, int operand) {
            super.visitIntInsn(opcode, operand);
            if (opcode == Opcodes.NEWARRAY) registerNewArray();
        }

        @Override
        public void visitTypeInsn(int opcode, String type) {
            super.visitTypeInsn(opcode, type);
            if (opcode == Opcodes.ANEWARRAY) registerNewArray();
        }

        @Override
        public void visitMultiANewArrayInsn(String desc, int dims) {
            super.visitMultiANewArrayInsn(desc, dims);
            registerNewArray();
        }

        @Override
        public void visitFieldInsn(int opcode, String owner, String name, String desc) {
            boolean put = opcode == Opcodes.PUTFIELD || opcode == Opcodes.PUTSTATIC;
            int sort = Type.getType(desc).getSort();
            if (!put || constructing || sort == Type.LONG || sort == Type.DOUBLE || sort == Type.FLOAT) {
                super.visitFieldInsn(opcode, owner, name, desc);
                return;
            }
            boolean ref = sort == Type.OBJECT || sort == Type.ARRAY;
            if (opcode == Opcodes.PUTFIELD) {
                // [obj, val] -> [obj, val, obj, old]
                super.visitInsn(Opcodes.SWAP);
                super.visitInsn(Opcodes.DUP_X1);
                super.visitInsn(Opcodes.DUP);
                super.visitFieldInsn(Opcodes.GETFIELD, owner, name, desc);
            } else {
                // [val] -> [val, null, old]
                super.visitInsn(Opcodes.ACONST_NULL);
                super.visitFieldInsn(Opcodes.GETSTATIC, owner, name, desc);
            }
            super.visitLdcInsn(Type.getObjectType(owner));
            super.visitLdcInsn(name);
            if (ref) {
                hook("putFieldRef", "(Ljava/lang/Object;Ljava/lang/Object;" + CLASS_DESC + STRING_DESC + ")V");
            } else {
                super.visitLdcInsn(sort == Type.INT ? 4 : (sort == Type.SHORT || sort == Type.CHAR) ? 2 : 1);
                hook("putField", "(Ljava/lang/Object;I" + CLASS_DESC + STRING_DESC + "I)V");
            }
            super.visitFieldInsn(opcode, owner, name, desc);
        }

        @Override
        public void visitMethodInsn(int opcode, String owner, String name, String desc, boolean itf) {
            if (staticInit) {
                super.visitMethodInsn(opcode, owner, name, desc, itf);
            } else if (opcode == Opcodes.INVOKESTATIC && owner.equals("javacard/framework/Util")
                    && (UTIL_WRITES.contains(name) || UTIL_READS.contains(name))) {
                hook(name, desc);
            } else if (opcode == Opcodes.INVOKESTATIC && owner.equals("javacard/security/KeyBuilder") && name.equals("buildKey")) {
                hook(name, desc);
            } else if (opcode == Opcodes.INVOKEVIRTUAL && owner.equals("javacard/security/KeyPair") && name.equals("genKeyPair")) {
                hook("genKeyPair", "(Ljavacard/security/KeyPair;)V");
            } else if (opcode != Opcodes.INVOKESTATIC && isKeyWrite(owner, name, desc)) {
                super.visitLdcInsn(Type.getObjectType(owner));
                super.visitLdcInsn(name);
                hook("keyCall", "(Ljava/lang/Object;" + desc.substring(1, desc.indexOf(')')) + CLASS_DESC + STRING_DESC + ")V");
            } else {
                super.visitMethodInsn(opcode, owner, name, desc, itf);
            }
        }

        private boolean isKeyWrite(String owner, String name, String desc) {
            if (!(name.equals("clearKey") || name.startsWith("set")) || !KEY_SHAPES.contains(desc)) return false;
            if (!owner.startsWith("javacard/security/") && !owner.startsWith("javacardx/")) return false;
            return KEY_TYPES.computeIfAbsent(owner, o -> {
                try {
                    Class<?> c = Class.forName(o.replace('/', '.'), false, typeLoader);
                    // ECKey, DSAKey, DHKey (the domain-parameter setters) do not extend Key
                    return javacard.security.Key.class.isAssignableFrom(c) || (c.isInterface() && c.getSimpleName().endsWith("Key"));
                } catch (ClassNotFoundException e) {
                    return false;
                }
            });
        }
    }

    private static final Map<String, Boolean> KEY_TYPES = new ConcurrentHashMap<>();

    /**
     * Defines the classes of the given packages (and their sub-packages) itself, instrumented,
     * child first; everything else (jCardSim, the JDK, this runtime) comes from the parent.
     */
    static final class Loader extends ClassLoader {
        private static final Map<String, byte[]> CACHE = new ConcurrentHashMap<>();
        private final List<String> prefixes;

        Loader(ClassLoader parent, List<String> packages) {
            super(parent);
            this.prefixes = packages.stream().map(p -> p + ".").toList();
        }

        private boolean instrumented(String name) {
            if (name.startsWith(Instrumenter.class.getPackageName() + ".") && name.lastIndexOf('.') == Instrumenter.class.getPackageName().length()) {
                return false; // this runtime itself
            }
            for (String p : prefixes) if (name.startsWith(p)) return true;
            return false;
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            if (!instrumented(name)) return super.loadClass(name, resolve);
            synchronized (getClassLoadingLock(name)) {
                Class<?> c = findLoadedClass(name);
                if (c == null) {
                    byte[] b = CACHE.computeIfAbsent(name, n -> {
                        byte[] raw = read(n);
                        return raw.length == 0 ? raw : instrument(raw, getParent());
                    });
                    if (b.length == 0) throw new ClassNotFoundException(name);
                    c = defineClass(name, b, 0, b.length);
                }
                if (resolve) resolveClass(c);
                return c;
            }
        }

        private byte[] read(String name) {
            try (InputStream in = getParent().getResourceAsStream(name.replace('.', '/') + ".class")) {
                return in == null ? new byte[0] : in.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
