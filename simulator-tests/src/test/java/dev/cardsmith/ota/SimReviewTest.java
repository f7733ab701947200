package dev.cardsmith.ota;

import dev.cardsmith.codec.Imei;
import com.licel.jcardsim.base.Simulator;
import com.licel.jcardsim.base.SimulatorRuntime;
import dev.cardsmith.applet.platform.Sw;
import dev.cardsmith.applet.sim.Constants;
import dev.cardsmith.ota.terminal.Terminal;
import dev.cardsmith.transport.CardSession;
import dev.cardsmith.support.CardTest;
import dev.cardsmith.support.SimulatorOnly;
import javacard.framework.AID;
import javacard.framework.Applet;
import javacard.security.Key;
import javacard.security.Signature;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.smartcardio.CommandAPDU;
import java.lang.reflect.Field;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Security review of the sim applet: each test names the bug it pins down. Faults that jCardSim
 * cannot produce on its own (a power cut in the middle of a command) are injected by swapping an
 * engine of the installed applet instance for one that "tears" (throws an Error, which no applet
 * catch block handles, like a power loss) at the chosen call; the card is then reset.
 */
@CardTest
class SimReviewTest extends OtaFixtureTest {

    /** Power loss simulated inside the card. */
    static final class Tear extends Error {
        Tear() { super("simulated power loss"); }
    }

    /** A Signature that tears on its next sign() once armed; otherwise delegates. */
    static final class TearingSignature extends Signature {
        final Signature d;
        boolean armed;

        TearingSignature(Signature d) { this.d = d; }

        @Override public void init(Key k, byte m) { d.init(k, m); }
        @Override public void init(Key k, byte m, byte[] b, short o, short l) { d.init(k, m, b, o, l); }
        @Override public void setInitialDigest(byte[] a, short b, short c, byte[] e, short g, short h) { d.setInitialDigest(a, b, c, e, g, h); }
        @Override public byte getAlgorithm() { return d.getAlgorithm(); }
        @Override public byte getMessageDigestAlgorithm() { return d.getMessageDigestAlgorithm(); }
        @Override public byte getCipherAlgorithm() { return d.getCipherAlgorithm(); }
        @Override public byte getPaddingAlgorithm() { return d.getPaddingAlgorithm(); }
        @Override public short getLength() { return d.getLength(); }
        @Override public void update(byte[] b, short o, short l) { d.update(b, o, l); }
        @Override public short sign(byte[] b, short o, short l, byte[] s, short so) {
            if (armed) {
                armed = false;
                throw new Tear();
            }
            return d.sign(b, o, l, s, so);
        }
        @Override public short signPreComputedHash(byte[] a, short b, short c, byte[] e, short g) { return d.signPreComputedHash(a, b, c, e, g); }
        @Override public boolean verify(byte[] a, short b, short c, byte[] e, short g, short h) { return d.verify(a, b, c, e, g, h); }
        @Override public boolean verifyPreComputedHash(byte[] a, short b, short c, byte[] e, short g, short h) { return d.verifyPreComputedHash(a, b, c, e, g, h); }
    }

    static Object get(Object o, String name) {
        for (Class<?> c = o.getClass(); c != null; c = c.getSuperclass()) {
            try {
                Field fl = c.getDeclaredField(name);
                fl.setAccessible(true);
                return fl.get(o);
            } catch (NoSuchFieldException e) {
                // superclass
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(e);
            }
        }
        throw new IllegalArgumentException("no field " + name + " in " + o.getClass());
    }

