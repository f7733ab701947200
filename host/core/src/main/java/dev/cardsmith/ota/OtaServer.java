package dev.cardsmith.ota;

import dev.cardsmith.applet.sim.Constants;
import dev.cardsmith.crypto.EcP256;
import dev.cardsmith.hsm.Hsm;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.smartcardio.CommandAPDU;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;

/**
 * The network's secured OTA server (Fig. 1 "SS"): builds secured command packets for a SIM's
 * key set with the next counter, wraps them as SMS-PP (SMS-DELIVER TPDUs, concatenated when
 * long, and the SMS-PP download envelopes a terminal passes to the SIM), sends them to a card,
 * verifies the proof of receipt and accepts the SIM's notifications (Fig. 1 step 28).
 */
public final class OtaServer {

    private static final Logger LOG = LoggerFactory.getLogger(OtaServer.class);

    /** Default TP-OA of the OTA server's SMS. */
    public static final String DEFAULT_ORIGINATOR = "+4917000000";

    private final OtaStore store;
    private final String originator;
    private final int keySet;
    private final boolean porBySubmit;

    public OtaServer(OtaStore store) { this(store, DEFAULT_ORIGINATOR); }

    public OtaServer(OtaStore store, String originator) { this(store, originator, 0, false); }

    private OtaServer(OtaStore store, String originator, int keySet, boolean porBySubmit) {
        this.store = store;
        this.originator = originator;
        this.keySet = keySet;
        this.porBySubmit = porBySubmit;
    }

    public OtaStore store() { return store; }

    /** The same server building its packets with the SIM's key set {@code index} (0: the SIM's default set). */
    public OtaServer usingKeySet(int index) {
        if (index < 0 || index > 15) throw new IllegalArgumentException("key set index must be 0..15");
        return new OtaServer(store, originator, index, porBySubmit);
    }

    /** The same server asking the SIM for its PoRs by SMS-SUBMIT (SPI octet 2 b6) instead of in the delivery report. */
    public OtaServer porBySubmit(boolean bySubmit) { return new OtaServer(store, originator, keySet, bySubmit); }

    /** One secured packet as built: the packet, its SMS-DELIVER TPDUs and SMS-PP download envelopes. */
    public record OtaMessage(String id, String simId, String command, long counter, Spi spi, byte[] packet,
                             List<byte[]> tpdus, List<byte[]> envelopes, int keySet) {
        /** The ENVELOPE stand-in APDUs (80 C2 00 00) for a reader. */
        public List<CommandAPDU> apdus() {
            List<CommandAPDU> l = new ArrayList<>();
            for (byte[] e : envelopes) l.add(envelopeApdu(e));
            return l;
        }
    }

    public record Result(OtaMessage message, ResponsePacket por) {
        public ResponsePacket.CompactResponse compact() { return por.compact(); }
    }

    public static CommandAPDU envelopeApdu(byte[] envelope) {
        return new CommandAPDU(Constants.CLA_PROPRIETARY, Constants.INS_ENVELOPE, 0, 0, envelope, 256);
    }

    public static byte[] simAid() { return SimCard.AID.clone(); }

    // ------------------------------------------------------------------ commands

    public OtaMessage initTrustSymmetric(String simId, byte[] initKey, String imei, int maxOutput, LocalDate expiry, int lifetimeDays, LocalDate today) {
        if (initKey.length != 16) throw new IllegalArgumentException("symmetric authentication key must be 16 bytes (AES-128)");
        return prepare(simId, "init-trust", RemoteCommands.create()
                .initTrust(Constants.KEY_TYPE_AES128, initKey, imei, maxOutput, expiry, lifetimeDays, today).bytes());
    }

    public OtaMessage initTrustEc(String simId, byte[] ecPublicPoint, String imei, int maxOutput, LocalDate expiry, int lifetimeDays, LocalDate today) {
        if (ecPublicPoint.length != 65 || ecPublicPoint[0] != 0x04) throw new IllegalArgumentException("EC public key must be an uncompressed P-256 point (65 bytes, 04...)");
        return prepare(simId, "init-trust", RemoteCommands.create()
                .initTrust(Constants.KEY_TYPE_EC_P256, ecPublicPoint, imei, maxOutput, expiry, lifetimeDays, today).bytes());
    }

    // ------------------------------------------------------------------ SIM identity (EC variant)

    /** HSM label of the operator CA that certifies SIM identity keys. */
    public static final String OPERATOR_CA_LABEL = "ota-operator-ca";

