package dev.cardsmith.ota;

import dev.cardsmith.codec.Imei;
import dev.cardsmith.applet.platform.Sw;
import dev.cardsmith.applet.sim.Constants;
import dev.cardsmith.ota.terminal.Terminal;
import dev.cardsmith.ota.terminal.TerminalException;
import dev.cardsmith.transport.CardStatusException;
import dev.cardsmith.transport.CardSession;
import dev.cardsmith.support.CardTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.LocalDate;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

/** Seed 004 end to end in jCardSim: OTA server, sim applet, terminal. */
@CardTest
class OtaTrustE2eTest extends OtaFixtureTest {

    static int sw(Runnable r) {
        return assertThrows(CardStatusException.class, r::run).sw();
    }

    private void establish() {
        establish(OtaFixture.TODAY.plusDays(30), OtaFixture.TODAY);
    }

    private void establish(LocalDate expiry, LocalDate today) {
        OtaServer.Result init = f.initSymmetric(expiry);
        assertTrue(init.por().ok() && init.compact().ok(), "init PoR");
        Terminal.AuthResult a = f.terminal.authenticate(false, today);
        assertTrue(a.keyDelivered());
        byte[] note = f.terminal.ack();
        assertEquals(Constants.EVENT_TRUST_ACK, f.server.acceptNotification(OtaFixture.SIM, note).type());
    }

    @Test
    void claims_initAuthenticateTrustKeyDrmUpdateRevokeByAllThreeAndReinit() {
        // Fig. 1: init by OTA, first authentication, trust key, ack to terminal and to the network
        establish();
        assertEquals("TRUSTED", f.server.store().require(OtaFixture.SIM).trustState());
        assertEquals(1, f.ks.intAttr("activeGen", -1));

        // DRM (Figs. 4-5): license by OTA, content key to the trusted terminal only
        byte[] contentKey = new byte[16];
        Arrays.fill(contentKey, (byte) 0x5C);
        assertTrue(f.send(f.server.license(OtaFixture.SIM, 7, contentKey, 2, OtaFixture.TODAY, OtaFixture.TODAY.plusDays(10))).compact().ok());
        f.terminal.authenticate(false, OtaFixture.TODAY);
        Terminal.ContentKey k = f.terminal.contentKey(7);
        assertArrayEquals(contentKey, k.key());
        assertEquals(1, k.playsLeft());
        assertEquals(0, f.terminal.contentKey(7).playsLeft());
        assertEquals(Sw.REFERENCE_DATA_NOT_USABLE, sw(() -> f.terminal.contentKey(7)), "beyond the play count");

        // Fig. 3: update before expiry initiated by the SIM (network asks, flag polled)
        assertTrue(f.send(f.server.update(OtaFixture.SIM, OtaFixture.TODAY.plusDays(1))).compact().ok());
        assertTrue(f.terminal.poll().updatePending());
        Terminal.AuthResult upd = f.terminal.authenticate(true, OtaFixture.TODAY.plusDays(1));
        assertTrue(upd.keyDelivered());
        assertEquals(2, upd.generation());
        f.server.acceptNotification(OtaFixture.SIM, f.terminal.ack());
        assertFalse(f.terminal.poll().updatePending());
        assertEquals(2, f.terminal.authenticate(false, OtaFixture.TODAY.plusDays(1)).generation());
        // terminal-initiated update
        assertEquals(3, f.terminal.authenticate(true, OtaFixture.TODAY.plusDays(2)).generation());
        f.terminal.ack();

        // revocation by the network
        SimStatus before = SimStatus.parse(f.send(f.server.status(OtaFixture.SIM, OtaFixture.TODAY.plusDays(2))).compact().data());
        assertEquals(Constants.STATE_TRUSTED, before.state());
        assertEquals(Constants.STATE_REVOKED, f.send(f.server.revoke(OtaFixture.SIM)).compact().data()[0]);
        assertThrows(TerminalException.class, () -> f.terminal.authenticate(false, OtaFixture.TODAY.plusDays(2)));
        assertEquals(Constants.STATE_REVOKED, f.terminal.poll().state());

        // re-init, then revocation by the terminal
        establish();
        f.terminal.authenticate(false, OtaFixture.TODAY);
        byte[] note = f.terminal.revoke();
        assertEquals(Constants.EVENT_REVOKED_BY_TERMINAL, f.server.acceptNotification(OtaFixture.SIM, note).type());
        assertEquals("REVOKED", f.server.store().require(OtaFixture.SIM).trustState());
        assertThrows(OtaSecurityException.class, () -> f.server.acceptNotification(OtaFixture.SIM, note), "replayed notification");

        // re-init; failed authentications from any caller only throttle (no revocation: any app could send them)
        establish();
        for (int i = 0; i < Constants.MAX_AUTH_FAILURES; i++) {
            f.terminal.challenge();
            byte[] bogus = new byte[35];
            assertEquals(Sw.SECURITY_STATUS_NOT_SATISFIED, f.card.transmit(
                    new javax.smartcardio.CommandAPDU(0x80, Constants.INS_AUTHENTICATE, 0, 0, bogus, 256)).getSW());
        }
        assertEquals(Sw.AUTH_METHOD_BLOCKED, sw(() -> f.terminal.authenticate(false, OtaFixture.TODAY)), "throttled until the next power-up");
        SimStatus throttled = SimStatus.parse(f.send(f.server.status(OtaFixture.SIM, OtaFixture.TODAY)).compact().data());
        assertEquals(Constants.STATE_TRUSTED, throttled.state());
        f.powerCycle();
        f.terminal.authenticate(false, OtaFixture.TODAY);

        // revocation by the SIM: it finds itself in a handset with another IMEI (PROVIDE LOCAL INFORMATION)
        f.card.reset();
        new dev.cardsmith.ota.handset.Handset(f.card, "356938035643809").powerOn();
        SimStatus after = SimStatus.parse(f.send(f.server.status(OtaFixture.SIM, OtaFixture.TODAY)).compact().data());
        assertEquals(Constants.STATE_REVOKED, after.state());
        assertEquals(Constants.EVENT_REVOKED_BY_SIM, after.event().type());
        assertEquals("REVOKED", f.server.store().require(OtaFixture.SIM).trustState());
        f.powerCycle();

        // and once more re-initialized by the network
        establish();
        f.terminal.authenticate(false, OtaFixture.TODAY);
    }