    static void set(Object o, String name, Object v) {
        try {
            Field fl = o.getClass().getDeclaredField(name);
            fl.setAccessible(true);
            fl.set(o, v);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The installed sim applet instance inside the simulator behind f.card. */
    static Applet simApplet(CardSession card) {
        Object transport = get(card, "transport");
        Simulator sim = (Simulator) get(transport, "sim");
        SimulatorRuntime rt = (SimulatorRuntime) get(sim, "runtime");
        byte[] aid = OtaServer.simAid();
        return rt.lookupApplet(new AID(aid, (short) 0, (byte) aid.length)).getApplet();
    }

    /**
     * Power cycle after a simulated tear. jCardSim keeps the transaction depth of a command that
     * died and never rolls anything back (its abortTransaction only resets the depth), so what
     * the card wrote before the tear stays: a stricter model than a real card, which would also
     * roll back the transaction's writes.
     */
    private void powerCycle() {
        Object transport = get(f.card, "transport");
        SimulatorRuntime rt = (SimulatorRuntime) get(get(transport, "sim"), "runtime");
        if (rt.getTransactionDepth() != 0) rt.abortTransaction();
        f.powerCycle();
        f.card.select(OtaServer.simAid());
    }

    private SimStatus status() {
        OtaServer.Result r = f.send(f.server.status(OtaFixture.SIM, OtaFixture.TODAY));
        assertTrue(r.por().ok() && r.compact().ok(), "status PoR");
        return SimStatus.parse(r.compact().data());
    }

    private void establish() {
        assertTrue(f.initSymmetric(OtaFixture.TODAY.plusDays(30)).por().ok());
        Terminal.AuthResult a = f.terminal.authenticate(false, OtaFixture.TODAY);
        assertTrue(a.keyDelivered());
        f.server.acceptNotification(OtaFixture.SIM, f.terminal.ack());
        assertEquals(Constants.STATE_TRUSTED, status().state());
    }

    /** AUTHENTICATE with a wrong symmetric proof after a fresh challenge; returns the SW. */
    private int wrongProof() {
        f.card.select(OtaServer.simAid());
        f.card.transmitOk("GET CHALLENGE", new CommandAPDU(0x80, Constants.INS_GET_CHALLENGE, 0, 0, 256));
        byte[] data = new byte[2 + 8 + 1 + Constants.TERMINAL_NONCE_LEN + 16];
        data[0] = 0x26;
        System.arraycopy(Imei.mobileIdentity(OtaFixture.IMEI), 0, data, 2, 8);
        data[10] = OtaFixture.MAX_OUTPUT;
        return f.card.transmit(new CommandAPDU(0x80, Constants.INS_AUTHENTICATE, 0, 0, data, 256)).getSW();
    }

    @Test
    @SimulatorOnly("tears inside an APDU through a Signature injected into the sim applet")
    void bug_failCountIncrementedAfterTheProofComparison_tearGaveAFreeTry() {
        establish();
        // the platform engine inside the applet's AesCmac (jCardSim has ALG_AES_CMAC_128)
        Object cmac = get(get(simApplet(f.card), "crypto"), "cmac");
        TearingSignature tearing = new TearingSignature((Signature) get(cmac, "platform"));
        set(cmac, "platform", tearing);
        // power lost while the SIM computes the expected proof: the attempt must already count
        f.card.select(OtaServer.simAid());
        tearing.armed = true;
        int sw = wrongProof();
        assertFalse(tearing.armed, "the tear was not reached");
        assertNotEquals(0x9000, sw);
        powerCycle();
        assertEquals(1, status().failCount(), "a torn authentication must cost a try");
        // two more torn attempts reach the limit: from then on one attempt per power cycle
        for (int i = 0; i < 2; i++) {
            tearing.armed = true;
            wrongProof();
            powerCycle();
        }
        assertEquals(3, status().failCount());
        assertEquals(Sw.SECURITY_STATUS_NOT_SATISFIED, wrongProof());
        assertEquals(Sw.AUTH_METHOD_BLOCKED, wrongProof(), "throttled: one attempt per power cycle");
        assertEquals(Constants.STATE_TRUSTED, status().state(), "failures never revoke");
    }

    @SimulatorOnly("power-cycles the simulated card through jCardSim")
    @Test
    void wrongProofsThrottleAfterThree_neverRevoke_andSuccessResetsTheCount() {
        establish();
        assertEquals(Sw.SECURITY_STATUS_NOT_SATISFIED, wrongProof());
        assertEquals(1, status().failCount());
        f.terminal.authenticate(false, OtaFixture.TODAY);
        assertEquals(0, status().failCount());
        for (int i = 0; i < 3; i++) assertEquals(Sw.SECURITY_STATUS_NOT_SATISFIED, wrongProof());
        assertEquals(Sw.AUTH_METHOD_BLOCKED, wrongProof());
        assertEquals(Constants.STATE_TRUSTED, status().state());
        powerCycle();
        f.terminal.authenticate(false, OtaFixture.TODAY);
        assertEquals(0, status().failCount());
    }

    static boolean contains(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
            return true;
        }
        return false;
    }

    @Test
    @SimulatorOnly("reads the sim applet's RAM buffer by reflection")
    void bug_decipheredOtaPacketWithKeysLeftInRam() {
        byte[] initKey = new byte[16];
        java.util.Arrays.fill(initKey, (byte) 0x5A);
        assertTrue(f.send(f.server.initTrustSymmetric(OtaFixture.SIM, initKey, OtaFixture.IMEI, OtaFixture.MAX_OUTPUT,
                OtaFixture.TODAY.plusDays(30), 90, OtaFixture.TODAY)).por().ok());
        byte[] contentKey = new byte[16];
        java.util.Arrays.fill(contentKey, (byte) 0xC3);
        assertTrue(f.send(f.server.license(OtaFixture.SIM, 7, contentKey, 3, OtaFixture.TODAY, OtaFixture.TODAY.plusDays(3))).por().ok());
        byte[] rx = (byte[]) get(get(simApplet(f.card), "tr"), "rx");
        assertFalse(contains(rx, initKey), "INIT_TRUST key left in the reassembly buffer");
        assertFalse(contains(rx, contentKey), "content key left in the reassembly buffer");
    }

    /**
     * Under T=0 the JCRE cannot tell whether P3 is Le (case 2) or Lc (case 3): an applet that
     * calls setIncomingAndReceive for a case-2 command makes the card wait for P3 data bytes the
     * terminal never sends. The sim applet takes case-2 commands through ApduIo.requireNoData,
     * which receives nothing under T=0; jCardSim is switched to T=0 for the case-2 commands
     * (GET CHALLENGE, POLL, TERMINAL REVOKE). Under T=1, data on them is a wrong length.
     */
    @Test
    @SimulatorOnly("switches the simulated card to T=0 through jCardSim")
    void bug_case2CommandsCalledSetIncomingAndReceive_brokenUnderT0() {
        Simulator sim = (Simulator) get(get(f.card, "transport"), "sim");
        f.card.select(OtaServer.simAid());
        sim.changeProtocol("T=0");
        try {
            for (byte ins : new byte[] {Constants.INS_GET_CHALLENGE, Constants.INS_POLL}) {
                int sw = f.card.transmit(new CommandAPDU(0x80, ins, 0, 0, 0x14)).getSW();
                assertEquals(0x9000, sw, String.format("INS %02X under T=0", ins));
            }
            // TERMINAL REVOKE on a SIM without trust: refused for the state, not for a length
            assertEquals(Sw.CONDITIONS_NOT_SATISFIED, f.card.transmit(new CommandAPDU(0x80, Constants.INS_TERMINAL_REVOKE, 0, 0, 0x20)).getSW());
        } finally {
            sim.changeProtocol("T=1");
        }
        assertEquals(Sw.WRONG_LENGTH, f.card.transmit(new CommandAPDU(0x80, Constants.INS_GET_CHALLENGE, 0, 0, new byte[0x14], 256)).getSW());
    }

    /**
     * Keys (INIT_TRUST, LICENSE put) were accepted from a packet that was ciphered but had no CC
     * when the MSL allowed it: AES-CBC without a checksum is malleable, so whoever intercepts the
     * packet can flip bits of the IMEI, expiry or play count without knowing KIc.
     */
    @Test
    void bug_keysAcceptedInCipheredPacketWithoutChecksum() {
        f.close();
        f = new OtaFixture(dir.resolve("cipher-only"), Spi.CounterMode.HIGHER, 0x14); // MSL: ciphering + counter, no CC
        Spi cipherOnly = Spi.of(false, true, Spi.CounterMode.HIGHER, Spi.Por.ALWAYS, false, false);
        byte[] lic = RemoteCommands.create().license(1, new byte[16], 1, OtaFixture.TODAY, OtaFixture.TODAY).bytes();
        byte[] init = RemoteCommands.create().initTrust(Constants.KEY_TYPE_AES128, new byte[16], OtaFixture.IMEI, 1,
                OtaFixture.TODAY, 1, OtaFixture.TODAY).bytes();
        for (byte[] cmds : new byte[][] {lic, init}) {
            long counter = cmds == lic ? 1 : 2;
            javax.smartcardio.ResponseAPDU r = f.raw(OtaFixture.envelopes(CommandPacket.encode(DevKeys.keys(), cipherOnly, counter, cmds)));
            assertEquals(0x9000, r.getSW());
            ResponsePacket por = ResponsePacket.decode(DevKeys.keys(), cipherOnly, r.getData());
            assertEquals(Constants.POR_OK, por.status());
            assertEquals(Sw.SECURITY_STATUS_NOT_SATISFIED, por.compact().sw(), "keys without a CC");
        }
        // the same commands with CC and ciphering pass
        Spi secure = Spi.secure(Spi.CounterMode.HIGHER);
        javax.smartcardio.ResponseAPDU r = f.raw(OtaFixture.envelopes(CommandPacket.encode(DevKeys.keys(), secure, 3, lic)));
        assertEquals(0x9000, ResponsePacket.decode(DevKeys.keys(), secure, r.getData()).compact().sw());
    }

    /** AES keys of the applet whose next setKey writes the key and then "loses power". */
    static final class TearAfterSetKey implements java.lang.reflect.InvocationHandler {
        final Object d;
        static boolean armed;

        TearAfterSetKey(Object d) { this.d = d; }

        @Override
        public Object invoke(Object proxy, java.lang.reflect.Method m, Object[] args) throws Throwable {
            Object r;
            try {
                r = m.invoke(d, args);
            } catch (java.lang.reflect.InvocationTargetException e) {
                throw e.getCause();
            }
            if (armed && m.getName().equals("setKey")) {
                armed = false;
                throw new Tear();
            }
            return r;
        }
    }

    /**
     * LICENSE put replaced a license in place: the content key (Key.setKey, not transactional on
     * many cards) was written at once while the rights rolled back with the transaction, so a tear
     * paired the new content key with the old, more generous rights.
     */
    @Test
    @SimulatorOnly("tears inside an APDU through objects injected into the sim applet")
    void bug_licenseReplacedInPlace_tearPairedNewContentKeyWithOldRights() {
        establish();
        byte[] k1 = new byte[16];
        java.util.Arrays.fill(k1, (byte) 0x11);
        byte[] k2 = new byte[16];
        java.util.Arrays.fill(k2, (byte) 0x22);
        assertTrue(f.send(f.server.license(OtaFixture.SIM, 7, k1, 50, OtaFixture.TODAY, OtaFixture.TODAY.plusDays(9))).compact().ok());
        Object st = get(simApplet(f.card), "st");
        javacard.security.AESKey[] keys = (javacard.security.AESKey[]) get(st, "licKey");
        for (int i = 0; i < keys.length; i++) {
            keys[i] = (javacard.security.AESKey) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
                    new Class<?>[] {javacard.security.AESKey.class}, new TearAfterSetKey(keys[i]));
        }
        // the network replaces license 7: new content key, only 2 plays; power lost mid-way
        OtaServer.OtaMessage m = f.server.license(OtaFixture.SIM, 7, k2, 2, OtaFixture.TODAY, OtaFixture.TODAY.plusDays(9));
        TearAfterSetKey.armed = true;
        try {
            f.send(m);
        } catch (RuntimeException expected) {
            // the card answered 6F00 or nothing useful: torn
        }
        assertFalse(TearAfterSetKey.armed, "the tear was not reached");
        powerCycle();
        f.terminal.authenticate(false, OtaFixture.TODAY);
        Terminal.ContentKey ck = f.terminal.contentKey(7);
        if (java.util.Arrays.equals(ck.key(), k2)) {
            assertTrue(ck.playsLeft() <= 1, "new content key released under the old rights: " + ck.playsLeft() + " plays left");
        } else {
            assertArrayEquals(k1, ck.key());
            assertEquals(49, ck.playsLeft());
        }
    }