    /**
     * The operator CA's public point (65 bytes), the trust anchor a terminal pins to recognise a
     * genuine SIM; created in the HSM on first use.
     */
    public byte[] operatorCa() {
        Hsm hsm = store.hsm();
        if (!hsm.contains(OPERATOR_CA_LABEL)) {
            LOG.info("operator CA {} created in {}", OPERATOR_CA_LABEL, hsm.describe());
            return EcP256.encode(hsm.generateEcKeyPair(OPERATOR_CA_LABEL));
        }
        return EcP256.encode(hsm.publicKey(OPERATOR_CA_LABEL));
    }

    /** Asks the SIM for the public point of its identity key (SIM_KEY P1 00). */
    public OtaMessage readSimKey(String simId) {
        return prepare(simId, "sim-key", RemoteCommands.create().readSimKey().bytes());
    }

    /**
     * The certificate for the SIM key that {@code keyAnswer} (the result of {@link #readSimKey})
     * carried: only from an authenticated PoR (CC under the SIM's KID, so the point is the SIM's),
     * only a point on P-256. Returns the packet that stores it on the SIM.
     */
    public OtaMessage certifySimKey(String simId, Result keyAnswer) {
        ResponsePacket por = keyAnswer.por();
        if (!"sim-key".equals(keyAnswer.message().command()) || !keyAnswer.message().simId().equals(simId)) {
            throw new IllegalArgumentException("not the answer to a SIM key request for " + simId);
        }
        if (!por.authenticated() || !por.ok() || !por.compact().ok()) {
            throw new OtaSecurityException(Constants.POR_RC_CC_DS_FAILED, "the SIM key did not come in an authenticated PoR");
        }
        byte[] point = por.compact().data();
        EcP256.checkPoint(point);
        operatorCa();
        byte[] cert = store.hsm().signSha256WithEcdsa(OPERATOR_CA_LABEL,
                concat(new byte[] {Constants.LABEL_SIM_CERTIFICATE}, point));
        return prepare(simId, "sim-cert", RemoteCommands.create().simCertificate(cert).bytes());
    }

