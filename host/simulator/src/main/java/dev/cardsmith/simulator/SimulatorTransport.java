package dev.cardsmith.simulator;

import dev.cardsmith.transport.*;
import com.licel.jcardsim.smartcardio.CardSimulator;
import com.licel.jcardsim.utils.AIDUtil;
import javacard.framework.AID;

import dev.cardsmith.simulator.uicc.UiccToolkit;
import dev.cardsmith.store.PrivateFiles;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
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
 * <p>File format 3 (docs/host-foundation.md): magic {@code CSSIM}, version byte 3, the body
 * length (4 bytes, big-endian), the body (seed, then the records), and SHA-256 over everything
 * before it. A file whose hash, length or magic does not match is refused, never replayed in
 * part or started afresh; an empty file is refused too (only a missing file makes a new card).
 * Every APDU and reset replaces the file atomically ({@link PrivateFiles#writeAtomically}), so
 * the file always holds every command the card answered. While a card is open, an exclusive
 * lock on {@code FILE.lock} keeps other processes out; they wait for it.
 *
 * <p>Opening a saved card is inserting it: the card is powered up (reset) and no transient state
 * survives from the last command that used it. When a command closes the card (or the next open
 * finds commands after the last snapshot, after a crash), the card is reset and a snapshot of its
 * persistent state ({@link CardSnapshot}) goes into the file as the last record, replacing the one
 * before. Opening then installs the applets, restores the snapshot (checked against itself) and
 * replays only the records after it, so opening costs the same whatever the card's history. The
 * full log stays in the file: a snapshot that does not restore exactly is ignored and the log is
 * replayed from the start. Format-2 files (no snapshots) and format-1 files (magic {@code CSSIM1},
 * no hash) are read and rewritten in format 3.
 */
public final class SimulatorTransport implements CardTransport {

    private static final byte[] MAGIC_V1 = {'C', 'S', 'S', 'I', 'M', '1'};
    private static final byte[] MAGIC = {'C', 'S', 'S', 'I', 'M'};
    private static final byte VERSION = 3;
    private static final byte VERSION_2 = 2;
    private static final int HEADER = MAGIC.length + 1 + 4;
    private static final int HASH = 32;
    private static final int SEED = 32;
    private static final int REC_APDU = 1;
    private static final int REC_RESET = 2;
    private static final int REC_SNAPSHOT = 3;

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
    /** The card-seeded random streams install created (a persistent card only). */
    private List<SimulatedEntropy.Spi> streams = List.of();
    /** Where the snapshot record starts in {@link #body}; -1 when there is none. */
    private int snapshotAt = -1;
    /** APDUs the card received since it was opened (or since the last snapshot). */
    private int sinceSnapshot;
    /** APDU records replayed when the card was opened (0 when the snapshot covered everything). */
    private int replayedOnOpen;

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
                t = restoreOrReplay(stateFile, applets, body);
                if (t.sinceSnapshot > 0 || file[MAGIC.length] != VERSION) t.powerDown(); // crash, or an older format
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
        if (file.length < HEADER || (file[MAGIC.length] != VERSION && file[MAGIC.length] != VERSION_2)) {
            throw new TransportException("simulated card " + stateFile + " has format version " + (file.length > MAGIC.length ? file[MAGIC.length] : "?")
                    + "; this cardsmith reads versions " + VERSION_2 + " and " + VERSION);
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
        streams = SimulatedEntropy.during(seed, () -> {
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

    /** One record of the body: its type and where it starts and its payload lies. */
    private static final class Rec {
        final int type;
        final int start;
        final int dataStart;
        final int dataEnd;

        Rec(int type, int start, int dataStart, int dataEnd) {
            this.type = type;
            this.start = start;
            this.dataStart = dataStart;
            this.dataEnd = dataEnd;
        }
    }

    private static List<Rec> records(Path stateFile, byte[] body) {
        List<Rec> out = new java.util.ArrayList<>();
        int p = SEED;
        while (p < body.length) {
            int type = body[p] & 0xFF;
            if (type == REC_RESET) {
                out.add(new Rec(type, p, p + 1, p + 1));
                p += 1;
            } else if (type == REC_APDU) {
                if (p + 3 > body.length) throw damaged(stateFile, "torn record");
                int len = ((body[p + 1] & 0xFF) << 8) | (body[p + 2] & 0xFF);
                if (p + 3 + len > body.length) throw damaged(stateFile, "torn record");
                out.add(new Rec(type, p, p + 3, p + 3 + len));
                p += 3 + len;
            } else if (type == REC_SNAPSHOT) {
                if (p + 5 > body.length) throw damaged(stateFile, "torn record");
                int len = ByteBuffer.wrap(body, p + 1, 4).getInt();
                if (len < 0 || p + 5L + len > body.length) throw damaged(stateFile, "torn record");
                out.add(new Rec(type, p, p + 5, p + 5 + len));
                p += 5 + len;
            } else {
                throw new TransportException("corrupt simulator state file " + stateFile);
            }
        }
        return out;
    }

    /**
     * The card the body describes: its last snapshot restored and the records after it replayed,
     * or, when there is no snapshot or it does not restore exactly, every record replayed.
     */
    private static SimulatorTransport restoreOrReplay(Path stateFile, List<AppletSpec> applets, byte[] body) {
        byte[] seed = Arrays.copyOf(body, SEED);
        List<Rec> recs = records(stateFile, body);
        int last = -1;
        for (int i = 0; i < recs.size(); i++) if (recs.get(i).type == REC_SNAPSHOT) last = i;
        SimulatorTransport t = new SimulatorTransport(stateFile, applets, seed);
        int from = 0;
        if (last >= 0) {
            Rec r = recs.get(last);
            try {
                byte[] snap = unseal(seed, Arrays.copyOfRange(body, r.dataStart, r.dataEnd));
                CardSnapshot.restore(t.sim, t.streams, snap);
                if (Boolean.getBoolean(VERIFY_PROPERTY)) verifyAgainstReplay(stateFile, applets, body, recs, last, snap);
                from = last + 1;
                t.snapshotAt = r.start;
            } catch (CardSnapshot.Unsupported e) {
                t = new SimulatorTransport(stateFile, applets, seed); // the half-restored card is dropped
            }
        }
        t.replay(body, recs.subList(from, recs.size()));
        t.replayedOnOpen = t.sinceSnapshot;
        if (last >= 0 && t.snapshotAt < 0) t.snapshotAt = recs.get(last).start; // replaced at the next power-down
        t.body = new ByteArrayOutputStream(body.length + 1024);
        t.body.write(body, 0, body.length);
        return t;
    }

    /** Opens and closes a saved card; returns how many APDU records the open replayed (tests, benchmarks). */
    static int openAndCountReplayed(Path stateFile, List<AppletSpec> applets) {
        SimulatorTransport t = open(stateFile, applets);
        try {
            return t.replayedOnOpen;
        } finally {
            t.close();
        }
    }

    /**
     * Test property: every snapshot restored is also checked against a full replay of the records
     * before it (simulator-tests sets it, so every saved card the end-to-end suite opens is checked).
     */
    static final String VERIFY_PROPERTY = "cardsmith.sim.verifySnapshots";

    private static void verifyAgainstReplay(Path stateFile, List<AppletSpec> applets, byte[] body, List<Rec> recs, int last,
                                            byte[] snap) throws CardSnapshot.Unsupported {
        SimulatorTransport replayed = new SimulatorTransport(stateFile, applets, Arrays.copyOf(body, SEED));
        replayed.replay(body, recs.subList(0, last));
        if (!Arrays.equals(snap, CardSnapshot.capture(replayed.sim, replayed.streams))) {
            throw new IllegalStateException("snapshot of " + stateFile + " differs from the replayed card");
        }
    }

    /**
     * The snapshot holds the card's EEPROM (its keys): it is stored AES-256-GCM encrypted under a
     * key derived from the card seed, like everything else in the file protected by that seed
     * (which stands for the chip's own secret), so no key appears in the file in clear.
     */
    private static byte[] seal(byte[] seed, byte[] snapshot) {
        try {
            byte[] nonce = new byte[12];
            new SecureRandom().nextBytes(nonce);
            javax.crypto.Cipher c = javax.crypto.Cipher.getInstance("AES/GCM/NoPadding");
            c.init(javax.crypto.Cipher.ENCRYPT_MODE, snapshotKey(seed), new javax.crypto.spec.GCMParameterSpec(128, nonce));
            byte[] ct = c.doFinal(snapshot);
            byte[] out = Arrays.copyOf(nonce, nonce.length + ct.length);
            System.arraycopy(ct, 0, out, nonce.length, ct.length);
            return out;
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] unseal(byte[] seed, byte[] sealed) throws CardSnapshot.Unsupported {
        try {
            if (sealed.length < 12 + 16) throw new CardSnapshot.Unsupported("snapshot too short");
            javax.crypto.Cipher c = javax.crypto.Cipher.getInstance("AES/GCM/NoPadding");
            c.init(javax.crypto.Cipher.DECRYPT_MODE, snapshotKey(seed), new javax.crypto.spec.GCMParameterSpec(128, sealed, 0, 12));
            return c.doFinal(sealed, 12, sealed.length - 12);
        } catch (java.security.GeneralSecurityException e) {
            throw new CardSnapshot.Unsupported("snapshot does not decrypt");
        }
    }

    private static javax.crypto.spec.SecretKeySpec snapshotKey(byte[] seed) {
        byte[] label = "cardsmith simulated card snapshot key".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        byte[] in = Arrays.copyOf(seed, seed.length + label.length);
        System.arraycopy(label, 0, in, seed.length, label.length);
        return new javax.crypto.spec.SecretKeySpec(sha256(in, 0, in.length), "AES");
    }

    private void replay(byte[] body, List<Rec> recs) {
        replaying = true;
        try {
            for (Rec r : recs) {
                if (r.type == REC_RESET) {
                    toolkit.reset();
                    sim.reset();
                } else if (r.type == REC_APDU) {
                    toolkit.transmit(Arrays.copyOfRange(body, r.dataStart, r.dataEnd), sim::transmitCommand);
                    sinceSnapshot++;
                }
            }
        } finally {
            replaying = false;
        }
    }

    /**
     * Powers the card down (a reset record) and, when the card's state can be captured, puts a
     * snapshot of it in place of the previous one; then saves the file.
     */
    private void powerDown() throws IOException {
        body.write(REC_RESET);
        toolkit.reset();
        sim.reset();
        byte[] snap = null;
        try {
            snap = seal(Arrays.copyOf(body.toByteArray(), SEED), CardSnapshot.capture(sim, streams));
        } catch (CardSnapshot.Unsupported e) {
            // this card's state has objects the snapshot does not model: it keeps opening by replay
            if (Boolean.getBoolean(VERIFY_PROPERTY)) throw new IllegalStateException("cannot snapshot " + stateFile + ": " + e.getMessage(), e);
        }
        if (snap != null) {
            byte[] b = body.toByteArray();
            ByteArrayOutputStream next = new ByteArrayOutputStream(b.length + snap.length + 1024);
            if (snapshotAt < 0) {
                next.write(b, 0, b.length);
            } else {
                int len = ByteBuffer.wrap(b, snapshotAt + 1, 4).getInt();
                next.write(b, 0, snapshotAt);
                next.write(b, snapshotAt + 5 + len, b.length - (snapshotAt + 5 + len));
            }
            snapshotAt = next.size();
            next.write(REC_SNAPSHOT);
            next.write(ByteBuffer.allocate(4).putInt(snap.length).array());
            next.write(snap);
            body = next;
        }
        sinceSnapshot = 0;
        save();
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
        if (body != null) sinceSnapshot++;
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
        try {
            if (body != null && sinceSnapshot > 0) powerDown();
        } catch (IOException e) {
            throw new TransportException("cannot write simulated card " + stateFile + ": " + e.getMessage(), e);
        } finally {
            release(lock, lockChannel);
            lock = null;
            lockChannel = null;
            body = null;
        }
    }
}
