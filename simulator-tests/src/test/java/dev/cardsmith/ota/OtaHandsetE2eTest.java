package dev.cardsmith.ota;

import dev.cardsmith.applet.sim.Constants;
import dev.cardsmith.crypto.Hex;
import dev.cardsmith.ota.handset.Handset;
import dev.cardsmith.support.CardTest;
import dev.cardsmith.transport.ApduChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.smartcardio.CommandAPDU;
import javax.smartcardio.ResponseAPDU;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * End to end as the network reaches a SIM: OTA server -> SMS-DELIVER -> handset model -> ENVELOPE
 * (SMS-PP download) -> card -> PoR -> server, for init-trust, update, a DRM license and revoke, with
 * concatenated, replayed and wrong-TAR messages and SMS that must never reach the applet.
 */
@CardTest
class OtaHandsetE2eTest {

    /** Counts the commands that reach the card. */
    static final class Counting implements ApduChannel {
        final ApduChannel inner;
        final List<Integer> ins = new ArrayList<>();

        Counting(ApduChannel inner) { this.inner = inner; }

        @Override
        public ResponseAPDU transmit(CommandAPDU c) {
            ins.add(c.getINS());
            return inner.transmit(c);
        }
    }

    OtaFixture f;
    Counting wire;
    Handset handset;

    @BeforeEach
    void start(@TempDir Path dir) {
        f = new OtaFixture(dir, Spi.CounterMode.HIGHER);
        wire = new Counting(f.card);
        handset = new Handset(wire, OtaFixture.IMEI);
    }

    @AfterEach
    void stop() { f.close(); }

    OtaServer.Result send(OtaServer.OtaMessage m) { return f.server.send(handset, m); }

    /** init-trust through the handset, then the terminal authenticates and its ACK reaches the network. */
    void establish() {
        OtaServer.Result init = send(f.server.initTrustSymmetric(OtaFixture.SIM,
                dev.cardsmith.ota.terminal.Terminal.enrolSymmetric(f.ks, OtaFixture.IMEI, OtaFixture.MAX_OUTPUT),
                OtaFixture.IMEI, OtaFixture.MAX_OUTPUT, OtaFixture.TODAY.plusDays(30), 90, OtaFixture.TODAY));
        assertTrue(init.por().ok() && init.por().authenticated() && init.compact().ok(), "init-trust PoR");
        assertEquals("INITIALIZED", f.server.store().require(OtaFixture.SIM).trustState());
        assertTrue(f.terminal.authenticate(false, OtaFixture.TODAY).keyDelivered());
        f.server.acceptNotification(OtaFixture.SIM, f.terminal.ack());
        assertEquals("TRUSTED", f.server.store().require(OtaFixture.SIM).trustState());
    }

    SimStatus status() {
        OtaServer.Result r = send(f.server.status(OtaFixture.SIM, OtaFixture.TODAY));
        assertTrue(r.por().ok() && r.compact().ok(), "STATUS PoR");
        return SimStatus.parse(r.compact().data());
    }

    @Test
    void initTrust_update_license_revoke_throughTheHandset() {
        establish();
        assertEquals(Constants.STATE_TRUSTED, status().state());

        assertTrue(send(f.server.update(OtaFixture.SIM, OtaFixture.TODAY.plusDays(1))).compact().ok(), "update");
        assertTrue(send(f.server.license(OtaFixture.SIM, 7, new byte[16], 3, OtaFixture.TODAY, OtaFixture.TODAY.plusDays(9))).compact().ok(), "license");
        assertEquals(1, status().licenses());

        assertTrue(send(f.server.revoke(OtaFixture.SIM)).compact().ok(), "revoke");
        assertEquals("REVOKED", f.server.store().require(OtaFixture.SIM).trustState());
        assertEquals(Constants.STATE_REVOKED, status().state());
        assertTrue(handset.inbox().isEmpty());
        assertTrue(wire.ins.stream().allMatch(i -> i == 0xC2 || i == 0x12 || i == 0x14), "only ENVELOPE / FETCH / TERMINAL RESPONSE: " + wire.ins);
    }

