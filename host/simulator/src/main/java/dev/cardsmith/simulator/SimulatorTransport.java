package dev.cardsmith.simulator;

import dev.cardsmith.transport.*;
import com.licel.jcardsim.smartcardio.CardSimulator;
import com.licel.jcardsim.utils.AIDUtil;
import javacard.framework.AID;

import dev.cardsmith.simulator.uicc.UiccToolkit;
import dev.cardsmith.store.PrivateFiles;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.Arrays;
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
 * protected like one (it is created 0600).
 *
 * <p>File format 2 (docs/host-foundation.md): magic {@code CSSIM}, version byte 2, the body
 * length (4 bytes, big-endian), the body (seed, then the records), and SHA-256 over everything
 * before it. A file whose hash, length or magic does not match is refused, never replayed in
 * part or started afresh; an empty file is refused too (only a missing file makes a new card).
 * Every APDU and reset replaces the file atomically ({@link PrivateFiles#writeAtomically}), so
 * the file always holds every command the card answered. While a card is open, an exclusive
 * lock on {@code FILE.lock} keeps other processes out; they wait for it. Format-1 files (magic
 * {@code CSSIM1}, no hash) are still read and rewritten in format 2.
 */
public final class SimulatorTransport implements CardTransport {

    private static final byte[] MAGIC_V1 = {'C', 'S', 'S', 'I', 'M', '1'};
    private static final byte[] MAGIC = {'C', 'S', 'S', 'I', 'M'};
    private static final byte VERSION = 2;
    private static final int HEADER = MAGIC.length + 1 + 4;
    private static final int HASH = 32;
    private static final int SEED = 32;
    private static final int REC_APDU = 1;
    private static final int REC_RESET = 2;

    private final CardSimulator sim;
    /** The card's UICC toolkit runtime: ENVELOPE, TERMINAL PROFILE, FETCH, TERMINAL RESPONSE (docs/uicc-toolkit.md). */
    private final UiccToolkit toolkit;
    private final Path stateFile;
    private final List<AppletSpec> applets;
    /** The body of the file (seed and records) as it is on disk. */
    private ByteArrayOutputStream body;
    private FileChannel lockChannel;
    private FileLock lock;
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
        this.toolkit = new UiccToolkit(UiccToolkit.runtimeOf(sim));
        install(null);
    }

    private SimulatorTransport(Path stateFile, List<AppletSpec> applets, byte[] seed) {
        this.applets = applets;
        this.stateFile = stateFile;
        this.sim = new CardSimulator();
        this.toolkit = new UiccToolkit(UiccToolkit.runtimeOf(sim));
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
        FileChannel lockChannel = null;
        FileLock lock = null;
        try {
            Path abs = stateFile.toAbsolutePath();
            Files.createDirectories(abs.getParent());
            Path lockFile = abs.resolveSibling(abs.getFileName() + ".lock");
            lockChannel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            PrivateFiles.restrict(lockFile);
            try {
                lock = lockChannel.lock();
            } catch (java.nio.channels.OverlappingFileLockException e) {
                throw new TransportException("simulated card " + stateFile + " is already open in this process");
            }
            SimulatorTransport t;
            if (!Files.exists(stateFile)) {
                byte[] seed = new byte[SEED];
                new SecureRandom().nextBytes(seed);
                t = new SimulatorTransport(stateFile, applets, seed);
                t.body = new ByteArrayOutputStream();
                t.body.write(seed);
                t.save();
            } else {
                byte[] file = Files.readAllBytes(stateFile);
                byte[] body = readBody(stateFile, file);
                t = new SimulatorTransport(stateFile, applets, Arrays.copyOf(body, SEED));
                t.replay(new DataInputStream(new ByteArrayInputStream(body, SEED, body.length - SEED)));
                t.body = new ByteArrayOutputStream(body.length + 1024);
                t.body.write(body);
                if (startsWith(file, MAGIC_V1)) t.save(); // format 1 -> 2
            }
            t.lockChannel = lockChannel;
            t.lock = lock;
            return t;
        } catch (IOException e) {
            release(lock, lockChannel);
            throw new TransportException("cannot use simulated card " + stateFile + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            release(lock, lockChannel);
            throw e;
        }
    }

    /** The checked body of a card file; one-line reasons for everything that is not a whole card. */
    static byte[] readBody(Path stateFile, byte[] file) {
        if (file.length == 0) {
            throw new TransportException("simulated card " + stateFile + " is empty (damaged, not a card): restore it from a backup "
                    + "or remove it to start a new card");
        }
        if (startsWith(file, MAGIC_V1)) {
            if (file.length < MAGIC_V1.length + SEED) throw damaged(stateFile, "truncated");
            return Arrays.copyOfRange(file, MAGIC_V1.length, file.length);
        }
        if (!startsWith(file, MAGIC)) throw new TransportException("not a cardsmith simulator state file: " + stateFile);
        if (file.length < HEADER || file[MAGIC.length] != VERSION) {
            throw new TransportException("simulated card " + stateFile + " has format version " + (file.length > MAGIC.length ? file[MAGIC.length] : "?")
                    + "; this cardsmith reads version " + VERSION);
        }
        int len = ByteBuffer.wrap(file, MAGIC.length + 1, 4).getInt();
        if (len < SEED || (long) HEADER + len + HASH != file.length) throw damaged(stateFile, "truncated or extended");
        byte[] expected = sha256(file, 0, HEADER + len);
        if (!java.security.MessageDigest.isEqual(expected, Arrays.copyOfRange(file, HEADER + len, file.length))) {
            throw damaged(stateFile, "integrity check failed");
        }
        return Arrays.copyOfRange(file, HEADER, HEADER + len);
    }

    private static TransportException damaged(Path stateFile, String why) {
        return new TransportException("simulated card " + stateFile + " is damaged (" + why + "): restore it from a backup; "
                + "it was not used");
    }

    private static boolean startsWith(byte[] file, byte[] prefix) {
        return file.length >= prefix.length && Arrays.equals(file, 0, prefix.length, prefix, 0, prefix.length);
    }

    private static byte[] sha256(byte[] data, int off, int len) {
        try {
            java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
            md.update(data, off, len);
            return md.digest();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Replaces the file with header, body and hash (atomically, 0600). */
    private void save() throws IOException {
        byte[] b = body.toByteArray();
        byte[] file = new byte[HEADER + b.length + HASH];
        System.arraycopy(MAGIC, 0, file, 0, MAGIC.length);
        file[MAGIC.length] = VERSION;
        ByteBuffer.wrap(file, MAGIC.length + 1, 4).putInt(b.length);
        System.arraycopy(b, 0, file, HEADER, b.length);
        System.arraycopy(sha256(file, 0, HEADER + b.length), 0, file, HEADER + b.length, HASH);
        PrivateFiles.writeAtomically(stateFile, file);
    }

    private static void release(FileLock lock, FileChannel channel) {
        try {
            if (lock != null) lock.release();
            if (channel != null) channel.close();
        } catch (IOException ignored) {
            // the lock goes with the channel
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
                    toolkit.install(aid, a.toolkitParams(), () -> sim.installApplet(aid, a.appletClass(), data, (short) 0, (byte) data.length));
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
                    toolkit.reset();
                    sim.reset();
                } else if (type == REC_APDU) {
                    int len = in.readUnsignedShort();
                    byte[] apdu = in.readNBytes(len);
                    if (apdu.length != len) throw damaged(stateFile, "torn record");
                    toolkit.transmit(apdu, sim::transmitCommand);
                } else {
                    throw new TransportException("corrupt simulator state file " + stateFile);
                }
            }
        } finally {
            replaying = false;
        }
    }

    private void record(int type, byte[] apdu) {
        if (body == null || replaying) return;
        body.write(type);
        if (apdu != null) {
            body.write(apdu.length >> 8);
            body.write(apdu.length);
            body.writeBytes(apdu);
        }
        try {
            save();
        } catch (IOException e) {
            throw new TransportException("cannot write simulated card " + stateFile + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized byte[] transmit(byte[] commandApdu) {
        record(REC_APDU, commandApdu);
        return toolkit.transmit(commandApdu, sim::transmitCommand);
    }

    /** This card's toolkit runtime (TARs, terminal profile); the APDUs go through {@link #transmit}. */
    public UiccToolkit toolkit() {
        return toolkit;
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
        toolkit.reset();
        sim.reset();
    }

    @Override
    public synchronized void close() {
        release(lock, lockChannel);
        lock = null;
        lockChannel = null;
        body = null;
    }
}
