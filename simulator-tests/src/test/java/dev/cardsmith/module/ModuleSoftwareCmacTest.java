package dev.cardsmith.module;

import com.licel.jcardsim.base.Simulator;
import com.licel.jcardsim.base.SimulatorRuntime;
import com.licel.jcardsim.base.TransientMemory;
import com.licel.jcardsim.smartcardio.CardSimulator;
import com.licel.jcardsim.utils.AIDUtil;
import dev.cardsmith.applet.module.Constants;
import dev.cardsmith.applet.platform.Sw;
import dev.cardsmith.simulator.AppletSpec;
import dev.cardsmith.transport.CardSession;
import dev.cardsmith.transport.CardStatusException;
import dev.cardsmith.simulator.AppletRegistry;
import dev.cardsmith.support.SimulatorOnly;
import javacard.framework.AID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.smartcardio.CommandAPDU;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Portability finding: a card without the optional Signature.ALG_AES_CMAC_128 runs the module on
 * its software AES-CMAC (over AES-ECB). jCardSim has the platform CMAC, so the test forces the
 * software path through the package-private install-time switch {@code Crypto.forceSoftwareCmac}
 * (set by reflection around the install, never by the applet; docs/module.md "Algorithms") and
 * proves the whole protocol on it: personalization (C-MAC / R-MAC secure messaging, checked by
 * the host with BouncyCastle), central session (receipt MAC), transactions, and the MAC checks
 * still rejecting forgeries. Transient RAM on that path stays within the 1 KB budget (the layer's
 * AesCmac allocates its 49-byte software state on both paths, so both paths use the same RAM).
 */
@SimulatorOnly("switches the module applet to its software CMAC at install, in the same JVM")
class ModuleSoftwareCmacTest {

    @TempDir
    Path dir;
    ModuleFixture f;
    String moduleId;

    static void forceSoftwareCmac(boolean on) throws ReflectiveOperationException {
        Field sw = Class.forName("dev.cardsmith.applet.module.Crypto").getDeclaredField("forceSoftwareCmac");
        sw.setAccessible(true);
        sw.setBoolean(null, on);
    }

    @BeforeEach
    void setUp() throws Exception {
        forceSoftwareCmac(true);
        try {
            f = new ModuleFixture(dir); // installs the module applet on a fresh simulated card
        } finally {
            forceSoftwareCmac(false);
        }
        assertTrue(softwareCmacOnCard(f.session), "the module must run its software CMAC in this test");
        moduleId = f.enroll();
        f.select();
    }

    @AfterEach
    void tearDown() {
        f.close();
    }

    @Test
    void claim1_personalizationCentralSessionAndTransactionsOnTheSoftwareCmac() {
        assertFalse(f.status().operating());
        f.enterTan(f.issueTan(moduleId));
        PersonalizationUnit.Result r = new PersonalizationUnit(f.ca).personalize(f.card(true), ModuleFixture.TODAY, null);
        assertEquals(moduleId, r.moduleId());
        assertTrue(f.status().operating());

        CentralSystem central = new CentralSystem(f.ca);
        assertEquals(moduleId, central.authenticate(f.card(true), ModuleFixture.TODAY).moduleId());
        assertTrue(f.status().has(Constants.FLAG_TRANSACTION_KEY));
        f.session.reset(); // the software state is CLEAR_ON_DESELECT: a new connection starts clean
        f.select();
        for (int i = 1; i <= 3; i++) {
            byte[] receipt = central.transact(f.card(false), moduleId, ("pay " + i).repeat(i * 7).getBytes(StandardCharsets.UTF_8));
            assertEquals(16, receipt.length);
        }
        assertEquals(3, f.status().transactionCounter());
    }

    @Test
    void personalizationOverShortApdusOnTheSoftwareCmac() {
        // chained short APDUs: PERSO STORE CERTS is MACed over the staged body
        PersonalizationUnit.Result r = f.personalize(false);
        assertEquals(moduleId, r.moduleId());
        assertTrue(f.status().operating());
    }

