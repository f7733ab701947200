package dev.cardsmith.applet.sim;

import org.junit.jupiter.api.Test;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Review finding: the applet expected all of Lc from one setIncomingAndReceive call (and answered
 * 6700 otherwise). The sim applet now receives through the platform layer's ApduIo only. On a card whose APDU buffer or T=0 block is smaller than the command (an
 * ENVELOPE with an SMS-PP download is up to ~200 bytes), setIncomingAndReceive returns only the
 * first part and the rest comes with receiveBytes. jCardSim always delivers everything at once
 * (its APDU buffer is 261 bytes and receiveBytes copies nothing: the data is already there), and
 * its APDU class is final, so no test can hand the applet a chunked command; this checks the
 * bytecode instead: receiveBytes is called inside a loop (a backward jump spans the call), and the
 * applet no longer compares the first chunk with Lc.
 */
class SimReceiveLoopTest {

    /** Per method of SimApplet: instruction index of every receiveBytes call, labels, jumps. */
    private static final class Shape {
        final List<Integer> receiveCalls = new ArrayList<>();
        final Map<Label, Integer> labels = new HashMap<>();
        final List<Object[]> jumps = new ArrayList<>(); // {index, Label}
        int incomingLengthCalls;
        int setIncomingCalls;
    }

    private static Map<String, Shape> scan(Class<?> c) throws IOException {
        Map<String, Shape> all = new HashMap<>();
        try (InputStream in = c.getResourceAsStream(c.getSimpleName() + ".class")) {
            new ClassReader(in).accept(new ClassVisitor(Opcodes.ASM9) {
                @Override
                public MethodVisitor visitMethod(int access, String name, String desc, String sig, String[] ex) {
                    Shape s = new Shape();
                    all.put(name + desc, s);
                    return new MethodVisitor(Opcodes.ASM9) {
                        int i;

                        @Override public void visitInsn(int op) { i++; }
                        @Override public void visitIntInsn(int op, int v) { i++; }
                        @Override public void visitVarInsn(int op, int v) { i++; }
                        @Override public void visitTypeInsn(int op, String t) { i++; }
                        @Override public void visitFieldInsn(int op, String o, String n, String d) { i++; }
                        @Override public void visitLdcInsn(Object v) { i++; }
                        @Override public void visitIincInsn(int v, int inc) { i++; }
                        @Override public void visitTableSwitchInsn(int a, int b, Label d, Label... l) { i++; }
                        @Override public void visitLookupSwitchInsn(Label d, int[] k, Label[] l) { i++; }
                        @Override public void visitLabel(Label l) { s.labels.put(l, i); }

                        @Override
                        public void visitJumpInsn(int op, Label l) {
                            s.jumps.add(new Object[] {i, l});
                            i++;
                        }

                        @Override
                        public void visitMethodInsn(int op, String o, String n, String d, boolean itf) {
                            if (o.equals("javacard/framework/APDU")) {
                                if (n.equals("receiveBytes")) s.receiveCalls.add(i);
                                if (n.equals("getIncomingLength")) s.incomingLengthCalls++;
                                if (n.equals("setIncomingAndReceive")) s.setIncomingCalls++;
                            }
                            i++;
                        }
                    };
                }
            }, 0);
        }
        return all;
    }

    private static boolean inLoop(Shape s, int call) {
        for (Object[] j : s.jumps) {
            int at = (Integer) j[0];
            Integer target = s.labels.get((Label) j[1]);
            if (target != null && at > call && target <= call) return true;
        }
        return false;
    }

    @Test
    void bug_envelopeExpectedAllOfLcFromOneSetIncomingAndReceive() throws IOException {
        for (Class<?> c : new Class<?>[] {SimApplet.class, OtaReceiver.class, OtaCommands.class}) {
            for (Shape s : scan(c).values()) {
                assertTrue(s.setIncomingCalls == 0 && s.receiveCalls.isEmpty(), c.getSimpleName() + " receives by itself, not through ApduIo");
            }
        }
        Map<String, Shape> io = scan(dev.cardsmith.applet.platform.ApduIo.class);
        int loops = 0;
        for (Shape s : io.values()) {
            for (int call : s.receiveCalls) {
                assertTrue(inLoop(s, call), "ApduIo: receiveBytes at " + call + " is not in a loop");
                loops++;
            }
        }
        assertTrue(loops > 0, "receiveBytes is never called: data beyond the first chunk is lost");
        assertTrue(io.values().stream().anyMatch(s -> s.incomingLengthCalls > 0), "Lc comes from getIncomingLength, not from the first chunk");
    }
}
