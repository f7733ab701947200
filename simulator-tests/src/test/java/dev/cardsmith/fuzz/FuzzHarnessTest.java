package dev.cardsmith.fuzz;

import dev.cardsmith.simulator.AppletSpec;
import javacard.framework.APDU;
import javacard.framework.Applet;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.Util;
import javacard.security.AESKey;
import javacard.security.CryptoException;
import javacard.security.KeyBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The fuzzer's invariants, each shown to fire on an applet built to break it (and to stay quiet otherwise). */
@dev.cardsmith.support.SimulatorOnly("fuzzing digests the applets' persistent fields by reflection into the jCardSim card")
class FuzzHarnessTest {

    /** One misbehaviour per INS. */
    public static class Faulty extends Applet {
        final byte[] persistent = new byte[8];
        final byte[] ram = JCSystem.makeTransientByteArray((short) 8, JCSystem.CLEAR_ON_DESELECT);
        final AESKey key = (AESKey) KeyBuilder.buildKey(KeyBuilder.TYPE_AES, KeyBuilder.LENGTH_AES_128, false);
        final AESKey sessionKey = (AESKey) KeyBuilder.buildKey(KeyBuilder.TYPE_AES_TRANSIENT_DESELECT, KeyBuilder.LENGTH_AES_128, false);

        Faulty() {
            byte[] k = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, (byte) 0x88, (byte) 0x99, (byte) 0xAA, (byte) 0xBB, (byte) 0xCC, (byte) 0xDD, (byte) 0xEE, 0x01, 0x02};
            key.setKey(k, (short) 0);
        }

        public static void install(byte[] b, short off, byte len) {
            new Faulty().register(b, (short) (off + 1), b[off]);
        }

