package dev.cardsmith.simulator.tear;

import com.licel.jcardsim.smartcardio.CardSimulator;
import com.licel.jcardsim.utils.AIDUtil;
import dev.cardsmith.simulator.AppletRegistry;
import dev.cardsmith.simulator.AppletSpec;
import dev.cardsmith.simulator.uicc.UiccToolkit;
import dev.cardsmith.transport.CardTransport;
import dev.cardsmith.transport.TransportException;
import javacard.framework.AID;
import javacard.framework.Applet;

import java.io.OutputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;

/**
 * A volatile jCardSim card whose applets behave as on a chip when power is lost: their classes
 * are loaded instrumented ({@link Instrumenter}), so the card rolls back transactions (on abort,
 * on power loss, when process() leaves one open), enforces a commit capacity, and can lose power
 * after the k-th persistent write of a command. The rules and what jCardSim alone does are in
 * docs/tearing.md.
 *
 * <pre>
 * TearingSimulator card = new TearingSimulator(List.of(AppletRegistry.byName("psd")));
 * card.armTearAfterWrites(3);          // the next command loses power after its 3rd write
 * card.transmit(apdu);                 // throws TransportException; the card is power-cycled
 * card.persistentState("psd");         // what the EEPROM holds now, field by field
 * </pre>
 *
 * Every instance has its own class loader, so applet statics are per card. Not thread-safe
 * beyond {@code synchronized} transmit; never used with real cards.
 */
public final class TearingSimulator implements CardTransport {

    private static final String SECURE_RANDOM_PROP = "com.licel.jcardsim.randomdata.secure";
    private static final Object INSTALL_LOCK = new Object();

    private final RollbackRuntime runtime = new RollbackRuntime();
    private final CardSimulator sim = new CardSimulator(runtime);
    /** The UICC toolkit runtime: its dispatch to processToolkit runs inside the command, so tears apply there too. */
    private final UiccToolkit toolkit = new UiccToolkit(runtime);
    private final Instrumenter.Loader loader;
    private final Map<String, AID> aids = new LinkedHashMap<>();
    private int armed = -1;
    private int lastWrites;
    private boolean lastTorn;

    /** Every cardsmith applet, instrumented. */
    public TearingSimulator() {
        this(AppletRegistry.all());
    }

    /** The given applets, instrumented together with every class under dev.cardsmith.applet and the applets' own packages. */
    public TearingSimulator(List<AppletSpec> applets) {
        Set<String> packages = new LinkedHashSet<>();
        packages.add("dev.cardsmith.applet");
        for (AppletSpec a : applets) packages.add(a.appletClass().getPackageName());
        loader = new Instrumenter.Loader(TearingSimulator.class.getClassLoader(), new ArrayList<>(packages));
        install(applets);
    }

    private void install(List<AppletSpec> applets) {
        // like SimulatorTransport without a state file: every simulated card its own randomness
        synchronized (INSTALL_LOCK) {
            String old = System.getProperty(SECURE_RANDOM_PROP);
            System.setProperty(SECURE_RANDOM_PROP, "1");
            PrintStream stdout = System.out; // jCardSim's Signature.getInstance prints debug lines
            System.setOut(new PrintStream(OutputStream.nullOutputStream()));
            try {
                for (AppletSpec a : applets) {
                    Class<? extends Applet> cls = loader.loadClass(a.appletClass().getName()).asSubclass(Applet.class);
                    AID aid = AIDUtil.create(a.instanceAid());
                    byte[] data = a.globalPlatformInstallData();
                    toolkit.install(aid, a.toolkitParams(), () -> sim.installApplet(aid, cls, data, (short) 0, (byte) data.length));
                    aids.put(a.name(), aid);
                }
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException("cannot load an applet class: " + e.getMessage(), e);
            } finally {
                System.setOut(stdout);
                if (old == null) System.clearProperty(SECURE_RANDOM_PROP);
                else System.setProperty(SECURE_RANDOM_PROP, old);
            }
        }
    }

    /**
     * Power is lost in the next command once {@code k} persistent writes of it are done: at its
     * next write, at a commit, or when process() returns (the response is then lost). k = 0 cuts
     * before the first write. A command with fewer than k writes completes normally and disarms.
     */
    public synchronized void armTearAfterWrites(int k) {
        if (k < 0) throw new IllegalArgumentException("k must be >= 0");
        armed = k;
    }

    /** Persistent write points the last command passed (a non-atomic copy or a key write counts two). */
    public synchronized int writesInLastCommand() {
        return lastWrites;
    }

    /** True when the last command lost power. */
    public synchronized boolean lastCommandTorn() {
        return lastTorn;
    }

    /** Commit capacity in bytes of logged data (default {@value RollbackRuntime#DEFAULT_COMMIT_CAPACITY}). */
    public synchronized void commitCapacity(int bytes) {
        runtime.commitCapacity(bytes);
    }

    /** Power off and on: open transaction rolled back, transient memory cleared, nothing selected. */
    public synchronized void powerCycle() {
        toolkit.reset();
        runtime.powerLoss();
    }

    @Override
    public synchronized byte[] transmit(byte[] commandApdu) {
        int k = armed;
        armed = -1;
        runtime.beginCommand(k);
        try {
            byte[] response = toolkit.transmit(commandApdu, sim::transmitCommand);
            runtime.endCommand();
            lastWrites = runtime.writes();
            lastTorn = false;
            return response;
        } catch (PowerLoss e) {
            lastWrites = runtime.writes();
            lastTorn = true;
            toolkit.reset();
            runtime.powerLoss();
            throw new TransportException("card torn: " + e.getMessage());
        }
    }

    /**
     * The persistent state of an installed applet: every field reachable from the applet object
     * through the applet's own classes, persistent arrays as hex, key objects by value
     * ("uninitialized" when clear), transient arrays and framework objects by kind only.
     */
    public synchronized SortedMap<String, String> persistentState(String appletName) {
        return PersistentState.of(applet(appletName), runtime, loader);
    }

    /** The instrumented applet instance (its class is not the caller's: read it by reflection). */
    public synchronized Applet applet(String appletName) {
        AID aid = aids.get(appletName);
        if (aid == null) throw new IllegalArgumentException("no applet named " + appletName + " on this card");
        return runtime.applet(aid);
    }

    @Override
    public byte[] atr() {
        return sim.getATR();
    }

    @Override
    public String name() {
        return "jCardSim with rollback and tearing";
    }

    @Override
    public void reset() {
        powerCycle();
    }

    @Override
    public void close() {
        // volatile: nothing to save
    }
}