    /**
     * A real handset answers PROVIDE LOCAL INFORMATION (IMEI) with the TS 102 223 8.20 object: the
     * mobile identity of TS 24.008 10.5.1.4 (digit 1 and type "IMEI, odd" in the first octet, then
     * swapped semi-octets, the check digit sent as 0). These are the bytes of IMEI 490154203237518
     * as a handset sends them; the trusted SIM must recognise its own terminal in them and must
     * not revoke (it did while the network and the SIM coded the IMEI as packed BCD).
     */
    @Test
    void bug_realHandsetImeiCoding_madeATrustedSimRevoke() {
        establish();
        f.card.reset();
        javax.smartcardio.ResponseAPDU r = f.card.transmit(new javax.smartcardio.CommandAPDU(0x80, 0x10, 0, 0,
                dev.cardsmith.crypto.Hex.parse("FFFFFFFF1F")));
        assertEquals(0x91, r.getSW1(), "the SIM asks for the IMEI");
        javax.smartcardio.ResponseAPDU cmd = f.card.transmit(new javax.smartcardio.CommandAPDU(0x80, 0x12, 0, 0, r.getSW2()));
        assertTrue(dev.cardsmith.crypto.Hex.of(cmd.getData()).toUpperCase().contains("8103012601"), "PROVIDE LOCAL INFORMATION (IMEI)");
        javax.smartcardio.ResponseAPDU tr = f.card.transmit(new javax.smartcardio.CommandAPDU(0x80, 0x14, 0, 0,
                dev.cardsmith.crypto.Hex.parse("810301260182028281830100" + "94084A09512430325701")));
        assertEquals(0x9000, tr.getSW());
        SimStatus s = SimStatus.parse(f.send(f.server.status(OtaFixture.SIM, OtaFixture.TODAY)).compact().data());
        assertEquals(Constants.STATE_TRUSTED, s.state(), "the SIM in its own handset stays trusted");
        f.terminal = new Terminal(f.card, f.ks);
        assertFalse(f.terminal.authenticate(false, OtaFixture.TODAY).keyDelivered());
        // the same handset bytes with another IMEI (356938035643809) still revoke
        f.card.reset();
        r = f.card.transmit(new javax.smartcardio.CommandAPDU(0x80, 0x10, 0, 0, dev.cardsmith.crypto.Hex.parse("FFFFFFFF1F")));
        f.card.transmit(new javax.smartcardio.CommandAPDU(0x80, 0x12, 0, 0, r.getSW2()));
        f.card.transmit(new javax.smartcardio.CommandAPDU(0x80, 0x14, 0, 0,
                dev.cardsmith.crypto.Hex.parse("810301260182028281830100" + "94083A65390853468300")));
        assertEquals(Constants.STATE_REVOKED, SimStatus.parse(f.send(f.server.status(OtaFixture.SIM, OtaFixture.TODAY)).compact().data()).state());
    }