        @Override
        public void process(APDU apdu) {
            if (selectingApplet()) return;
            byte[] buf = apdu.getBuffer();
            switch (buf[ISO7816.OFFSET_INS]) {
                case 0x01 -> { persistent[0]++; ISOException.throwIt(ISO7816.SW_WRONG_DATA); }
                case 0x02 -> { ram[0]++; sessionKey.setKey(buf, (short) 0); ISOException.throwIt(ISO7816.SW_WRONG_DATA); }
                case 0x03 -> { short n = key.getKey(buf, (short) 0); apdu.setOutgoingAndSend((short) 0, n); }
                case 0x04 -> throw new NullPointerException();
                case 0x05 -> CryptoException.throwIt(CryptoException.ILLEGAL_VALUE);
                case 0x06 -> persistent[1]++;
                case 0x07 -> { key.setKey(buf, (short) 0); ISOException.throwIt(ISO7816.SW_WRONG_LENGTH); }
                case 0x08 -> ISOException.throwIt((short) 0x6F01); // what Sw.forException answers for an unexpected exception
                default -> ISOException.throwIt(ISO7816.SW_INS_NOT_SUPPORTED);
            }
        }
    }

    StateFixture f;
    FuzzEngine.Target target;

    @BeforeEach
    void setUp() {
        AppletSpec spec = new AppletSpec("faulty", new byte[] {(byte) 0xF0, 0x0F, 0x0F, 0x0F, 0x0F},
                new byte[] {(byte) 0xF0, 0x0F, 0x0F, 0x0F, 0x0F, 0x01}, Faulty.class, new byte[0]);
        SimulatedCard card = new SimulatedCard(spec);
        card.select();
        f = new StateFixture(card) {
            @Override CaseGenerator generator() { return seed -> null; }
            @Override Object lifecycle() { return "one"; }
        };
        target = new FuzzEngine.Target("faulty", "test", () -> f);
    }

    @AfterEach
    void tearDown() {
        f.close();
    }

    private Map<String, FuzzEngine.Finding> run(String... apdus) {
        Map<String, FuzzEngine.Finding> findings = new LinkedHashMap<>();
        List<byte[]> list = java.util.Arrays.stream(apdus).map(dev.cardsmith.crypto.Hex::parse).toList();
        FuzzEngine.runCase(target, f, new CaseGenerator.Case(1, list, "test"), findings, new LinkedHashMap<>());
        return findings;
    }

    private static FuzzEngine.Finding only(Map<String, FuzzEngine.Finding> findings) {
        assertEquals(1, findings.size(), findings.toString());
        return findings.values().iterator().next();
    }

    @Test
    void persistentWriteBeforeARefusalIsFound() {
        FuzzEngine.Finding x = only(run("00010000"));
        assertEquals(FuzzEngine.Kind.STATE_CHANGED_ON_REFUSAL, x.kind());
        assertEquals(Set.of("Faulty.persistent"), x.changed());
        assertEquals(0x6A80, x.sw());
    }

    @Test
    void keyWrittenBeforeARefusalIsFound() {
        FuzzEngine.Finding x = only(run("0007000010000102030405060708090A0B0C0D0E0F10"));
        assertEquals(Set.of("Faulty.key"), x.changed());
    }

    @Test
    void transientArraysAndTransientKeysMayChangeOnARefusal() {
        assertTrue(run("00020000").isEmpty());
    }

    @Test
    void persistentWriteOfAnAcceptedCommandIsNoFinding() {
        assertTrue(run("00060000").isEmpty());
    }

    @Test
    void keyBytesInAResponseAreFound() {
        assertEquals(FuzzEngine.Kind.KEY_IN_RESPONSE, only(run("00030000")).kind());
    }

    @Test
    void uncaughtExceptionIs6F00() {
        assertEquals(FuzzEngine.Kind.SW_6F00, only(run("00040000")).kind());
    }

    @Test
    void unexpectedExceptionCaughtByTheAppletIs6F01() {
        assertEquals(FuzzEngine.Kind.SW_6F01, only(run("00080000")).kind());
    }

    @Test
    void uncaughtCardRuntimeExceptionGivesAStatusWordOutsideIso() {
        FuzzEngine.Finding x = only(run("00050000"));
        assertEquals(FuzzEngine.Kind.SW_OUTSIDE_ISO, x.kind());
        assertEquals(CryptoException.ILLEGAL_VALUE, x.sw());
    }

    @Test
    void apdusJCardSimCannotDeliverAreNoFinding() {
        assertTrue(run("0001", "00011234" + "FF" + "00".repeat(255) + "00").isEmpty());
    }

    @Test
    void stagingAreasAndKnownFindingsAreMatchedByAppletInsAndPath() {
        assertTrue(Declarations.staged("module", "ModuleApplet.io.staging", Declarations.Refusal.STATUS_WORD));
        assertFalse(Declarations.staged("piv", "ModuleApplet.io.staging", Declarations.Refusal.STATUS_WORD), "staging is declared per applet");
        assertFalse(Declarations.staged("module", "ModuleApplet.p.persoKey", Declarations.Refusal.STATUS_WORD));
        assertFalse(Declarations.staged("sim", "SimApplet.st.counter", Declarations.Refusal.POR_STATUS));
        Declarations.Known k = new Declarations.Known("module-perso-initiate-perso-key", "issue 11", "module", 0x20,
                java.util.regex.Pattern.compile("ModuleApplet\\.p\\.persoKey"), "regression shape of the fixed finding");
        FuzzEngine.Finding perso = new FuzzEngine.Finding("module", "enrolled", FuzzEngine.Kind.STATE_CHANGED_ON_REFUSAL, 0x20, "", 0x6700,
                Set.of("ModuleApplet.p.persoKey"), "", 0);
        assertTrue(k.matches(perso));
        assertNull(Declarations.known(perso), "the module INS 20 finding is fixed: no longer tolerated");
        FuzzEngine.Finding more = new FuzzEngine.Finding("module", "enrolled", FuzzEngine.Kind.STATE_CHANGED_ON_REFUSAL, 0x20, "", 0x6700,
                Set.of("ModuleApplet.p.persoKey", "ModuleApplet.p.state"), "", 0);
        assertFalse(k.matches(more), "a known finding that changes more than its fields is a new finding");
    }

    /** The PSD session state's own checks: the refusal by missing C-MAC, the GP session rule, the named try counter. */
    @Test
    void psdSessionCommandsWithoutAValidMacAreRefusalsAndMustEndTheSession() {
        try (StateFixture s = PsdSessionState.target().open().get()) {
            PsdSessionState.Cases gen = (PsdSessionState.Cases) s.generator();
            assertTrue(PsdSessionState.sessionOpen(s.card), "the state has an open SCP03 session");
            byte[] status = Command.decode(dev.cardsmith.psd.PsdApdus.getStatus().getBytes()).encode();
            byte[] ok = {(byte) 0x90, 0};
            assertEquals(Declarations.Refusal.NO_VALID_MAC, s.refusal(status, ok), "a plain command counts as refused, whatever it answers");
            // a command with this session's C-MAC: the card accepts it, and it is not a refusal
            byte[] unlock = gen.wrapValid(Command.decode(dev.cardsmith.psd.PsdApdus.recover(new byte[16]).getBytes()));
            byte[] answer = s.card.transmitRaw(unlock);
            assertEquals(0x6985, FuzzEngine.sw(answer), "RECOVER while not blocked, past the C-MAC check");
            assertNull(s.violation(unlock, answer));
            assertEquals(Declarations.Refusal.STATUS_WORD, s.refusal(unlock, answer));
            assertEquals(Declarations.Refusal.NO_VALID_MAC, s.refusal(unlock.clone(), ok), "the same bytes again are a replay, not this session's MAC");
            // the rule fires while the session is open after a 6982 or an accepted plain command ...
            assertTrue(PsdSessionState.sessionOpen(s.card));
            byte[] badMac = unlock.clone();
            badMac[badMac.length - 2] ^= 1;
            assertNotNull(s.violation(badMac, new byte[] {0x69, (byte) 0x82}));
            assertNotNull(s.violation(dev.cardsmith.crypto.Hex.parse("80500000080102030405060708"), ok));
            assertNull(s.violation(status, ok), "GET DATA is answered outside the session");
            assertNull(s.violation(dev.cardsmith.crypto.Hex.parse("90D200000101"), ok), "a non-final chain part");
            // ... and stays quiet once the card has dropped the session, as it does on a bad C-MAC
            byte[] refused = s.card.transmitRaw(badMac);
            assertEquals(0x6982, FuzzEngine.sw(refused));
            assertFalse(PsdSessionState.sessionOpen(s.card));
            assertNull(s.violation(badMac, refused));
            // the try counter is a named byte of its array, so only it can be declared
            PersistentState.Snapshot snap = PersistentState.of(s.card.applet(), s.card.transientMemory());
            assertTrue(snap.values().containsKey("PsdApplet.p.vars.tries"), snap.values().keySet().toString());
            assertTrue(Declarations.staged("psd", "PsdApplet.p.vars.tries", Declarations.Refusal.STATUS_WORD));
            assertFalse(Declarations.staged("psd", "PsdApplet.p.vars.mkKvn", Declarations.Refusal.STATUS_WORD));
            assertFalse(Declarations.staged("psd", "PsdApplet.p.vars.tries", Declarations.Refusal.NO_VALID_MAC),
                    "a try is only counted for a proof that came with a valid C-MAC");
        }
    }

    @Test
    void apdusThatAreNotWellFormedDecodeToNull() {
        for (String a : List.of("0001", "000100000000", "00010000000005AA", "0001000002AA", "00010000000003AABB")) {
            assertNull(Command.decode(dev.cardsmith.crypto.Hex.parse(a)), a);
        }
        assertEquals(2, Command.decode(dev.cardsmith.crypto.Hex.parse("00010000000002AABB")).data().length);
        assertEquals(0x100, Command.decode(dev.cardsmith.crypto.Hex.parse("00010000000100")).le());
    }

    @Test
    void tlvLengthsAreRewrittenInPlace() {
        byte[] d = dev.cardsmith.crypto.Hex.parse("7F21038601AA5F4941" + "04".repeat(65));
        List<Tlv.Element> els = Tlv.parse(d);
        assertEquals(List.of(3, 1, 65), els.stream().map(Tlv.Element::length).toList());
        byte[] m = Tlv.withLength(d, els.get(2), 64);
        assertEquals(0x40, m[8] & 0xFF);
        assertEquals(d.length, m.length);
        assertEquals(d.length + 1, Tlv.withLength(d, els.get(2), 0x80).length);
    }
}
