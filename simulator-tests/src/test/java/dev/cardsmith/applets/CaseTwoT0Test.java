package dev.cardsmith.applets;

import com.licel.jcardsim.smartcardio.CardSimulator;
import com.licel.jcardsim.utils.AIDUtil;
import dev.cardsmith.simulator.AppletSpec;
import dev.cardsmith.simulator.AppletRegistry;
import dev.cardsmith.support.SimulatorOnly;
import javacard.framework.AID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import javax.smartcardio.CommandAPDU;
import javax.smartcardio.ResponseAPDU;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Review finding: the vault's GET DATA / GET CHALLENGE and the module's GET STATUS / GENERATE
 * IDENTITY are case-2 commands (no data, Le), but the applets called
 * {@code APDU.setIncomingAndReceive()} on them. The Java Card API allows that call only on case 3
 * and 4: under T=0 the runtime cannot tell case 2 from case 3 and takes P3 (= Le) as Lc, so a real
 * T=0 card acknowledges and waits for P3 data bytes the terminal never sends (the command hangs).
 *
 * <p>jCardSim cannot model the hang. The observable proxy: with the simulator switched to T=0 the
 * applets must not treat P3 of these commands as a body length, i.e. a header whose P3 jCardSim
 * reads as Lc is still answered as the case-2 command it is, not with 6700. (jCardSim's default
 * protocol is T=0; under T=1 the strict "no data" check stays.)
 */
@SimulatorOnly("drives jCardSim's CardSimulator directly in T=0")
class CaseTwoT0Test {

    CardSimulator sim;

    @BeforeEach
    void install() {
        sim = new CardSimulator();
        for (AppletSpec a : AppletRegistry.all()) {
            AID aid = AIDUtil.create(a.instanceAid());
            byte[] data = a.globalPlatformInstallData();
            sim.installApplet(aid, a.appletClass(), data, (short) 0, (byte) data.length);
        }
        sim.changeProtocol("T=0");
    }

    @AfterEach
    void reset() {
        sim.reset();
    }

    private ResponseAPDU run(String name, CommandAPDU c) {
        sim.selectApplet(AIDUtil.create(AppletRegistry.byName(name).instanceAid()));
        return sim.transmitCommand(c);
    }

    @Test
    void vaultCaseTwoCommandsDoNotReadP3AsLcUnderT0() {
        ResponseAPDU id = run("vault", new CommandAPDU(0x80, dev.cardsmith.applet.vault.Constants.INS_GET_DATA, 0x00, 0xC1, new byte[1]));
        assertEquals(0x9000, id.getSW(), "GET DATA chip ID");
        assertEquals(16, id.getData().length);
        ResponseAPDU ch = run("vault", new CommandAPDU(0x80, dev.cardsmith.applet.vault.Constants.INS_GET_CHALLENGE, 0, 0, new byte[1]));
        assertEquals(0x9000, ch.getSW(), "GET CHALLENGE");
    }

    @Test
    void underT1DataOnCaseTwoCommandsIsStillRefused() {
        sim.changeProtocol("T=1");
        assertEquals(0x6700, run("vault", new CommandAPDU(0x80, dev.cardsmith.applet.vault.Constants.INS_GET_DATA, 0x00, 0xC1, new byte[1])).getSW());
        assertEquals(0x6700, run("vault", new CommandAPDU(0x80, dev.cardsmith.applet.vault.Constants.INS_GET_CHALLENGE, 0, 0, new byte[1])).getSW());
        assertEquals(0x6700, run("module", new CommandAPDU(0x80, dev.cardsmith.applet.module.Constants.INS_GET_STATUS, 0, 0, new byte[1])).getSW());
        assertEquals(0x9000, run("vault", new CommandAPDU(0x80, dev.cardsmith.applet.vault.Constants.INS_GET_DATA, 0x00, 0xC1, 16)).getSW());
        assertEquals(0x9000, run("module", new CommandAPDU(0x80, dev.cardsmith.applet.module.Constants.INS_GET_STATUS, 0, 0, 256)).getSW());
    }

    @Test
    void moduleCaseTwoCommandsDoNotReadP3AsLcUnderT0() {
        ResponseAPDU st = run("module", new CommandAPDU(0x80, dev.cardsmith.applet.module.Constants.INS_GET_STATUS, 0, 0, new byte[1]));
        assertEquals(0x9000, st.getSW(), "GET STATUS");
        assertEquals(12, st.getData().length);
    }
}