    /** The SIM takes the terminal's IMEI only in the coding the handset will answer with: packed BCD gets 6A80. */
    @Test
    void initTrustWithAPackedBcdImeiIsRefused() {
        byte[] k = Terminal.enrolSymmetric(f.ks, OtaFixture.IMEI, OtaFixture.MAX_OUTPUT);
        byte[] cmd = RemoteCommands.create().initTrust(Constants.KEY_TYPE_AES128, k, OtaFixture.IMEI, OtaFixture.MAX_OUTPUT,
                OtaFixture.TODAY.plusDays(30), 90, OtaFixture.TODAY).bytes();
        String hex = dev.cardsmith.crypto.Hex.of(cmd).toUpperCase();
        int at = hex.indexOf("82084A09512430325701");
        assertTrue(at > 0);
        byte[] bcd = dev.cardsmith.crypto.Hex.parse(hex.substring(0, at) + "8208490154203237518F" + hex.substring(at + 20));
        assertEquals(Sw.WRONG_DATA, f.send(f.server.prepare(OtaFixture.SIM, "init-trust", bcd)).compact().sw());
        assertEquals(Constants.STATE_EMPTY, SimStatus.parse(f.send(f.server.status(OtaFixture.SIM, OtaFixture.TODAY)).compact().data()).state());
        assertTrue(f.send(f.server.prepare(OtaFixture.SIM, "init-trust", cmd)).compact().ok(), "the same command with the 24.008 IMEI");
    }

    @Test
    void claim_simInitiatedUpdate_whenTheAuthenticatedDateNearsExpiry() {
        byte[] k = Terminal.enrolSymmetric(f.ks, OtaFixture.IMEI, OtaFixture.MAX_OUTPUT);
        // expiry in 20 days, updated keys live 40 days: the SIM asks for an update in the last 10 days
        f.send(f.server.initTrustSymmetric(OtaFixture.SIM, k, OtaFixture.IMEI, OtaFixture.MAX_OUTPUT, OtaFixture.TODAY.plusDays(20), 40, OtaFixture.TODAY));
        f.terminal.authenticate(false, OtaFixture.TODAY);
        f.terminal.ack();
        assertFalse(f.terminal.authenticate(false, OtaFixture.TODAY.plusDays(9)).updatePending());
        Terminal.AuthResult a = f.terminal.authenticate(false, OtaFixture.TODAY.plusDays(11));
        assertTrue(a.updatePending(), "the SIM set its pending-update flag");
        assertTrue(f.terminal.poll().updatePending());
        // the new key's lifetime counts from the network's date (a terminal's date cannot extend it)
        f.send(f.server.status(OtaFixture.SIM, OtaFixture.TODAY.plusDays(11)));
        Terminal.AuthResult u = f.terminal.authenticate(true, OtaFixture.TODAY.plusDays(11));
        assertEquals(OtaFixture.TODAY.plusDays(51), u.expiry(), "new key valid for the lifetime from the current date");
        f.terminal.ack();
        assertFalse(f.terminal.poll().updatePending());
        assertEquals(u.expiry(), f.terminal.poll().expiry());
    }

