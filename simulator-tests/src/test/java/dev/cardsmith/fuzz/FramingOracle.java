package dev.cardsmith.fuzz;

import com.licel.jcardsim.smartcardio.CardSimulator;
import com.licel.jcardsim.utils.AIDUtil;
import javacard.framework.AID;
import javacard.framework.APDU;
import javacard.framework.Applet;
import javacardx.apdu.ExtendedLength;

/**
 * Tells an applet's 6F00 from jCardSim's own: some APDUs never reach any applet in jCardSim
 * (its parser throws IllegalArgumentException on a header shorter than 4 bytes or an Lc/Le that
 * does not fit, and a 261-byte case-4 APDU overflows its APDU buffer into 6F00). A real card's
 * JCRE answers those with 6700. The oracle sends the same bytes to an applet that receives
 * everything and always answers 9000: if that one fails too, the APDU is a simulator framing
 * limitation, counted but not a finding.
 */
final class FramingOracle {

    private static final AID PLAIN = AIDUtil.create("F0CA5D5F0001");
    private static final AID EXTENDED = AIDUtil.create("F0CA5D5F0002");

    /** Receives the whole command, catches everything, answers 9000. */
    public static class Probe extends Applet {
        public static void install(byte[] b, short off, byte len) { new Probe().register(); }

        @Override
        public void process(APDU apdu) {
            if (selectingApplet()) return;
            try {
                short n = apdu.setIncomingAndReceive();
                while (n > 0) n = apdu.receiveBytes(apdu.getOffsetCdata());
            } catch (RuntimeException ignored) {
                // framing the JCRE accepted but the probe cannot read: still not the applet's fault
            }
        }
    }

    /** The same with extended-length support. */
    public static class ExtendedProbe extends Probe implements ExtendedLength {
        public static void install(byte[] b, short off, byte len) { new ExtendedProbe().register(); }
    }

    private final CardSimulator plain = new CardSimulator();
    private final CardSimulator extended = new CardSimulator();

    FramingOracle() {
        plain.installApplet(PLAIN, Probe.class);
        extended.installApplet(EXTENDED, ExtendedProbe.class);
    }

    /** True when jCardSim fails this APDU (exception or 6F00) even for an applet that accepts anything. */
    boolean simulatorRejects(byte[] apdu, boolean extendedLength) {
        CardSimulator s = extendedLength ? extended : plain;
        s.selectApplet(extendedLength ? EXTENDED : PLAIN);
        try {
            byte[] r = s.transmitCommand(apdu);
            return FuzzEngine.sw(r) == 0x6F00;
        } catch (RuntimeException e) {
            return true;
        }
    }
}