    /**
     * A second key delivery (update before the first was acknowledged) rewrote the pending slot
     * with hasPending still true: a tear between the ENC and MAC setKey left the new ENC key with
     * the old pending MAC key, the terminal's ACK of the first delivery still verified, and the
     * SIM switched to an ENC key nobody knows (trust relationship broken until re-init).
     */
    @Test
    @SimulatorOnly("tears inside an APDU through objects injected into the sim applet")
    void bug_tornSecondKeyDeliveryLeftAnAcknowledgeableMixOfKeys() {
        establish();
        byte[] k1 = new byte[16];
        java.util.Arrays.fill(k1, (byte) 0x33);
        assertTrue(f.send(f.server.license(OtaFixture.SIM, 7, k1, 50, OtaFixture.TODAY, OtaFixture.TODAY.plusDays(9))).compact().ok());
        assertTrue(f.terminal.authenticate(true, OtaFixture.TODAY).keyDelivered()); // delivery 1, not acknowledged yet
        Object st = get(simApplet(f.card), "st");
        javacard.security.AESKey[] enc = (javacard.security.AESKey[]) get(st, "trustEnc");
        int pending = ((Byte) get(st, "activeSlot")) ^ 1; // only the slot being written: jCardSim engines refuse foreign key objects
        javacard.security.AESKey real = enc[pending];
        enc[pending] = (javacard.security.AESKey) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {javacard.security.AESKey.class}, new TearAfterSetKey(real));
        TearAfterSetKey.armed = true;
        assertThrows(RuntimeException.class, () -> f.terminal.authenticate(true, OtaFixture.TODAY)); // delivery 2 torn
        assertFalse(TearAfterSetKey.armed, "the tear was not reached");
        enc[pending] = real;
        powerCycle();
        try {
            f.terminal.ack(); // the terminal acknowledges delivery 1
        } catch (dev.cardsmith.transport.CardStatusException refused) {
            assertEquals(0x6985, refused.sw());
        }
        // whatever happened, the terminal and the SIM still share a working trust key
        f.terminal.authenticate(false, OtaFixture.TODAY);
        assertArrayEquals(k1, f.terminal.contentKey(7).key());
    }

    /** An update computed the new expiry as date + lifetime in a short: a long lifetime overflowed to a past date. */
    @Test
    void bug_updateExpiryOverflowedForALongLifetime() {
        byte[] k = Terminal.enrolSymmetric(f.ks, OtaFixture.IMEI, OtaFixture.MAX_OUTPUT);
        assertTrue(f.send(f.server.initTrustSymmetric(OtaFixture.SIM, k, OtaFixture.IMEI, OtaFixture.MAX_OUTPUT,
                OtaFixture.TODAY.plusDays(30), 32000, OtaFixture.TODAY)).por().ok());
        assertTrue(f.terminal.authenticate(false, OtaFixture.TODAY).keyDelivered());
        f.terminal.ack();
        Terminal.AuthResult u = f.terminal.authenticate(true, OtaFixture.TODAY);
        assertTrue(u.keyDelivered());
        assertTrue(u.expiry().isAfter(OtaFixture.TODAY), "new key expires " + u.expiry());
        f.terminal.ack();
        assertEquals(Constants.STATE_TRUSTED, f.terminal.authenticate(false, OtaFixture.TODAY).state());
    }

    /**
     * The symmetric session keys came from the card challenge alone: a fake SIM replaying a
     * recorded session (SELECT, AUTHENTICATE, GET CONTENT KEY answers) made a genuine terminal
     * accept a content key again, without the SIM counting the play.
     */
    @Test
    void bug_sessionKeysFromTheCardChallengeOnly_fakeSimReplaysAContentKeyToTheTerminal() {
        establish();
        byte[] ck = new byte[16];
        java.util.Arrays.fill(ck, (byte) 0x44);
        assertTrue(f.send(f.server.license(OtaFixture.SIM, 9, ck, 1, OtaFixture.TODAY, OtaFixture.TODAY.plusDays(9))).compact().ok());
        dev.cardsmith.transport.CardTransport real = (dev.cardsmith.transport.CardTransport) get(f.card, "transport");
        java.util.List<byte[]> recorded = new java.util.ArrayList<>();
        Terminal genuine = new Terminal(new CardSession(new Scripted(a -> {
            byte[] r = real.transmit(a);
            recorded.add(r);
            return r;
        })), f.ks);
        genuine.authenticate(false, OtaFixture.TODAY);
        assertArrayEquals(ck, genuine.contentKey(9).key()); // the only play
        java.util.Iterator<byte[]> replay = recorded.iterator();
        Terminal fooled = new Terminal(new CardSession(new Scripted(a -> replay.next())), f.ks);
        assertThrows(RuntimeException.class, () -> {
            fooled.authenticate(false, OtaFixture.TODAY);
            fooled.contentKey(9);
        }, "a replayed SIM session released the content key again");
    }

    /** A transport answering through a function (recording, replaying). */
    static final class Scripted implements dev.cardsmith.transport.CardTransport {
        final java.util.function.UnaryOperator<byte[]> answer;

        Scripted(java.util.function.UnaryOperator<byte[]> answer) { this.answer = answer; }

        @Override public byte[] transmit(byte[] apdu) { return answer.apply(apdu); }
        @Override public byte[] atr() { return new byte[] {0x3B, 0x00}; }
        @Override public String name() { return "scripted"; }
        @Override public void reset() { }
        @Override public void close() { }
    }
    // ------------------------------------------------------------------ INIT_TRUST tear safety

    /**
     * Arms a tear on the next setKey of the init key object(s), wherever the applet keeps them;
     * returns the restore action. (Handles a single init key and the double slot, so the test also
     * runs against the layout before the fix.)
     */
    private Runnable tearOnInitKeySetKey() {
        Object st = get(simApplet(f.card), "st");
        Object k = get(st, "initKey");
        TearAfterSetKey.armed = true;
        if (k instanceof javacard.security.AESKey[] arr) {
            javacard.security.AESKey[] real = arr.clone();
            for (int i = 0; i < arr.length; i++) arr[i] = proxyKey(real[i]);
            return () -> System.arraycopy(real, 0, arr, 0, arr.length);
        }
        javacard.security.AESKey real = (javacard.security.AESKey) k;
        set(st, "initKey", proxyKey(real));
        return () -> set(st, "initKey", real);
    }

    private javacard.security.AESKey proxyKey(javacard.security.AESKey real) {
        return (javacard.security.AESKey) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {javacard.security.AESKey.class}, new TearAfterSetKey(real));
    }

    private void tornSend(OtaServer.OtaMessage m, Runnable restore) {
        try {
            f.send(m);
        } catch (RuntimeException expected) {
            // torn: no (useful) answer
        } finally {
            restore.run();
        }
        assertFalse(TearAfterSetKey.armed, "the tear was not reached");
        TearAfterSetKey.armed = false;
        powerCycle();
    }

    private static boolean works(Runnable r) {
        try {
            r.run();
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    private Terminal terminal(String name) {
        return new Terminal(f.card, dev.cardsmith.ota.terminal.TerminalKeyStore.open(dir.resolve(name), "test".toCharArray()));
    }

    static final String IMEI2 = "356938035643809";

    /**
     * INIT_TRUST erased the trust keys and wrote the init key (Key.setKey / clearKey, not
     * transactional on many cards) inside the OTA packet's transaction: a tear after the key write
     * left an established trust relationship with its keys cleared and the re-initialization not
     * done - neither the old nor the new terminal could authenticate.
     */
    @Test
    @SimulatorOnly("tears inside an APDU through a key injected into the sim applet")
    void bug_initTrustTornAfterTheKeyWrite_leftTheTrustWithClearedKeys() {
        establish();
        byte[] ck = new byte[16];
        java.util.Arrays.fill(ck, (byte) 0x55);
        assertTrue(f.send(f.server.license(OtaFixture.SIM, 7, ck, 50, OtaFixture.TODAY, OtaFixture.TODAY.plusDays(9))).compact().ok());
        Terminal t2 = terminal("t2.json");
        byte[] k2 = Terminal.enrolSymmetric(ksOf(t2), IMEI2, OtaFixture.MAX_OUTPUT);
        OtaServer.OtaMessage m = f.server.initTrustSymmetric(OtaFixture.SIM, k2, IMEI2, OtaFixture.MAX_OUTPUT,
                OtaFixture.TODAY.plusDays(30), 90, OtaFixture.TODAY);
        tornSend(m, tearOnInitKeySetKey());
        boolean oldTrust = works(() -> {
            f.terminal.authenticate(false, OtaFixture.TODAY);
            assertArrayEquals(ck, f.terminal.contentKey(7).key());
        });
        boolean newInit = works(() -> assertTrue(t2.authenticate(false, OtaFixture.TODAY).keyDelivered()));
        assertTrue(oldTrust || newInit, "after a torn INIT_TRUST neither the old trust nor the new initialization works");
        Terminal t2ack = t2;
        if (oldTrust) {
            // the torn packet left the counter alone: the network repeats it and it completes
            assertTrue(f.send(m).compact().ok());
            // the SIM goes into the second terminal's handset (PROVIDE LOCAL INFORMATION answers IMEI2)
            f.card.reset();
            new dev.cardsmith.ota.handset.Handset(f.card, IMEI2).powerOn();
            t2ack = terminal("t2.json");
            assertTrue(t2ack.authenticate(false, OtaFixture.TODAY).keyDelivered());
        }
        t2ack.ack();
        assertEquals(Constants.STATE_TRUSTED, status().state());
    }

    /**
     * The same tear while the SIM waits for its first terminal: the new init key was in place but
     * the IMEI, max output and expiry were still the old ones, so whoever held the new key could
     * authenticate as the old terminal (a new key paired with the old characteristics).
     */
    @Test
    @SimulatorOnly("tears inside an APDU through a key injected into the sim applet")
    void bug_initTrustTornAfterTheKeyWrite_pairedTheNewKeyWithTheOldImei() {
        byte[] k1 = Terminal.enrolSymmetric(f.ks, OtaFixture.IMEI, OtaFixture.MAX_OUTPUT);
        assertTrue(f.send(f.server.initTrustSymmetric(OtaFixture.SIM, k1, OtaFixture.IMEI, OtaFixture.MAX_OUTPUT,
                OtaFixture.TODAY.plusDays(30), 90, OtaFixture.TODAY)).por().ok());
        Terminal t2 = terminal("t2.json");
        byte[] k2 = Terminal.enrolSymmetric(ksOf(t2), IMEI2, OtaFixture.MAX_OUTPUT);
        tornSend(f.server.initTrustSymmetric(OtaFixture.SIM, k2, IMEI2, OtaFixture.MAX_OUTPUT,
                OtaFixture.TODAY.plusDays(30), 90, OtaFixture.TODAY), tearOnInitKeySetKey());
        // the mix: the new key with the old terminal's characteristics
        Terminal mix = terminal("mix.json");
        dev.cardsmith.ota.terminal.TerminalKeyStore mixKs = ksOf(mix);
        Terminal.enrolSymmetric(mixKs, OtaFixture.IMEI, OtaFixture.MAX_OUTPUT);
        mixKs.secret("init", k2);
        mixKs.save();
        assertFalse(works(() -> mix.authenticate(false, OtaFixture.TODAY)), "new init key accepted with the old IMEI");
        boolean old = works(() -> assertTrue(f.terminal.authenticate(false, OtaFixture.TODAY).keyDelivered()));
        boolean fresh = works(() -> assertTrue(t2.authenticate(false, OtaFixture.TODAY).keyDelivered()));
        assertTrue(old ^ fresh, "exactly one of the old and the new initialization must hold: old " + old + ", new " + fresh);
    }

    private static dev.cardsmith.ota.terminal.TerminalKeyStore ksOf(Terminal t) {
        return (dev.cardsmith.ota.terminal.TerminalKeyStore) get(t, "ks");
    }
    /** A torn INIT_TRUST leaves no key behind in the staging slot: the next command clears it. */
    @Test
    @SimulatorOnly("tears inside an APDU through a key injected into the sim applet")
    void initTrustTornKeyDoesNotLingerInTheStagingSlot() {
        establish();
        Terminal t2 = terminal("t2.json");
        byte[] k2 = Terminal.enrolSymmetric(ksOf(t2), IMEI2, OtaFixture.MAX_OUTPUT);
        tornSend(f.server.initTrustSymmetric(OtaFixture.SIM, k2, IMEI2, OtaFixture.MAX_OUTPUT,
                OtaFixture.TODAY.plusDays(30), 90, OtaFixture.TODAY), tearOnInitKeySetKey());
        status(); // any command finishes the clearing
        Object st = get(simApplet(f.card), "st");
        javacard.security.AESKey[] init = (javacard.security.AESKey[]) get(st, "initKey");
        assertFalse(init[0].isInitialized() || init[1].isInitialized(), "an init key is left in a trusted SIM");
        assertFalse((Boolean) get(st, "clearPending"));
        javacard.security.AESKey[] enc = (javacard.security.AESKey[]) get(st, "trustEnc");
        int active = (Byte) get(st, "activeSlot");
        assertTrue(enc[active].isInitialized(), "the active trust key survived");
        assertFalse(enc[active ^ 1].isInitialized());
    }

    /** Only one INIT_TRUST per packet (one staging slot): a second one is refused, the first one holds. */
    @Test
    void secondInitTrustInOnePacketIsRefused() {
        byte[] k1 = Terminal.enrolSymmetric(f.ks, OtaFixture.IMEI, OtaFixture.MAX_OUTPUT);
        Terminal t2 = terminal("t2.json");
        byte[] k2 = Terminal.enrolSymmetric(ksOf(t2), IMEI2, OtaFixture.MAX_OUTPUT);
        byte[] cmds = RemoteCommands.create()
                .initTrust(Constants.KEY_TYPE_AES128, k1, OtaFixture.IMEI, OtaFixture.MAX_OUTPUT, OtaFixture.TODAY.plusDays(30), 90, OtaFixture.TODAY)
                .initTrust(Constants.KEY_TYPE_AES128, k2, IMEI2, OtaFixture.MAX_OUTPUT, OtaFixture.TODAY.plusDays(30), 90, OtaFixture.TODAY)
                .bytes();
        Spi secure = Spi.secure(Spi.CounterMode.HIGHER);
        javax.smartcardio.ResponseAPDU r = f.raw(OtaFixture.envelopes(CommandPacket.encode(DevKeys.keys(), secure, 1000, cmds)));
        var c = ResponsePacket.decode(DevKeys.keys(), secure, r.getData()).compact();
        assertEquals(2, c.commands());
        assertEquals(0x6985, c.sw());
        assertFalse(works(() -> t2.authenticate(false, OtaFixture.TODAY)));
        assertTrue(f.terminal.authenticate(false, OtaFixture.TODAY).keyDelivered());
        f.terminal.ack();
        assertEquals(Constants.STATE_TRUSTED, f.terminal.challenge().state());
    }
}