    @Test
    void measurement_trustInitRoundTrips() {
        byte[] k = Terminal.enrolSymmetric(f.ks, OtaFixture.IMEI, OtaFixture.MAX_OUTPUT);
        OtaServer.OtaMessage m = f.server.initTrustSymmetric(OtaFixture.SIM, k, OtaFixture.IMEI, OtaFixture.MAX_OUTPUT, OtaFixture.TODAY.plusDays(30), 90, OtaFixture.TODAY);
        CardSession.Stats s0 = f.card.stats().snapshot();
        f.send(m);
        f.terminal.authenticate(false, OtaFixture.TODAY);
        f.terminal.ack();
        CardSession.Stats used = f.card.stats().since(s0);
        // ENVELOPE (network, through the handset), SELECT (answer = challenge)+AUTHENTICATE+ACK (terminal): 4 round trips
        assertEquals(4, used.apdus(), used.toString());
        assertEquals(1, m.envelopes().size());
        System.out.println("trust init: " + used + "; init packet " + m.packet().length + " bytes, TPDU " + m.tpdus().get(0).length
                + " bytes, envelope " + m.envelopes().get(0).length + " bytes");
    }

    @Test
    void claim_asymmetricVariant_ecdsaTerminalAuthenticationAndEcdhKeyDelivery() {
        byte[] pub = f.enrolEc();
        assertTrue(f.send(f.server.initTrustEc(OtaFixture.SIM, pub, OtaFixture.IMEI, OtaFixture.MAX_OUTPUT, OtaFixture.TODAY.plusDays(30), 90, OtaFixture.TODAY)).compact().ok());
        Terminal.AuthResult a = f.terminal.authenticate(false, OtaFixture.TODAY);
        assertTrue(a.keyDelivered());
        f.server.acceptNotification(OtaFixture.SIM, f.terminal.ack());
        assertEquals(1, f.terminal.authenticate(false, OtaFixture.TODAY).generation());
    }

    @Test
    void attack_pcKnowingTheTrustedImeiButNotTheKeyGetsNothing() {
        establish();
        byte[] ck = new byte[16];
        f.send(f.server.license(OtaFixture.SIM, 9, ck, 5, OtaFixture.TODAY, OtaFixture.TODAY.plusDays(5)));
        // a fresh PC reader: knows the IMEI and the protocol (it even answers PROVIDE LOCAL
        // INFORMATION with the IMEI), not the trust key
        f.card.reset();
        f.powerOn();
        f.card.select(OtaServer.simAid());
        assertEquals(Sw.SECURITY_STATUS_NOT_SATISFIED, f.card.transmit(new javax.smartcardio.CommandAPDU(0x80, Constants.INS_GET_CONTENT_KEY, 0, 0, new byte[] {0, 9}, 256)).getSW());
        byte[] ch = f.card.transmitOk("GET CHALLENGE", new javax.smartcardio.CommandAPDU(0x80, Constants.INS_GET_CHALLENGE, 0, 0, 256)).getData();
        assertEquals(20, ch.length);
        byte[] data = new byte[35]; // date IMEI maxOutput nonce proof
        data[0] = 0x26; // a date
        System.arraycopy(Imei.mobileIdentity(OtaFixture.IMEI), 0, data, 2, 8);
        data[10] = OtaFixture.MAX_OUTPUT;
        assertEquals(Sw.SECURITY_STATUS_NOT_SATISFIED, f.card.transmit(new javax.smartcardio.CommandAPDU(0x80, Constants.INS_AUTHENTICATE, 0, 0, data, 256)).getSW());
        assertEquals(Sw.SECURITY_STATUS_NOT_SATISFIED, f.card.transmit(new javax.smartcardio.CommandAPDU(0x80, Constants.INS_GET_CONTENT_KEY, 0, 0, new byte[] {0, 9}, 256)).getSW());
        assertEquals(Sw.SECURITY_STATUS_NOT_SATISFIED, f.card.transmit(new javax.smartcardio.CommandAPDU(0x80, Constants.INS_TERMINAL_REVOKE, 0, 0, 256)).getSW());
        // the same challenge cannot be tried again
        assertEquals(Sw.CONDITIONS_NOT_SATISFIED, f.card.transmit(new javax.smartcardio.CommandAPDU(0x80, Constants.INS_AUTHENTICATE, 0, 0, data, 256)).getSW());
        // the genuine terminal still works
        f.terminal.authenticate(false, OtaFixture.TODAY);
        assertArrayEquals(ck, f.terminal.contentKey(9).key());
    }