    @Test
    void concatenated_ecInitInTwoSegments_oneEnvelopeEach() {
        byte[] ec = f.enrolEc();
        OtaServer.OtaMessage m = f.server.initTrustEc(OtaFixture.SIM, ec, OtaFixture.IMEI, OtaFixture.MAX_OUTPUT,
                OtaFixture.TODAY.plusDays(30), 90, OtaFixture.TODAY);
        assertEquals(2, m.tpdus().size());
        int before = handset.envelopes().size();
        OtaServer.Result r = send(m);
        assertEquals(2, handset.envelopes().size() - before, "one ENVELOPE per segment");
        assertTrue(r.por().ok() && r.compact().ok());
        assertEquals(Constants.KEY_TYPE_EC_P256, status().keyType());
        // the same kind of message with its segments in the opposite order: the card reassembles
        OtaServer.OtaMessage again = f.server.initTrustEc(OtaFixture.SIM, ec, OtaFixture.IMEI, OtaFixture.MAX_OUTPUT,
                OtaFixture.TODAY.plusDays(60), 90, OtaFixture.TODAY);
        List<byte[]> reversed = new ArrayList<>(again.tpdus());
        java.util.Collections.reverse(reversed);
        ResponsePacket por = f.server.readPor(again, handset.deliver(reversed).deliverReport());
        assertTrue(por.ok() && por.authenticated() && por.compact().ok(), "segments 2, 1");
    }

    @Test
    void replayedSms_getsCntrLow_andChangesNothing() {
        establish();
        OtaServer.OtaMessage lic = f.server.license(OtaFixture.SIM, 9, new byte[16], 3, OtaFixture.TODAY, OtaFixture.TODAY.plusDays(9));
        assertTrue(send(lic).compact().ok());
        assertEquals(1, status().licenses());
        assertTrue(send(f.server.prepare(OtaFixture.SIM, "license", RemoteCommands.create().deleteLicense(9).bytes())).compact().ok());
        assertEquals(0, status().licenses());
        // the attacker replays the captured license SMS after the network withdrew the license
        ResponsePacket replay = f.server.readPor(lic, handset.deliver(lic.tpdus()).deliverReport());
        assertEquals(Constants.POR_CNTR_LOW, replay.status());
        assertFalse(replay.authenticated());
        assertEquals(0, status().licenses(), "the replayed license was not stored again");
    }

    @Test
    void ordinarySms_neverReachesTheApplet_evenWithAValidPacketInside() {
        OtaServer.OtaMessage m = f.server.license(OtaFixture.SIM, 5, new byte[16], 3, OtaFixture.TODAY, OtaFixture.TODAY.plusDays(9));
        byte[] tpdu = m.tpdus().get(0);
        int pidAt = 1 + 2 + (tpdu[1] + 1) / 2; // first octet, address length and type, digits
        for (int[] pidDcs : new int[][] {{0x00, 0xF6}, {0x7F, 0x00}, {0x7F, 0xF5}, {0x7F, 0xF2}}) {
            byte[] t = tpdu.clone();
            t[pidAt] = (byte) pidDcs[0];
            t[pidAt + 1] = (byte) pidDcs[1];
            assertEquals(Handset.Route.ORDINARY, handset.receive(t).route(), Hex.of(new byte[] {t[pidAt], t[pidAt + 1]}));
        }
        assertTrue(wire.ins.isEmpty(), "the card saw no command at all: " + wire.ins);
        assertEquals(4, handset.inbox().size());
        assertEquals(0, status().licenses(), "no license from the SMS the handset kept");
    }

    @Test
    void wrongTar_isNotExecuted_andThePorIsNotTakenForTheSims() {
        f.server.store().register("89490000000000000099", OtaKeys.aes(DevKeys.KIC_INDEX, DevKeys.KIC, DevKeys.KID_INDEX, DevKeys.KID,
                Hex.parse("B00000")), Spi.CounterMode.HIGHER);
        OtaServer.OtaMessage m = f.server.revoke("89490000000000000099");
        OtaServer.Result r = f.server.send(handset, m);
        assertEquals(Constants.POR_TAR_UNKNOWN, r.por().status());
        assertFalse(r.por().authenticated());
        assertNotEquals(Constants.STATE_REVOKED, status().state(), "the SIM's applet did not run the revoke");
    }

    @Test
    void porBySmsSubmit_isReadFromTheCapturedSubmitOrTheReport() {
        OtaServer bySubmit = f.server.porBySubmit(true);
        OtaServer.OtaMessage m = bySubmit.status(OtaFixture.SIM, OtaFixture.TODAY);
        assertTrue(m.spi().porBySubmit());
        OtaServer.Result r = bySubmit.send(handset, m);
        assertTrue(r.por().ok() && r.por().authenticated());
        assertTrue(handset.proactiveCommands().contains(0x13), "the SIM sent its PoR with SEND SHORT MESSAGE: " + handset.proactiveCommands());
        assertEquals(1, handset.submitted().size());
        SmsPp.Submit sms = SmsPp.parseSubmit(handset.submitted().get(0));
        assertTrue(sms.udh().containsKey(0x71), "response packet identifier");
        assertEquals(List.of(0xC2, 0x12, 0x14), wire.ins, "ENVELOPE, FETCH, TERMINAL RESPONSE");
    }
}
