package dev.cardsmith.simulator.uicc;

import dev.cardsmith.simulator.AppletSpec;
import dev.cardsmith.simulator.tear.TearingSimulator;
import dev.cardsmith.simulator.tear.probe.ToolkitRamProbe;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.cardsmith.simulator.uicc.UiccToolkitTest.CPI;
import static dev.cardsmith.simulator.uicc.UiccToolkitTest.HEX;
import static dev.cardsmith.simulator.uicc.UiccToolkitTest.TAR;
import static dev.cardsmith.simulator.uicc.UiccToolkitTest.deliver;
import static dev.cardsmith.simulator.uicc.UiccToolkitTest.envelope;
import static dev.cardsmith.simulator.uicc.UiccToolkitTest.packet;
import static dev.cardsmith.simulator.uicc.UiccToolkitTest.sw;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * JC 3.0.5 runtime 6.1.3 / TS 102 241 6.2 on the simulated UICC: in processToolkit the applet is
 * not selected and its CLEAR_ON_DESELECT memory is not accessible. The instrumented rollback
 * runtime (TearingSimulator) enforces it: any load, store or Util call on such an array there
 * throws SecurityException, which the toolkit runtime answers as an applet fault (6F00).
 */
class ToolkitContextTest {

    static final byte[] AID = HEX.parseHex("F0435354FE0101");

    static TearingSimulator card() {
        return new TearingSimulator(List.of(new AppletSpec("ramprobe", HEX.parseHex("F0435354FE01"), AID, ToolkitRamProbe.class,
                new byte[0]).withToolkitParams(ToolkitParams.ofTars(TAR).encode())));
    }

    static byte[] sms(char last) {
        return envelope(deliver(CPI, packet(TAR, 0x21, new byte[] {1, 2, (byte) last})));
    }

    @Test
    void clearOnResetMemoryWorksInProcessToolkit() {
        TearingSimulator c = card();
        byte[] r = c.transmit(sms('R'));
        assertEquals(0x9000, sw(r));
        assertEquals("019000", HEX.formatHex(r));
        assertEquals("029000", HEX.formatHex(c.transmit(sms('R'))));
    }

    @Test
    void clearOnDeselectMemoryInProcessToolkitThrowsSecurityException() {
        TearingSimulator c = card();
        assertEquals(0x6F00, sw(c.transmit(sms('D'))), "read");
        assertEquals(0x6F00, sw(c.transmit(sms('W'))), "write");
        assertEquals(0x6F00, sw(c.transmit(sms('U'))), "Util.arrayCopyNonAtomic");
        // the same array while the applet is selected: allowed
        byte[] sel = new byte[5 + AID.length];
        System.arraycopy(new byte[] {0x00, (byte) 0xA4, 0x04, 0x00, (byte) AID.length}, 0, sel, 0, 5);
        System.arraycopy(AID, 0, sel, 5, AID.length);
        assertEquals(0x9000, sw(c.transmit(sel)));
        assertEquals("019000", HEX.formatHex(c.transmit(new byte[] {(byte) 0x80, 0x01, 0, 0, 1})));
        // the context ends with processToolkit: the selected applet still reaches its array afterwards
        assertEquals("019000", HEX.formatHex(c.transmit(sms('R'))));
        assertEquals("029000", HEX.formatHex(c.transmit(new byte[] {(byte) 0x80, 0x01, 0, 0, 1})));
    }
}