    @Test
    void attack_changedImeiOrMaxOutputIsRefusedEvenWithTheRightKey() {
        establish();
        f.ks.attr("imei", "356938035643809");
        assertEquals(Sw.SECURITY_STATUS_NOT_SATISFIED, sw(() -> f.terminal.authenticate(false, OtaFixture.TODAY)));
        f.ks.attr("imei", OtaFixture.IMEI);
        f.ks.attr("maxOutput", OtaFixture.MAX_OUTPUT + 1);
        assertEquals(Sw.SECURITY_STATUS_NOT_SATISFIED, sw(() -> f.terminal.authenticate(false, OtaFixture.TODAY)));
        f.ks.attr("maxOutput", OtaFixture.MAX_OUTPUT);
        f.terminal.authenticate(false, OtaFixture.TODAY);
    }

    @Test
    void attack_expiredKeyIsRefused_andDatesOnlyMoveForward() {
        establish();
        byte[] ck = new byte[16];
        f.send(f.server.license(OtaFixture.SIM, 1, ck, 0xFFFF, OtaFixture.TODAY, OtaFixture.TODAY.plusDays(365)));
        // the network's authenticated date passes the expiry
        f.send(f.server.status(OtaFixture.SIM, OtaFixture.TODAY.plusDays(31)));
        assertEquals(Sw.REFERENCE_DATA_NOT_USABLE, sw(() -> f.terminal.authenticate(false, OtaFixture.TODAY)), "a terminal cannot turn the clock back");
        assertTrue((f.terminal.poll().flags() & Constants.FLAG_EXPIRED) != 0);
        assertEquals(Sw.REFERENCE_DATA_NOT_USABLE, sw(() -> f.terminal.authenticate(true, OtaFixture.TODAY.plusDays(31))), "no update after expiry");
        // only the network can re-initialize
        establish(OtaFixture.TODAY.plusDays(90), OtaFixture.TODAY.plusDays(31));
    }

    @Test
    void attack_lostUpdateAck_oldKeyStillWorks_noKeyLost_ackRepeatable() {
        establish();
        f.terminal.authenticate(true, OtaFixture.TODAY); // SIM generated gen 2, terminal stored it, ack lost
        f.card.reset();
        f.powerOn();
        Terminal fresh = new Terminal(f.card, f.ks);
        assertEquals(1, fresh.authenticate(false, OtaFixture.TODAY).generation(), "old key still authenticates");
        byte[] note = fresh.ack(); // the acknowledgement arrives late, in another session
        assertEquals(Constants.EVENT_TRUST_ACK, f.server.acceptNotification(OtaFixture.SIM, note).type());
        assertEquals(2, new Terminal(f.card, f.ks).authenticate(false, OtaFixture.TODAY).generation());
    }

    @Test
    void attack_ackAnswerLost_terminalAdoptsCommittedKey() {
        establish();
        f.terminal.authenticate(true, OtaFixture.TODAY);
        // the ACK reaches the SIM (committed) but the answer never reaches the terminal
        int gen = f.ks.intAttr("pendingGen", -1);
        byte[] mac = f.ks.secret("mac-" + gen);
        byte[] nonce = dev.cardsmith.crypto.Hex.parse(f.ks.attr("pendingNonce"));
        byte[] tag = Arrays.copyOf(dev.cardsmith.crypto.Cmac.aes(mac, concat(new byte[] {Constants.LABEL_ACK}, nonce, new byte[] {(byte) gen})), 8);
        f.card.transmitOk("ACK", new javax.smartcardio.CommandAPDU(0x80, Constants.INS_ACK, 0, 0, concat(new byte[] {(byte) gen}, tag), 256));
        assertEquals(2, new Terminal(f.card, f.ks).authenticate(false, OtaFixture.TODAY).generation());
        assertEquals(2, f.ks.intAttr("activeGen", -1));
    }

