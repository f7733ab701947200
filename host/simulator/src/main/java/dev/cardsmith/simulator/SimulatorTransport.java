package dev.cardsmith.simulator;

import dev.cardsmith.transport.*;
import com.licel.jcardsim.smartcardio.CardSimulator;
import com.licel.jcardsim.utils.AIDUtil;
import javacard.framework.AID;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.List;

/**
 * An in-process jCardSim card with every cardsmith applet installed, each with its
 * GlobalPlatform install data.
 *
 * <p>With a state file the card persists between processes. jCardSim's own Kryo persistence
 * (3.0.6.0) fails on key and signature objects, so the file is an event log instead: a
 * 32-byte card seed (the simulated silicon's entropy) and every APDU and reset the card ever
 * received. Opening the file re-installs the applets with randomness drawn deterministically
 * from the seed ({@link SimulatedEntropy}) and replays the log, so on-card generated keys come
 * back bit-identical. The
 * file therefore is the card: it holds what the chip's EEPROM would hold and must be
 * protected like one.
 */
public final class SimulatorTransport implements CardTransport {

    private static final byte[] MAGIC = {'C', 'S', 'S', 'I', 'M', '1'};
    private static final int REC_APDU = 1;
    private static final int REC_RESET = 2;

    private final CardSimulator sim;
    private final Path stateFile;
    private final List<AppletSpec> applets;
    private DataOutputStream journal;
    private boolean replaying;

    /** A fresh, volatile card with every cardsmith applet. */
    public SimulatorTransport() {
        this(AppletRegistry.all());
    }

    /** A fresh, volatile card with the given applets. */
    public SimulatorTransport(List<AppletSpec> applets) {
        this.applets = applets;
        this.stateFile = null;
        this.sim = new CardSimulator();
        install(null);
    }

    private SimulatorTransport(Path stateFile, List<AppletSpec> applets, byte[] seed) {
        this.applets = applets;
        this.stateFile = stateFile;
        this.sim = new CardSimulator();
        install(seed);
    }

    /**
     * Opens (or creates) a persistent simulated card. The applets' install parameters are part
     * of the card's history: a file created with one set keeps it.
     */
    public static SimulatorTransport open(Path stateFile) {
        return open(stateFile, AppletRegistry.all());
    }

    public static SimulatorTransport open(Path stateFile, List<AppletSpec> applets) {
        try {
            if (!Files.exists(stateFile) || Files.size(stateFile) == 0) {
                if (stateFile.getParent() != null) Files.createDirectories(stateFile.getParent());
                byte[] seed = new byte[32];
                new SecureRandom().nextBytes(seed);
                try (OutputStream out = Files.newOutputStream(stateFile, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING)) {
                    out.write(MAGIC);
                    out.write(seed);
                }
                SimulatorTransport t = new SimulatorTransport(stateFile, applets, seed);
                t.openJournal();
                return t;
            }
            SimulatorTransport t;
            try (DataInputStream in = new DataInputStream(Files.newInputStream(stateFile))) {
                byte[] magic = in.readNBytes(MAGIC.length);
                if (!java.util.Arrays.equals(magic, MAGIC)) {
                    throw new TransportException("not a cardsmith simulator state file: " + stateFile);
                }
                byte[] seed = in.readNBytes(32);
                if (seed.length != 32) throw new TransportException("truncated simulator state file: " + stateFile);
                t = new SimulatorTransport(stateFile, applets, seed);
                t.replay(in);
            }
            t.openJournal();
            return t;
        } catch (IOException e) {
            throw new TransportException("cannot use simulator state file " + stateFile + ": " + e.getMessage(), e);
        }
    }

    private void install(byte[] seed) {
        SimulatedEntropy.during(seed, () -> {
            // jCardSim's Signature.getInstance prints debug lines to System.out, which would
            // corrupt --json output; applets call it only while being installed.
            java.io.PrintStream stdout = System.out;
            System.setOut(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
            try {
                for (AppletSpec a : applets) {
                    AID aid = AIDUtil.create(a.instanceAid());
                    byte[] data = a.globalPlatformInstallData();
                    sim.installApplet(aid, a.appletClass(), data, (short) 0, (byte) data.length);
                }
            } finally {
                System.setOut(stdout);
            }
        });
    }

    private void replay(InputStream raw) throws IOException {
        DataInputStream in = new DataInputStream(raw);
        replaying = true;
        try {
            while (true) {
                int type;
                try {
                    type = in.readUnsignedByte();
                } catch (EOFException eof) {
                    return;
                }
                if (type == REC_RESET) {
                    sim.reset();
                } else if (type == REC_APDU) {
                    int len = in.readUnsignedShort();
                    byte[] apdu = in.readNBytes(len);
                    if (apdu.length != len) return; // a torn last record: the card never saw it
                    sim.transmitCommand(apdu);
                } else {
                    throw new TransportException("corrupt simulator state file " + stateFile);
                }
            }
        } finally {
            replaying = false;
        }
    }

    private void openJournal() throws IOException {
        journal = new DataOutputStream(Files.newOutputStream(stateFile, StandardOpenOption.APPEND));
    }

    private void record(int type, byte[] apdu) {
        if (journal == null || replaying) return;
        try {
            journal.writeByte(type);
            if (apdu != null) {
                journal.writeShort(apdu.length);
                journal.write(apdu);
            }
            journal.flush();
        } catch (IOException e) {
            throw new TransportException("cannot write simulator state file " + stateFile + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized byte[] transmit(byte[] commandApdu) {
        record(REC_APDU, commandApdu);
        return sim.transmitCommand(commandApdu);
    }

    @Override
    public byte[] atr() {
        return sim.getATR();
    }

    @Override
    public String name() {
        return stateFile == null ? "jCardSim (in memory)" : "jCardSim (" + stateFile + ")";
    }

    @Override
    public synchronized void reset() {
        record(REC_RESET, null);
        sim.reset();
    }

    @Override
    public void close() {
        if (journal != null) {
            try {
                journal.close();
            } catch (IOException ignored) {
                // nothing left to save
            }
            journal = null;
        }
    }
}
