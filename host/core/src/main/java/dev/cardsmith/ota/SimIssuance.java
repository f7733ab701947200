package dev.cardsmith.ota;

import dev.cardsmith.applet.sim.Constants;
import dev.cardsmith.hsm.HsmException;
import dev.cardsmith.store.StoreException;
import dev.cardsmith.transport.CardStatusException;
import dev.cardsmith.transport.TransportException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.SecureRandom;
import java.time.LocalDate;
import java.util.Arrays;
import java.util.Optional;
import java.util.function.Function;

/**
 * Issuing a SIM's OTA key set at the factory, with its one resume entry {@link #issueOrResume}: a
 * fresh random AES-128 KIc and KID (index 1, the applet's TAR, MSL 16: ciphering + CC + counter
 * higher) generated here, registered in the {@link OtaStore} (wrapped under the HSM's OTA KEK)
 * after the caller's intent record and before the card is written, then sent with PERSONALIZE
 * under the SIM's transport key, then proven by an OTA STATUS through the handset path whose PoR
 * must be good; in the EC variant the SIM key is certified by the operator CA; then the
 * completion record. On a re-run the card (its personalized flag) and the store say how far it got:
 * <ul>
 * <li>personalized, and the key set the store holds for this device's SIM ID gets a good PoR from
 * the card: done (certified if the line certifies and the card has no certificate yet);</li>
 * <li>not personalized: from PERSONALIZE again with the key set already registered (it never
 * reached a card: the applet commits keys and the personalized flag together), or a fresh one
 * when none was registered;</li>
 * <li>personalized, but no key set in the store works with it (another line personalized it, or
 * the registration was lost): set aside with a record ({@link SetAside}); never a guess.</li>
 * </ul>
 */
public final class SimIssuance {

    private static final Logger LOG = LoggerFactory.getLogger(SimIssuance.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    /** The minimum security level the line sets: CC, ciphering, counter higher (TS 102 226). */
    public static final int MSL = 0x16;
    /** The key index of the line's KIc and KID. */
    public static final int KEY_INDEX = 1;
    /** The sim applet's TAR (its UICC toolkit parameters, docs/uicc-toolkit.md). */
    public static final byte[] TAR = DevKeys.TAR.clone();

    /** What the caller's store knows about this device's SIM. {@code state}: REGISTERED, DONE or SET_ASIDE. */
    public record Record(String simId, String state) {}

    /** The caller's records for one device: intent before the key set is registered, completion after the proof. */
    public interface Records {
        Optional<Record> find();

        /** The intent: written before the key set is registered and before the card is written. */
        void registered(String simId);

        void done();

        void setAside(String reason);
    }

    /** The card's OTA key set is not one the line knows: the device must be set aside with a record. */
    public static final class SetAside extends RuntimeException {
        public SetAside(String message) { super(message); }
    }

    public enum Action { ISSUED, RESUMED, ALREADY_DONE }

    public record Outcome(Action action, String simId, boolean certified) {}

    private SimIssuance() {}

    /**
     * Issues the SIM's key set or settles a re-run (see the class comment).
     *
     * @param bearer the handset path in front of this card (OTA packets and PoRs)
     * @param certify whether to have the operator CA certify the SIM key (the EC variant)
     */
    public static Outcome issueOrResume(SimCard card, OtaServer server, Function<SimCard, SmsBearer> bearer, String simId,
                                        byte[] transportKey, boolean certify, LocalDate today, Records records) {
        boolean personalized = personalized(card.select());
        Optional<Record> rec = records.find();
        if (rec.isPresent() && !rec.get().simId().equals(simId)) {
            throw new SetAside("this device's SIM record names " + rec.get().simId() + ", not " + simId);
        }
        OtaStore store = server.store();
        if (rec.isEmpty() && store.find(simId).isPresent()) {
            throw new SetAside("SIM " + simId + " is already registered by another device or line: never reused");
        }
        if (personalized) {
            if (store.find(simId).isPresent() && works(server, bearer.apply(card), simId, today)) {
                boolean cert = certify && certify(card, server, bearer, simId);
                records.done();
                return new Outcome(rec.get().state().equals("DONE") ? Action.ALREADY_DONE : Action.RESUMED, simId, cert);
            }
            String why = "the SIM's OTA key set is personalized but no key set the line holds for " + simId
                    + " gets a good PoR from it: set aside";
            if (rec.isPresent()) records.setAside(why);
            throw new SetAside(why);
        }
        if (rec.isEmpty()) records.registered(simId);
        boolean fresh = store.find(simId).isEmpty();
        if (fresh) register(store, simId);
        OtaKeys keys = store.require(simId).keys();
        card.channel().transmitOk("PERSONALIZE", OtaPersonalization.command(transportKey, keys, MSL));
        if (!works(server, bearer.apply(card), simId, today)) {
            String why = "the SIM took PERSONALIZE but its PoR under the key set does not verify: set aside";
            records.setAside(why);
            throw new SetAside(why);
        }
        boolean cert = certify && certify(card, server, bearer, simId);
        records.done();
        LOG.info("SIM {} personalized with a fresh OTA key set (key set {}){}", simId, fresh ? "registered now" : "registered earlier",
                cert ? ", SIM key certified" : "");
        return new Outcome(rec.isPresent() ? Action.RESUMED : Action.ISSUED, simId, cert);
    }

    /** The SELECT answer: challenge || state || generation || flags || key type. */
    static boolean personalized(byte[] selectAnswer) {
        int at = Constants.CHALLENGE_LEN + 2;
        if (selectAnswer.length <= at) throw new SetAside("the sim applet's SELECT answer is too short (" + selectAnswer.length + " bytes)");
        return (selectAnswer[at] & Constants.FLAG_OTA_PERSONALIZED) != 0;
    }

    private static void register(OtaStore store, String simId) {
        byte[] kic = new byte[16];
        byte[] kid = new byte[16];
        RANDOM.nextBytes(kic);
        RANDOM.nextBytes(kid);
        try {
            store.register(simId, OtaKeys.aes(KEY_INDEX, kic, KEY_INDEX, kid, TAR), Spi.CounterMode.HIGHER);
        } finally {
            Arrays.fill(kic, (byte) 0);
            Arrays.fill(kid, (byte) 0);
        }
    }

    /** An OTA STATUS under the stored key set: true only for an authenticated, good PoR with a good STATUS answer. */
    static boolean works(OtaServer server, SmsBearer bearer, String simId, LocalDate today) {
        try {
            OtaServer.Result r = server.send(bearer, server.status(simId, today));
            return r.por().authenticated() && r.por().ok() && r.compact().ok();
        } catch (TransportException | StoreException | HsmException e) {
            throw e; // the card went away or the station failed: not a verdict on the card; the line retries
        } catch (RuntimeException e) {
            LOG.info("OTA STATUS to {} not accepted: {}", simId, e.getMessage());
            return false;
        }
    }

    /** Certifies the SIM key unless the card already holds a certificate; true when the card holds one after. */
    private static boolean certify(SimCard card, OtaServer server, Function<SimCard, SmsBearer> bearer, String simId) {
        try {
            card.simCertificate();
            return true;
        } catch (CardStatusException e) {
            // 6985: no certificate yet
        }
        server.certifySim(simId, bearer.apply(card));
        return true;
    }
}