    @Test
    void drm_validityWindowAndUnknownContent() {
        establish();
        byte[] ck = new byte[16];
        f.send(f.server.license(OtaFixture.SIM, 3, ck, 5, OtaFixture.TODAY.plusDays(2), OtaFixture.TODAY.plusDays(3)));
        f.terminal.authenticate(false, OtaFixture.TODAY);
        assertEquals(Sw.REFERENCE_DATA_NOT_USABLE, sw(() -> f.terminal.contentKey(3)), "not yet valid");
        assertEquals(Sw.REFERENCED_DATA_NOT_FOUND, sw(() -> f.terminal.contentKey(4)));
        // a terminal's date cannot open the window: only the network's authenticated date moves the card's clock
        f.terminal.authenticate(false, OtaFixture.TODAY.plusDays(2));
        assertEquals(Sw.REFERENCE_DATA_NOT_USABLE, sw(() -> f.terminal.contentKey(3)), "the terminal cannot widen the window");
        f.send(f.server.status(OtaFixture.SIM, OtaFixture.TODAY.plusDays(2)));
        f.terminal.authenticate(false, OtaFixture.TODAY.plusDays(2));
        assertEquals(4, f.terminal.contentKey(3).playsLeft());
        // a terminal whose date is later makes the window narrower (stricter only)
        f.terminal.authenticate(false, OtaFixture.TODAY.plusDays(4));
        assertEquals(Sw.REFERENCE_DATA_NOT_USABLE, sw(() -> f.terminal.contentKey(3)), "validity over");
    }

    // ------------------------------------------------------------------ issue 14: trust-model attacks

    /** Attack: an authenticated terminal states a later date: the card's clock moved and the license opened early. */
    @Test
    void attack_terminalDateOpensALicenseBeforeItsValidFrom() {
        establish();
        f.send(f.server.license(OtaFixture.SIM, 5, new byte[16], 9, OtaFixture.TODAY.plusDays(10), OtaFixture.TODAY.plusDays(20)));
        f.terminal.authenticate(false, OtaFixture.TODAY.plusDays(10));
        assertEquals(Sw.REFERENCE_DATA_NOT_USABLE, sw(() -> f.terminal.contentKey(5)), "a terminal's date opened the window");
        assertEquals(OtaFixture.TODAY, f.terminal.poll().cardDate(), "a terminal's date moved the card's clock");
    }

    /** Attack: one terminal states a date past the expiry: the clock moved for good, every later session found the key expired. */
    @Test
    void attack_terminalDateExpiresTheTrustForEveryone() {
        establish();
        assertEquals(Sw.REFERENCE_DATA_NOT_USABLE, sw(() -> f.terminal.authenticate(false, OtaFixture.TODAY.plusDays(400))), "stricter for that session");
        f.powerCycle();
        assertTrue(f.terminal.authenticate(false, OtaFixture.TODAY).generation() >= 1, "the next session with today's date works");
    }

    /** Attack: three bogus AUTHENTICATEs from any reader or app revoked the trust relationship (and the count survived sessions). */
    @Test
    void attack_threeBogusAuthenticatesFromAnyAppRevokeTheTrust() {
        establish();
        for (int round = 0; round < 2; round++) {
            for (int i = 0; i < Constants.MAX_AUTH_FAILURES; i++) {
                f.card.select(OtaServer.simAid());
                f.card.transmitOk("GET CHALLENGE", new javax.smartcardio.CommandAPDU(0x80, Constants.INS_GET_CHALLENGE, 0, 0, 256));
                f.card.transmit(new javax.smartcardio.CommandAPDU(0x80, Constants.INS_AUTHENTICATE, 0, 0, new byte[35], 256));
            }
            f.powerCycle();
        }
        assertEquals(Constants.STATE_TRUSTED, f.terminal.poll().state(), "unauthenticated failures revoked the trust");
        f.terminal.authenticate(false, OtaFixture.TODAY);
    }