    @Test
    void claim3_tamperedSecureMessagingIsRejectedOnTheSoftwareCmac() {
        f.enterTan(f.issueTan(moduleId));
        ModuleCard tampering = new ModuleCard(new dev.cardsmith.transport.ApduChannel() {
            @Override public javax.smartcardio.ResponseAPDU transmit(CommandAPDU c) {
                if (c.getINS() == (Constants.INS_PERSO_AUTHENTICATE & 0xFF)) {
                    byte[] d = c.getData();
                    d[d.length - 1] ^= 0x01; // last byte of the C-MAC
                    c = new CommandAPDU(c.getCLA(), c.getINS(), c.getP1(), c.getP2(), d, 256);
                }
                return f.session.transmit(c);
            }
            @Override public boolean extendedLength() { return false; }
        });
        CardStatusException e = assertThrows(CardStatusException.class,
                () -> new PersonalizationUnit(f.ca).personalize(tampering, ModuleFixture.TODAY, null));
        assertEquals(Sw.SECURITY_STATUS_NOT_SATISFIED & 0xFFFF, e.sw());
        assertFalse(f.status().operating());
    }

    @Test
    void claim11_forgedOrReplayedTransactionIsRejectedOnTheSoftwareCmac() {
        f.personalize(true);
        CentralSystem central = new CentralSystem(f.ca);
        central.authenticate(f.card(true), ModuleFixture.TODAY);
        byte[][] sent = new byte[1][];
        ModuleCard recording = new ModuleCard(c -> {
            sent[0] = c.getBytes();
            return f.session.transmit(c);
        });
        central.transact(recording, moduleId, "pay 1".getBytes(StandardCharsets.UTF_8));
        assertEquals(Sw.SECURITY_STATUS_NOT_SATISFIED & 0xFFFF, f.session.transmit(new CommandAPDU(sent[0])).getSW());
        byte[] forged = sent[0].clone();
        forged[forged.length - 2] ^= 1; // MAC byte (before Le)
        assertEquals(Sw.SECURITY_STATUS_NOT_SATISFIED & 0xFFFF, f.session.transmit(new CommandAPDU(forged)).getSW());
        assertEquals(1, f.status().transactionCounter());
    }

    @Test
    void softwareCmacRamStaysWithinTheBudget() throws Exception {
        int platform = installedRam(false);
        int software = installedRam(true);
        System.out.println("transient RAM module: platform CMAC " + platform + " bytes, software CMAC " + software + " bytes");
        assertEquals(platform, software, "the layer's AesCmac holds its software state on both paths");
        assertTrue(software <= 1024, "module uses " + software + " bytes of transient RAM on the software CMAC (budget 1024)");
    }

    private static int installedRam(boolean software) throws Exception {
        AppletSpec a = AppletRegistry.byName("module");
        CardSimulator sim = new CardSimulator();
        try {
            TransientMemory mem = runtime(sim).getTransientMemory();
            int before = transientBytes(mem);
            byte[] data = a.globalPlatformInstallData();
            forceSoftwareCmac(software);
            try {
                sim.installApplet(AIDUtil.create(a.instanceAid()), a.appletClass(), data, (short) 0, (byte) data.length);
            } finally {
                forceSoftwareCmac(false);
            }
            sim.selectApplet(AIDUtil.create(a.instanceAid()));
            return transientBytes(mem) - before;
        } finally {
            sim.resetRuntime();
        }
    }

    /** Reads crypto.cmac.isSoftware() of the module applet installed behind {@code session}. */
    static boolean softwareCmacOnCard(CardSession session) throws ReflectiveOperationException {
        Object cmac = field(field(ModuleOnCard.applet(session), "crypto"), "cmac");
        Method isSoftware = cmac.getClass().getDeclaredMethod("isSoftware");
        return (Boolean) isSoftware.invoke(cmac);
    }

    private static Object field(Object o, String name) throws ReflectiveOperationException {
        return ModuleOnCard.field(o, name);
    }

    private static SimulatorRuntime runtime(Simulator sim) throws ReflectiveOperationException {
        return ModuleOnCard.runtime(sim);
    }

    @SuppressWarnings("unchecked")
    private static int transientBytes(TransientMemory mem) throws ReflectiveOperationException {
        int total = 0;
        for (String name : List.of("clearOnDeselect", "clearOnReset")) {
            for (Object o : (List<Object>) field(mem, name)) {
                if (o instanceof byte[] b) total += b.length;
                else if (o instanceof boolean[] b) total += b.length;
                else if (o instanceof short[] s) total += 2 * s.length;
                else if (o instanceof Object[] r) total += 2 * r.length;
            }
        }
        return total;
    }
}