    /** Both steps through a bearer: read the SIM key, certify it, store the certificate on the SIM. */
    public void certifySim(String simId, SmsBearer bearer) {
        operatorCa();
        Result key = send(bearer, readSimKey(simId));
        Result stored = send(bearer, certifySimKey(simId, key));
        if (!stored.por().ok() || !stored.compact().ok()) {
            throw new OtaSecurityException(stored.por().status(), "the SIM did not store its certificate (SW "
                    + String.format("%04X", stored.compact().sw()) + ")");
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] o = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, o, a.length, b.length);
        return o;
    }

    /** Asks the SIM to renew the trust key before expiry (sets its pending-update flag, Fig. 3 step 30). */
    public OtaMessage update(String simId, LocalDate today) {
        return prepare(simId, "update", RemoteCommands.create().setDate(today).requestUpdate().bytes());
    }

    public OtaMessage revoke(String simId) {
        return prepare(simId, "revoke", RemoteCommands.create().revoke().bytes());
    }

    public OtaMessage license(String simId, int contentId, byte[] contentKey, int plays, LocalDate from, LocalDate until) {
        return prepare(simId, "license", RemoteCommands.create().license(contentId, contentKey, plays, from, until).bytes());
    }

    public OtaMessage status(String simId, LocalDate today) {
        return prepare(simId, "status", RemoteCommands.create().setDate(today).status().bytes());
    }

    /** Builds a secured packet around compact remote commands with the SIM's next counter. */
    public OtaMessage prepare(String simId, String command, byte[] remoteCommands) {
        OtaStore.SimRecord sim = store.require(simId);
        OtaKeys keys = sim.keySet(keySet);
        Spi spi = Spi.secure(sim.counterMode());
        if (porBySubmit) spi = spi.porViaSubmit();
        String id = OtaStore.newId();
        long counter = store.reserveCounter(simId, command, id);
        byte[] packet = CommandPacket.encode(keys, spi, counter, remoteCommands);
        List<byte[]> tpdus = SmsPp.deliver(originator, packet, (int) (counter & 0xFF), scts(ZonedDateTime.now(ZoneOffset.UTC)));
        List<byte[]> envs = new ArrayList<>();
        for (byte[] t : tpdus) envs.add(SmsPp.envelope(t, null));
        store.messageBuilt(id, spi, packet.length, tpdus.size(), keySet);
        LOG.info("OTA {} for {}: counter {}, SPI {}, key set {}, {} bytes in {} SMS", command, simId, counter, spi, keys.kicIndex(),
                packet.length, tpdus.size());
        return new OtaMessage(id, simId, command, counter, spi, packet, tpdus, envs, keySet);
    }

    /**
     * Sends a message's SMS-DELIVERs through a bearer (the handset model in front of a card, an
     * SMSC) and verifies the PoR that comes back: from an SMS-SUBMIT when the SPI asked for one,
     * else from the SMS-DELIVER-REPORT.
     */
    public Result send(SmsBearer bearer, OtaMessage m) {
        SmsBearer.Delivery d = bearer.deliver(m.tpdus());
        byte[] ud = d.deliverReport();
        if (m.spi().porBySubmit()) {
            for (byte[] t : d.submits()) {
                SmsPp.Submit s = SmsPp.parseSubmit(t);
                if (s.udh().containsKey(Constants.IEI_RPI & 0xFF)) ud = s.userData();
            }
        }
        if (ud.length == 0) {
            store.messageResult(m.id(), null, "NO_POR");
            throw new OtaSecurityException(Constants.POR_UNIDENTIFIED_SECURITY_ERROR, "no proof of receipt came back for " + m.command());
        }
        return new Result(m, readPor(m, ud));
    }

    /** Verifies a PoR (the SMS-DELIVER-REPORT user data) for a message and records the result. */
    public ResponsePacket readPor(OtaMessage m, byte[] ud) {
        if (ud == null || ud.length == 0) throw new IllegalArgumentException("the SIM returned no proof of receipt");
        OtaStore.SimRecord sim = store.require(m.simId());
        OtaKeys keys = sim.keySet(m.keySet());
        ResponsePacket por = ResponsePacket.decode(keys, m.spi(), ud);
        if (!java.util.Arrays.equals(por.tar(), keys.tar())) {
            store.messageResult(m.id(), por.status(), "REJECTED");
            throw new OtaSecurityException(Constants.POR_TAR_UNKNOWN, "PoR from another application (TAR " + dev.cardsmith.crypto.Hex.of(por.tar()) + ")");
        }
        if (por.authenticated() && por.counter() != m.counter()) {
            throw new OtaSecurityException(Constants.POR_RC_CC_DS_FAILED, "PoR counter does not match the command");
        }
        store.messageResult(m.id(), por.status(), por.ok() ? (por.compact().ok() ? "DONE" : "COMMAND_FAILED") : "REJECTED");
        if (por.ok() && por.compact().ok()) {
            switch (m.command()) {
                case "init-trust" -> store.trustState(m.simId(), "INITIALIZED");
                case "revoke" -> store.trustState(m.simId(), "REVOKED");
                case "status" -> {
                    SimStatus s = SimStatus.parse(por.compact().data());
                    store.trustState(m.simId(), SimStatus.stateName(s.state()));
                    if (s.event().seq() > 0) store.recordEvent(m.simId(), s.event());
                }
                default -> { }
            }
        }
        return por;
    }

    /**
     * Accepts a notification the SIM produced (trust acknowledgement, Fig. 1 step 28, or a
     * revocation) and the terminal forwarded: CC under the SIM's KID, event sequence number
     * higher than any seen (replays are refused).
     */
    public SimStatus.Event acceptNotification(String simId, byte[] ud) {
        OtaStore.SimRecord sim = store.require(simId);
        ResponsePacket p = ResponsePacket.decode(sim.keys(), Spi.of(false, false, Spi.CounterMode.NONE, Spi.Por.ALWAYS, true, false), ud);
        if (!p.authenticated() || !p.ok()) throw new OtaSecurityException(Constants.POR_RC_CC_DS_FAILED, "notification is not authenticated");
        SimStatus.Event e = SimStatus.Event.parse(p.data(), 0);
        if (!store.recordEvent(simId, e)) throw new OtaSecurityException(Constants.POR_CNTR_LOW, "notification #" + e.seq() + " already received");
        store.trustState(simId, switch (e.type()) {
            case Constants.EVENT_TRUST_ACK -> "TRUSTED";
            case Constants.EVENT_INITIALIZED -> "INITIALIZED";
            default -> "REVOKED";
        });
        return e;
    }

    /** TP-SCTS (TS 23.040 9.2.3.11): YY MM DD hh mm ss TZ, each as swapped semi-octets. */
    static byte[] scts(ZonedDateTime t) {
        int[] v = {t.getYear() % 100, t.getMonthValue(), t.getDayOfMonth(), t.getHour(), t.getMinute(), t.getSecond(), 0};
        byte[] out = new byte[7];
        for (int i = 0; i < 7; i++) out[i] = (byte) (((v[i] % 10) << 4) | (v[i] / 10));
        return out;
    }
}