    /** Attack: forged GET CHALLENGE bytes (state TRUSTED, generation = the pending one) made the terminal promote its pending key. */
    @Test
    void attack_forgedChallengeBytesPromoteThePendingKey() {
        establish();
        assertTrue(f.terminal.authenticate(true, OtaFixture.TODAY).keyDelivered()); // generation 2 pending, not acknowledged
        int pending = f.ks.intAttr("pendingGen", -1);
        dev.cardsmith.transport.ApduChannel forging = c -> {
            javax.smartcardio.ResponseAPDU r = f.card.transmit(c);
            if (c.getINS() != (Constants.INS_GET_CHALLENGE & 0xFF) && c.getINS() != 0xA4) return r;
            byte[] d = r.getData();
            if (d.length != 20) return r;
            d[16] = Constants.STATE_TRUSTED;
            d[17] = (byte) pending;
            return dev.cardsmith.transport.ApduChannel.withData(r, d);
        };
        new Terminal(forging, f.ks).challenge();
        assertEquals(pending, f.ks.intAttr("pendingGen", -1), "the pending key was promoted on unauthenticated bytes");
        assertEquals(1, f.ks.intAttr("activeGen", -1));
    }

    /** Attack: a fake SIM answered AUTHENTICATE without knowing any key, and the terminal took the session as authenticated. */
    @Test
    void attack_fakeSimAnswersAuthenticateWithoutTheKey() {
        establish();
        dev.cardsmith.transport.ApduChannel fake = c -> {
            if (c.getINS() == 0xA4 || c.getINS() == (Constants.INS_GET_CHALLENGE & 0xFF)) {
                byte[] ch = new byte[20];
                ch[16] = Constants.STATE_TRUSTED;
                ch[17] = 1;
                return new javax.smartcardio.ResponseAPDU(concat(ch, new byte[] {(byte) 0x90, 0}));
            }
            // flags, generation 1, expiry, and whatever follows: the fake has no key to prove anything with
            return new javax.smartcardio.ResponseAPDU(concat(new byte[] {0, 1, 0x7F, 0x00}, new byte[8], new byte[] {(byte) 0x90, 0}));
        };
        Terminal t = new Terminal(fake, f.ks);
        assertThrows(TerminalException.class, () -> t.authenticate(false, OtaFixture.TODAY), "the terminal accepted an unproven SIM");
        assertFalse(t.authenticated());
    }

    /** Attack: the IMEI is no secret - an app holding the key on another handset states the trusted IMEI. */
    @Test
    void attack_keyHolderOnAnotherHandsetStatesTheTrustedImei() {
        byte[] k = Terminal.enrolSymmetric(f.ks, OtaFixture.IMEI, OtaFixture.MAX_OUTPUT);
        assertTrue(f.send(f.server.initTrustSymmetric(OtaFixture.SIM, k, OtaFixture.IMEI, OtaFixture.MAX_OUTPUT,
                OtaFixture.TODAY.plusDays(30), 90, OtaFixture.TODAY)).compact().ok());
        f.card.reset();
        new dev.cardsmith.ota.handset.Handset(f.card, "356938035643809").powerOn(); // the SIM is in another handset
        Terminal app = new Terminal(f.card, f.ks); // states OtaFixture.IMEI and proves the init key
        assertEquals(Sw.SECURITY_STATUS_NOT_SATISFIED, sw(() -> app.authenticate(false, OtaFixture.TODAY)));
        f.powerCycle();
        assertTrue(f.terminal.authenticate(false, OtaFixture.TODAY).keyDelivered(), "in the right handset it works");
    }

    static byte[] concat(byte[]... p) { return CommandPacket.concat(p); }
}
