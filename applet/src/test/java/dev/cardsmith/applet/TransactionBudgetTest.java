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
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Review findings on real-card transactions (jCardSim has no commit buffer and never fails a
 * transaction for size, so only the bytecode can show these):
 *
 * <ol>
 * <li><b>Commit-buffer pressure.</b> Real cards log every byte written inside a transaction in a
 * commit buffer that is often only 256-512 bytes; a certificate (module: up to 320 bytes, vault:
 * 200, csp: 2048) copied inside one throws TransactionException on the chip. Rule: bulk data is
 * written <em>before</em> the transaction into storage nothing can reach while its committed
 * length/flag/state says "absent" (or into the free half of a double buffer), and the
 * transaction only flips lengths, flags and the state. Checked here: inside a transaction (also
 * in every applet method called from inside one) every {@code Util.arrayCopy} has a compile-time
 * constant length of at most {@link #MAX_COPY_IN_TX} bytes.</li>
 * <li><b>Key objects.</b> {@code Key.setKey/setS/setW/genKeyPair} are not transactional on all
 * cards (and where they are, they fill the commit buffer). Rule: a key is written outside any
 * transaction, while the flag that makes it usable is false (cleared and committed before), and
 * the flag is set after. Checked here: no key setter, clearKey or genKeyPair runs inside a
 * transaction (directly or in a called applet method).</li>
 * </ol>
 *
 * Install-time code is exempt: a torn install leaves no applet instance at all (the JCRE removes
 * an applet whose install did not reach register()).
 */
class TransactionBudgetTest {

    private static final Path CLASSES = Paths.get("target", "classes");
    static final int MAX_COPY_IN_TX = 16;
    /** Every cardsmith applet. */
    private static final List<String> SYSTEMS = List.of(
            "dev/cardsmith/applet/vault/", "dev/cardsmith/applet/module/", "dev/cardsmith/applet/csp/",
            "dev/cardsmith/applet/psd/", "dev/cardsmith/applet/sim/");
    private static final Set<String> INSTALL_TIME = Set.of(
            "dev/cardsmith/applet/vault/VaultState.initialize",
            "dev/cardsmith/applet/psd/Persistent.install"); // called from the PsdApplet constructor only

    /** One method: what it does anywhere in its body, and what it does / calls inside its own transactions. */
    private static final class Facts {
        final List<String> copies = new ArrayList<>();      // bad arrayCopy anywhere in the method
        final List<String> keyWrites = new ArrayList<>();   // key writes anywhere in the method
        final Set<String> callees = new HashSet<>();
        final List<String> copiesInTx = new ArrayList<>();
        final List<String> keyWritesInTx = new ArrayList<>();
        final Set<String> calleesInTx = new HashSet<>();
    }

    private static Map<String, Facts> scan() throws IOException {
        List<Path> classes;
        try (Stream<Path> s = Files.walk(CLASSES)) {
            classes = s.filter(p -> p.toString().endsWith(".class")).collect(Collectors.toList());
        }
        Map<String, Facts> all = new HashMap<>();
        for (Path p : classes) {
            ClassReader cr = new ClassReader(Files.readAllBytes(p));
            String owner = cr.getClassName();
            if (!SYSTEMS.stream().anyMatch(owner::startsWith)) continue;
            cr.accept(new ClassVisitor(Opcodes.ASM9) {
                @Override
                public MethodVisitor visitMethod(int access, String name, String desc, String sig, String[] ex) {
                    String where = owner + "." + name;
                    Facts f = new Facts();
                    all.put(owner + "." + name + desc, f);
                    return new MethodVisitor(Opcodes.ASM9) {
                        boolean inTx;
                        Integer lastConstant; // the value the previous instruction pushed, if a constant

                        @Override
                        public void visitInsn(int op) {
                            lastConstant = op >= Opcodes.ICONST_M1 && op <= Opcodes.ICONST_5 ? op - Opcodes.ICONST_0 : null;
                        }

                        @Override
                        public void visitIntInsn(int op, int operand) {
                            lastConstant = op == Opcodes.BIPUSH || op == Opcodes.SIPUSH ? operand : null;
                        }

                        @Override
                        public void visitVarInsn(int op, int var) { lastConstant = null; }

                        @Override
                        public void visitFieldInsn(int op, String o, String n, String d) { lastConstant = null; }

                        @Override
                        public void visitTypeInsn(int op, String t) { lastConstant = null; }

                        @Override
                        public void visitLdcInsn(Object v) { lastConstant = v instanceof Integer ? (Integer) v : null; }

                        @Override
                        public void visitMethodInsn(int op, String o, String n, String d, boolean itf) {
                            Integer len = lastConstant;
                            lastConstant = null;
                            if (o.equals("javacard/framework/JCSystem")) {
                                if (n.equals("beginTransaction")) inTx = true;
                                if (n.equals("commitTransaction") || n.equals("abortTransaction")) inTx = false;
                                return;
                            }
                            if (o.equals("javacard/framework/Util") && n.equals("arrayCopy")
                                    && (len == null || len > MAX_COPY_IN_TX)) {
                                String what = where + ": Util.arrayCopy of " + (len == null ? "a variable length" : len + " bytes");
                                f.copies.add(what);
                                if (inTx) f.copiesInTx.add(what);
                            }
                            if (isKeyWrite(o, n)) {
                                String what = where + ": " + o.substring(o.lastIndexOf('/') + 1) + "." + n;
                                f.keyWrites.add(what);
                                if (inTx) f.keyWritesInTx.add(what);
                            }
                            if (o.startsWith("dev/cardsmith/applet/")) {
                                f.callees.add(o + "." + n + d);
                                if (inTx) f.calleesInTx.add(o + "." + n + d);
                            }
                        }
                    };
                }
            }, 0);
        }
        return all;
    }

    static boolean isKeyWrite(String owner, String name) {
        if (!owner.startsWith("javacard/security/") && !owner.startsWith("javacardx/crypto/")) return false;
        String simple = owner.substring(owner.lastIndexOf('/') + 1);
        boolean keyType = simple.endsWith("Key") || simple.equals("KeyPair");
        return keyType && (name.startsWith("set") || name.equals("clearKey") || name.equals("genKeyPair"));
    }

    /** Everything bad that runs inside some transaction: in the region itself or in any method it calls. */
    private static List<String> inTransactions(boolean copies) throws IOException {
        Map<String, Facts> all = scan();
        List<String> bad = new ArrayList<>();
        for (Map.Entry<String, Facts> e : all.entrySet()) {
            String root = e.getKey();
            if (INSTALL_TIME.stream().anyMatch(x -> root.startsWith(x + "("))) continue;
            Facts f = e.getValue();
            bad.addAll(copies ? f.copiesInTx : f.keyWritesInTx);
            Deque<String> todo = new ArrayDeque<>(f.calleesInTx);
            Set<String> seen = new HashSet<>();
            while (!todo.isEmpty()) {
                String m = todo.pop();
                if (!seen.add(m)) continue;
                Facts c = all.get(m);
                if (c == null) continue;
                for (String b : copies ? c.copies : c.keyWrites) bad.add(b + " (called inside a transaction of " + root + ")");
                todo.addAll(c.callees);
            }
        }
        return bad;
    }

    @Test
    void noBulkCopyInsideATransaction() throws IOException {
        List<String> bad = inTransactions(true);
        assertTrue(bad.isEmpty(), "commit buffer: write bulk data before the transaction, commit only lengths/flags:\n  "
                + String.join("\n  ", bad));
    }

    @Test
    void noKeyWriteInsideATransaction() throws IOException {
        List<String> bad = inTransactions(false);
        assertTrue(bad.isEmpty(), "key objects are written outside transactions while their flag is false:\n  "
                + String.join("\n  ", bad));
    }

    @Test
    void detectorSeesKeyWriters() {
        // the guard itself: the owner/name filter recognises the JC key setters
        assertTrue(isKeyWrite("javacard/security/ECPublicKey", "setW"));
        assertTrue(isKeyWrite("javacard/security/AESKey", "setKey"));
        assertTrue(isKeyWrite("javacard/security/KeyPair", "genKeyPair"));
        assertTrue(!isKeyWrite("javacard/security/Signature", "init"));
    }
}
