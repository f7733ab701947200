package dev.cardsmith.applet;

import org.junit.jupiter.api.Test;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Review finding: MACs were compared with {@code Util.arrayCompare}, which returns at the first
 * differing byte, so the time of a refusal tells an attacker how many leading MAC bytes were right
 * (a byte-at-a-time forgery oracle). VAULT RESTORE and module TRANSACTION can be retried without
 * limit under the same long-term key. Every MAC check must go through a constant-time compare.
 */
class MacCompareTest {

    /** owner class, method name: the methods that check a MAC received from outside. */
    private static final String[][] MAC_CHECKS = {
            {"dev/cardsmith/applet/vault/PackageStore", "restore"},
            {"dev/cardsmith/applet/psd/SecureChannel", "verifyMac"},
            {"dev/cardsmith/applet/module/CentralSession", "transaction"},
            {"dev/cardsmith/applet/module/SecureMessaging", "unwrapCommand"},
    };

    @Test
    void macChecksUseTheConstantTimeCompare() throws IOException {
        for (String[] m : MAC_CHECKS) {
            List<String> calls = calls(m[0], m[1]);
            assertTrue(calls.stream().anyMatch(c -> c.endsWith(".macEquals") || c.equals(PLATFORM_EQUAL)),
                    m[0] + "." + m[1] + " must compare its MAC with Bytes.equal (constant time); calls " + calls);
        }
    }

    /** The platform layer's constant-time compare. */
    static final String PLATFORM_EQUAL = "dev/cardsmith/applet/platform/Bytes.equal";
    /** owner class, method name: the constant-time compares. */
    private static final String[][] COMPARES = {
            {"dev/cardsmith/applet/platform/Bytes", "equal"},
    };

    @Test
    void theConstantTimeCompareHasNoEarlyExitHelpers() throws IOException {
        for (String[] m : COMPARES) {
            List<String> calls = calls(m[0], m[1]);
            assertFalse(calls.stream().anyMatch(c -> c.contains("arrayCompare")), m[0] + "." + m[1] + " calls " + calls);
        }
    }

    @Test
    void theConstantTimeCompareIsCorrect() throws Exception {
        for (String[] m : COMPARES) {
            String cls = m[0].replace('/', '.');
            Method eq = Class.forName(cls).getDeclaredMethod(m[1], byte[].class, short.class, byte[].class, short.class, short.class);
            eq.setAccessible(true);
            byte[] a = new byte[20];
            byte[] b = new byte[24];
            for (int i = 0; i < 16; i++) { a[2 + i] = (byte) (i * 37); b[5 + i] = (byte) (i * 37); }
            assertTrue((Boolean) eq.invoke(null, a, (short) 2, b, (short) 5, (short) 16), cls);
            for (int i : new int[] {0, 7, 15}) {
                b[5 + i] ^= 0x01;
                assertFalse((Boolean) eq.invoke(null, a, (short) 2, b, (short) 5, (short) 16), cls + " byte " + i);
                b[5 + i] ^= 0x01;
            }
            b[5] ^= (byte) 0x80;
            assertFalse((Boolean) eq.invoke(null, a, (short) 2, b, (short) 5, (short) 16), cls + " sign bit");
        }
    }

    private static List<String> calls(String owner, String method) throws IOException {
        List<String> out = new ArrayList<>();
        boolean[] found = {false};
        try (InputStream in = MacCompareTest.class.getClassLoader().getResourceAsStream(owner + ".class")) {
            assertNotNull(in, owner);
            new ClassReader(in).accept(new ClassVisitor(Opcodes.ASM9) {
                @Override
                public MethodVisitor visitMethod(int access, String name, String desc, String sig, String[] ex) {
                    if (!name.equals(method)) return null;
                    found[0] = true;
                    return new MethodVisitor(Opcodes.ASM9) {
                        @Override
                        public void visitMethodInsn(int op, String o, String n, String d, boolean itf) {
                            out.add(o + "." + n);
                        }
                    };
                }
            }, 0);
        }
        if (!found[0]) out.add("<no method " + method + ">");
        return out;
    }
}
