package dev.cardsmith.ota;

import dev.cardsmith.hsm.Hsm;
import dev.cardsmith.hsm.SoftwareHsm;
import dev.cardsmith.ota.handset.Handset;
import dev.cardsmith.ota.terminal.Terminal;
import dev.cardsmith.ota.terminal.TerminalKeyStore;
import dev.cardsmith.store.Database;
import dev.cardsmith.simulator.AppletSpec;
import dev.cardsmith.transport.CardSession;
import dev.cardsmith.simulator.AppletRegistry;
import dev.cardsmith.support.CardUnderTest;

import javax.smartcardio.ResponseAPDU;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;

/** A simulated SIM with the sim applet, an OTA server with its store and HSM, and a terminal. */
final class OtaFixture implements AutoCloseable {

    static final String SIM = "89490000000000000017";
    static final String IMEI = "490154203237518";
    static final int MAX_OUTPUT = 12;
    static final LocalDate TODAY = LocalDate.of(2026, 11, 24);

    final CardSession card;
    final Database db;
    final Hsm hsm;
    final OtaServer server;
    final TerminalKeyStore ks;
    Terminal terminal;
    final Path dir;

    OtaFixture(Path dir, Spi.CounterMode mode) {
        this(dir, mode, DevKeys.MSL);
    }

    OtaFixture(Path dir, Spi.CounterMode mode, int msl) {
        this.dir = dir;
        AppletSpec spec = AppletRegistry.byName("sim").withInstallParams(DevKeys.keys().installParams(msl));
        card = new CardSession(CardUnderTest.fresh(List.of(spec)));
        db = Database.open("jdbc:sqlite:" + dir.resolve("ota.db"));
        hsm = SoftwareHsm.open(dir.resolve("hsm.p12"), "test".toCharArray());
        OtaStore.createKek(hsm);
        server = new OtaServer(new OtaStore(db, hsm));
        server.store().register(SIM, DevKeys.keys(), mode);
        ks = TerminalKeyStore.open(dir.resolve("terminal.json"), "test".toCharArray());
        terminal = new Terminal(card, ks);
        powerOn();
    }

    /** The handset off and on: the SIM is reset, the terminal app starts afresh, the baseband powers on. */
    void powerCycle() {
        card.reset();
        terminal = new Terminal(card, ks);
        powerOn();
    }

    /** The handset after power-up: TERMINAL PROFILE, then PROVIDE LOCAL INFORMATION answered with its IMEI. */
    int powerOn() {
        return new Handset(card, IMEI).powerOn();
    }

    /** The network sends a message: SMS-DELIVER to the handset, ENVELOPE to the card, the PoR back. */
    OtaServer.Result send(OtaServer.OtaMessage m) { return server.send(new Handset(card, IMEI), m); }

    /** Network initializes with the terminal's symmetric key (Fig. 1 steps 20-22). */
    OtaServer.Result initSymmetric(LocalDate expiry) {
        byte[] k = Terminal.enrolSymmetric(ks, IMEI, MAX_OUTPUT);
        return send(server.initTrustSymmetric(SIM, k, IMEI, MAX_OUTPUT, expiry, 90, TODAY));
    }

    /**
     * EC variant: the terminal enrols a P-256 key pair; the OTA server certifies the SIM's identity
     * key (reads it by OTA, stores the operator's certificate on the SIM) and the terminal pins the
     * operator CA. Returns the terminal's public point for INIT_TRUST.
     */
    byte[] enrolEc() {
        byte[] pub = Terminal.enrolEc(ks, IMEI, MAX_OUTPUT);
        certifySim();
        Terminal.pinOperatorCa(ks, server.operatorCa());
        return pub;
    }

    /** The OTA server certifies the SIM's identity key (two packets). */
    void certifySim() {
        OtaServer.Result key = send(server.readSimKey(SIM));
        if (!send(server.certifySimKey(SIM, key)).compact().ok()) throw new IllegalStateException("certificate not stored");
    }

    /** Sends raw envelopes (attack tests) and returns the last response. */
    ResponseAPDU raw(List<byte[]> envelopes) {
        card.select(OtaServer.simAid());
        ResponseAPDU r = null;
        for (byte[] e : envelopes) r = card.transmit(OtaServer.envelopeApdu(e));
        return r;
    }

    static List<byte[]> envelopes(byte[] packet) {
        return SmsPp.deliver("+4917000000", packet, 1, OtaServer.scts(java.time.ZonedDateTime.now())).stream()
                .map(t -> SmsPp.envelope(t, null)).toList();
    }

    @Override
    public void close() {
        card.close();
        hsm.close();
    }
}
